"""Follow-up and timer settings in one place: response windows per tier, working hours,
sweep cadence, thresholds.

Defaults live here; a team overrides any of them through the `followups` settings row (JSON),
so the inbox countdown, the cadences, the timer sweep and the reports all read the same
numbers. `response_windows()` is the one definition of each tier's first-response window
(timers/windows.py): Urgent 5 minutes, High the same business day (the rep's working hours
and time zone), Medium 24 h, Low none (automated nurture).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Setting, User
from app.services.timers.windows import (
    DEFAULT_TIER,
    ResponseWindows,
    WorkHours,
    effective_tier,
    zone,
)
from app.services.timers.windows import TIERS as TIERS  # importable from here as before

SETTINGS_KEY = "followups"

# First-response windows in minutes: Urgent 5, Medium 24 h; 0 is no window (Low: automated
# nurture). High is due the same business day (`same_day_tiers`); its minutes count only if
# it is taken off that list.
DEFAULT_SLA_MINUTES: dict[str, int] = {
    "Urgent": 5,
    "High": 8 * 60,
    "Medium": 24 * 60,
    "Low": 0,
}


@dataclass(frozen=True)
class FollowupSettings:
    sla_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA_MINUTES))
    same_day_tiers: list[str] = field(default_factory=lambda: ["High"])
    # The team's working day (a rep's own time zone and hours are on the Team page).
    work_timezone: str = "UTC"
    work_start_hour: int = 9
    work_end_hour: int = 17
    work_days: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    sweep_interval_seconds: int = 30
    # Between full sweeps the timer thread sweeps incrementally (see timers.sweep `since`).
    full_sweep_minutes: int = 5
    # A planned follow-up still open this long after its due time counts as missed.
    missed_window_hours: float = 24.0
    missed_escalation_count: int = 2
    missed_escalation_action: str = "alert"  # "alert" the manager, or "reassign" the lead
    dormant_days: int = 30
    # After the last cadence step falls due, how long to wait for a reply before nurture.
    nurture_grace_days: float = 1.0
    nurture_revisit_days: int = 90
    # A lead lost to a competitor is revisited (competitive recapture) after this long.
    recapture_revisit_days: int = 180

    def sla_window(self, tier: str | None) -> timedelta:
        """The tier's configured minutes (what the settings form edits; 0: no window)."""
        minutes = self.sla_minutes.get(effective_tier(tier), DEFAULT_SLA_MINUTES[DEFAULT_TIER])
        return timedelta(minutes=minutes)

    def response_windows(
        self, members: Iterable[tuple[int, str | None, str | None]] = ()
    ) -> ResponseWindows:
        """The one definition of the first-response windows (countdown, alerts, reports);
        `members` are (user id, time zone, "09:00-17:30" hours) as the Team page sets them."""
        hours = WorkHours(
            self.work_timezone, self.work_start_hour, self.work_end_hour, tuple(self.work_days)
        )
        reps = {
            user: hours.for_member(tz, work_hours)
            for user, tz, work_hours in members
            if tz or work_hours
        }
        return ResponseWindows(dict(self.sla_minutes), tuple(self.same_day_tiers), hours, reps)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_settings(session: Session) -> FollowupSettings:
    row = session.get(Setting, SETTINGS_KEY)
    return _merge(FollowupSettings(), row.value if row and isinstance(row.value, dict) else {})


def member_hours(session: Session) -> list[tuple[int, str | None, str | None]]:
    """Each member's own time zone and working hours (Team page), for response_windows()."""
    rows = session.execute(
        select(User.id, User.timezone, User.work_hours).where(
            (User.timezone.is_not(None)) | (User.work_hours.is_not(None))
        )
    )
    return [(user, tz, hours) for user, tz, hours in rows]


def response_windows(session: Session) -> ResponseWindows:
    """The settings' windows with each rep's own time zone and hours."""
    return load_settings(session).response_windows(member_hours(session))


def save_settings(session: Session, now: datetime, **changes: Any) -> FollowupSettings:
    """Store overrides (only known fields); returns the effective settings."""
    known = {f.name for f in fields(FollowupSettings)}
    unknown = set(changes) - known
    if unknown:
        raise ValueError(f"Unknown follow-up settings: {', '.join(sorted(unknown))}")
    row = session.get(Setting, SETTINGS_KEY)
    stored = dict(row.value) if row and isinstance(row.value, dict) else {}
    stored.update(changes)
    if row is None:
        session.add(Setting(key=SETTINGS_KEY, value=stored, updated_at=now))
    else:
        row.value = stored
        row.updated_at = now
    session.flush()
    return _merge(FollowupSettings(), stored)


def _merge(base: FollowupSettings, stored: dict[str, Any]) -> FollowupSettings:
    known = {f.name for f in fields(FollowupSettings)}
    values = {k: v for k, v in stored.items() if k in known}
    if "sla_minutes" in values:
        # A partial override ({"Urgent": 10}) keeps the other tiers' defaults.
        values["sla_minutes"] = {**DEFAULT_SLA_MINUTES, **values["sla_minutes"]}
    return replace(base, **values)


# Numbers a team may set, with the smallest value that still makes sense.
_MINIMUMS: dict[str, float] = {
    "sweep_interval_seconds": 1,
    "full_sweep_minutes": 1,
    "missed_window_hours": 0,
    "missed_escalation_count": 1,
    "dormant_days": 1,
    "nurture_grace_days": 0,
    "nurture_revisit_days": 1,
    "recapture_revisit_days": 1,
}
ESCALATION_ACTIONS = ("alert", "reassign")


def invalid_settings(changes: dict[str, Any]) -> str | None:
    """Why these overrides cannot be saved (one sentence), or None if they can."""
    known = {f.name for f in fields(FollowupSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        return f"Unknown follow-up settings: {', '.join(unknown)}."
    for name, value in changes.items():
        if name == "sla_minutes":
            if not isinstance(value, dict):
                return "sla_minutes must map tiers to minutes."
            for tier, minutes in value.items():
                if tier not in TIERS:
                    return f"Unknown tier '{tier}'; use {', '.join(TIERS)}."
                if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
                    return (
                        f"The {tier} response window must be a whole number of minutes >= 0 "
                        "(0: no window)."
                    )
        elif name in _WORK_FIELDS:
            problem = _invalid_work_setting(name, value)
            if problem:
                return problem
        elif name == "missed_escalation_action":
            if value not in ESCALATION_ACTIONS:
                return f"missed_escalation_action must be {' or '.join(ESCALATION_ACTIONS)}."
        else:
            whole = isinstance(getattr(FollowupSettings(), name), int)
            number = not isinstance(value, bool) and isinstance(value, int | float)
            if not number or (whole and not isinstance(value, int)):
                kind = "a whole number" if whole else "a number"
                return f"{name} must be {kind}."
            if value < _MINIMUMS[name]:
                return f"{name} must be at least {_MINIMUMS[name]:g}."
    start = changes.get("work_start_hour", FollowupSettings.work_start_hour)
    end = changes.get("work_end_hour", FollowupSettings.work_end_hour)
    if isinstance(start, int) and isinstance(end, int) and start >= end:
        return "The working day must start before it ends (work_start_hour < work_end_hour)."
    return None


_WORK_FIELDS = (
    "same_day_tiers",
    "work_timezone",
    "work_days",
    "work_start_hour",
    "work_end_hour",
)


def _invalid_work_setting(name: str, value: Any) -> str | None:
    if name == "same_day_tiers":
        if not isinstance(value, list) or any(t not in TIERS for t in value):
            return f"same_day_tiers must list tiers among {', '.join(TIERS)}."
    elif name == "work_timezone":
        if not isinstance(value, str) or zone(value) is None:
            return f"'{value}' is not a time zone (e.g. Europe/Berlin, America/New_York)."
    elif name == "work_days":
        days_ok = (
            isinstance(value, list)
            and value
            and all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in value)
        )
        if not days_ok:
            return "work_days must list weekdays 0-6 (0 = Monday), e.g. 0,1,2,3,4."
    elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24:
        return f"{name} must be a whole hour from 0 to 24."  # work_start_hour, work_end_hour
    return None
