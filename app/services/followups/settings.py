"""Follow-up and timer settings in one place: SLA windows per tier, sweep cadence, thresholds.

Defaults live here; a team overrides any of them through the `followups` settings row (JSON),
so the inbox countdown, the cadences and the timer sweep all read the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.models import Setting

SETTINGS_KEY = "followups"
TIERS = ("Urgent", "High", "Medium", "Low")
# A lead the scoring has not reached yet is worked like a Medium one.
DEFAULT_TIER = "Medium"

# First-response windows: Urgent 5 minutes, High the same day (4 h), Medium 24 h, Low 72 h.
DEFAULT_SLA_MINUTES: dict[str, int] = {
    "Urgent": 5,
    "High": 4 * 60,
    "Medium": 24 * 60,
    "Low": 72 * 60,
}


@dataclass(frozen=True)
class FollowupSettings:
    sla_minutes: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SLA_MINUTES))
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

    def sla_window(self, tier: str | None) -> timedelta:
        minutes = self.sla_minutes.get(effective_tier(tier), DEFAULT_SLA_MINUTES[DEFAULT_TIER])
        return timedelta(minutes=minutes)

    def sla_due(self, captured_at: datetime, tier: str | None) -> datetime:
        return captured_at + self.sla_window(tier)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def effective_tier(tier: str | None) -> str:
    return tier if tier in TIERS else DEFAULT_TIER


def load_settings(session: Session) -> FollowupSettings:
    row = session.get(Setting, SETTINGS_KEY)
    return _merge(FollowupSettings(), row.value if row and isinstance(row.value, dict) else {})


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
