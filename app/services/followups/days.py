"""Calendar rules that do not depend on a widget: local-day bounds and done outcomes.

A calendar day is the user's local day (the workstation's zone by default, with its DST
rules for that day); the store keeps UTC. Outcomes are what "Done" can say per channel.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

# What "Done" offers for each kind of follow-up (the first is the usual one).
OUTCOMES: dict[str, list[str]] = {
    "email": ["Sent"],
    "call": ["Connected", "Left voicemail", "No answer"],
    "linkedin": ["Connection sent", "Message sent"],
    "meeting": ["Held", "No-show"],
    "task": ["Done"],
}
MAX_OUTCOME = 100  # characters kept of a free-text outcome


def outcomes_for(kind: str) -> list[str]:
    """The outcomes offered when marking a follow-up of this kind done."""
    return list(OUTCOMES.get(kind, ["Done"]))


def clean_outcome(text: str | None) -> str:
    """A free-text outcome as stored: trimmed, one line, at most MAX_OUTCOME characters."""
    words = " ".join((text or "").split())
    return words[:MAX_OUTCOME] or "Done"


def local_time(value: datetime, tz: tzinfo | None = None) -> datetime:
    """A stored (UTC) instant in the user's zone (the workstation's without `tz`)."""
    return value.astimezone(tz) if tz is not None else value.astimezone()


def local_day(value: datetime, tz: tzinfo | None = None) -> date:
    """The user's calendar day of a stored instant."""
    return local_time(value, tz).date()


def day_bounds(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """A local calendar day as a UTC [start, end) range (DST-aware)."""
    if tz is None:
        start = datetime.combine(day, time()).astimezone()
        end = datetime.combine(day + timedelta(days=1), time()).astimezone()
    else:
        start = datetime.combine(day, time(), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def range_bounds(first: date, last: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """Local days first..last (inclusive) as one UTC [start, end) range."""
    return day_bounds(first, tz)[0], day_bounds(last, tz)[1]


def week_start(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())
