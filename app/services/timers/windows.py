"""The first-response window of each tier: the one definition (pure: no SQLAlchemy, no Qt).

The inbox countdown, the sla alerts and their escalation, and the reports all ask this module
when a lead's first contact is due, so they cannot disagree:
- a tier with minutes (Urgent 5, Medium 24 h) is due that long after the lead entered Leadgate;
- a "same business day" tier (High) is due at the close of the rep's working day, in the rep's
  time zone (their own on the Team page, else the team's; after hours or on a day off: the
  close of the next working day);
- a tier with 0 minutes (Low) has no first-response window: it goes to automated nurture.

The response clock starts when the lead entered Leadgate (`response_start`), not at the scan
or form date an import carries: a backlog of October scans imported in November is due from
the import.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TIERS = ("Urgent", "High", "Medium", "Low")
DEFAULT_TIER = "Medium"  # a lead the scoring has not reached yet is worked like a Medium one
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def effective_tier(tier: str | None) -> str:
    return tier if tier in TIERS else DEFAULT_TIER


def zone(name: str) -> ZoneInfo | None:
    """The time zone called `name`, or None when there is none by that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class WorkHours:
    """A rep's working day: opening and closing time in their time zone, and working days
    (0 = Monday)."""

    timezone: str = "UTC"
    start_hour: int = 9
    end_hour: int = 17
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    end_minute: int = 0

    def for_member(self, timezone: str | None, work_hours: str | None) -> WorkHours:
        """A member's own day (the Team page's time zone and "09:00-17:30" hours), each
        falling back to this one (the team's) when not set or not readable."""
        tz = timezone if timezone and zone(timezone) is not None else self.timezone
        found = re.fullmatch(r"(\d\d):\d\d-(\d\d):(\d\d)", (work_hours or "").strip())
        if found is None:
            return replace(self, timezone=tz)
        start, end, minute = (int(g) for g in found.groups())
        return replace(self, timezone=tz, start_hour=start, end_hour=end, end_minute=minute)

    def close_of_business(self, at: datetime) -> datetime:
        """The close of the working day `at` falls in (in UTC); after the close or on a day
        off, the close of the next working day."""
        tz = zone(self.timezone) or UTC
        local = _aware(at).astimezone(tz)
        day = local.date()
        for _ in range(8):
            if day.weekday() in self.days:
                close = datetime.combine(day, time(self.end_hour, self.end_minute), tz)
                if close > local:
                    return close.astimezone(UTC)
            day += timedelta(days=1)
        return _aware(at) + timedelta(days=1)  # no working days at all: a day


@dataclass(frozen=True)
class ResponseWindows:
    """Minutes per tier (0: no first-response window) and the tiers due the same business
    day."""

    minutes: Mapping[str, int]
    same_day: Collection[str] = ("High",)
    hours: WorkHours = WorkHours()
    rep_hours: Mapping[int, WorkHours] = field(default_factory=dict)

    def work_hours(self, owner_id: int | None) -> WorkHours:
        return self.rep_hours.get(owner_id, self.hours) if owner_id is not None else self.hours

    def due(
        self, start: datetime | None, tier: str | None, owner_id: int | None
    ) -> datetime | None:
        """When the first contact is due (None: this tier has no first-response window)."""
        if start is None:
            return None
        tier = effective_tier(tier)
        if tier in self.same_day:
            return self.work_hours(owner_id).close_of_business(start)
        minutes = int(self.minutes.get(tier) or 0)
        return _aware(start) + timedelta(minutes=minutes) if minutes > 0 else None

    def escalation_due(
        self, start: datetime | None, tier: str | None, owner_id: int | None
    ) -> datetime | None:
        """When a lead still not contacted goes to the manager: a second window later."""
        due = self.due(start, tier, owner_id)
        if start is None or due is None:
            return None
        return due + (due - _aware(start))

    def describe(self, tier: str | None) -> str:
        """The window in words: "5 min", "the same business day", "no first-response window"."""
        tier = effective_tier(tier)
        if tier in self.same_day:
            return "the same business day"
        minutes = int(self.minutes.get(tier) or 0)
        if minutes <= 0:
            return "no first-response window (automated nurture)"
        if minutes < 60:
            return f"{minutes} min"
        if minutes % 60 == 0:
            return f"{minutes // 60} h"
        return f"{minutes / 60:.1f} h"


def response_start(captured_at: datetime | None, created_at: datetime | None) -> datetime | None:
    """When the response clock starts: when the lead entered Leadgate (an imported old scan
    is not overdue from its scan date), or its capture time if that is later."""
    known = [_aware(t) for t in (captured_at, created_at) if t is not None]
    return max(known) if known else None


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
