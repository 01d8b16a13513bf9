"""Planned follow-ups for the calendar: by date range, owner and status; reschedule, done,
skip; the mailto:/LinkedIn/tel: action of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Lead,
    User,
)
from app.services import audit
from app.services.followups.templates import CONTACT_TYPES

# ---------------------------------------------------------------------------------------------
# Follow-ups for the calendar


@dataclass(frozen=True)
class FollowUp:
    id: int
    lead_id: int
    lead_name: str
    company: str | None
    tier: str | None
    owner_id: int | None
    owner_name: str | None
    type: str
    status: str
    subject: str | None
    notes: str | None
    due_at: datetime | None
    done_at: datetime | None
    outcome: str | None
    cadence_step_id: int | None

    def is_overdue(self, now: datetime) -> bool:
        return (
            self.status == ActivityStatus.PLANNED and self.due_at is not None and self.due_at < now
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("due_at", "done_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True)
class FollowupFilter:
    start: datetime | None = None  # due_at >= start
    end: datetime | None = None  # due_at < end
    owner_id: int | None = None
    statuses: tuple[str, ...] | None = (ActivityStatus.PLANNED,)
    lead_id: int | None = None
    types: tuple[str, ...] | None = None
    limit: int | None = None


def _followup_select() -> Any:
    return (
        select(
            Activity.id,
            Activity.lead_id,
            Lead.display_name,
            Lead.company,
            Lead.tier,
            Activity.owner_id,
            User.name,
            Activity.type,
            Activity.status,
            Activity.subject,
            Activity.notes,
            Activity.due_at,
            Activity.done_at,
            Activity.outcome,
            Activity.cadence_step_id,
        )
        .join(Lead, Lead.id == Activity.lead_id)
        .outerjoin(User, User.id == Activity.owner_id)
    )


def _where(query: Any, flt: FollowupFilter) -> Any:
    if flt.start is not None:
        query = query.where(Activity.due_at >= flt.start)
    if flt.end is not None:
        query = query.where(Activity.due_at < flt.end)
    if flt.owner_id is not None:
        query = query.where(Activity.owner_id == flt.owner_id)
    if flt.statuses:
        query = query.where(Activity.status.in_(flt.statuses))
    if flt.lead_id is not None:
        query = query.where(Activity.lead_id == flt.lead_id)
    if flt.types:
        query = query.where(Activity.type.in_(flt.types))
    return query


def list_followups(session: Session, flt: FollowupFilter | None = None) -> list[FollowUp]:
    flt = flt or FollowupFilter()
    query = _where(_followup_select(), flt).order_by(Activity.due_at, Activity.id)
    if flt.limit is not None:
        query = query.limit(flt.limit)
    return [FollowUp(*row) for row in session.execute(query).all()]


def get_followup(session: Session, activity_id: int) -> FollowUp | None:
    row = session.execute(_followup_select().where(Activity.id == activity_id)).first()
    return FollowUp(*row) if row else None


@dataclass(frozen=True)
class DayLoad:
    """What one calendar day holds: counts by type, and how many are overdue."""

    counts: dict[str, int]
    overdue: int
    done: int

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def day_loads(
    session: Session,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    owner_id: int | None = None,
    tz: tzinfo | None = None,
) -> dict[Any, DayLoad]:
    """Per day in [start, end) (in `tz`, default local): planned follow-ups by type,
    overdue and done counts."""
    query = select(Activity.due_at, Activity.type, Activity.status).where(
        Activity.due_at >= start,
        Activity.due_at < end,
        Activity.status.in_((ActivityStatus.PLANNED, ActivityStatus.DONE)),
    )
    if owner_id is not None:
        query = query.where(Activity.owner_id == owner_id)
    buckets: dict[Any, dict[str, Any]] = {}
    rows: Sequence[Any] = session.execute(query).all()
    for due, kind, status in rows:
        day = due.astimezone(tz).date()  # tz None: the workstation's local zone
        b = buckets.setdefault(day, {"counts": {}, "overdue": 0, "done": 0})
        if status == ActivityStatus.DONE:
            b["done"] += 1
            continue
        b["counts"][kind] = b["counts"].get(kind, 0) + 1
        if due < now:
            b["overdue"] += 1
    return {d: DayLoad(b["counts"], b["overdue"], b["done"]) for d, b in buckets.items()}


def _planned(session: Session, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None:
        raise LookupError(f"No follow-up {activity_id}.")
    return activity


def reschedule(
    session: Session,
    clock: Clock,
    activity_id: int,
    due_at: datetime,
    *,
    user_id: int | None = None,
) -> FollowUp:
    activity = _planned(session, activity_id)
    if activity.status != ActivityStatus.PLANNED:
        raise ValueError("Only a planned follow-up can be rescheduled.")
    old = activity.due_at
    activity.due_at = due_at
    audit.record(
        session,
        at=clock.now(),
        entity="activity",
        entity_id=activity_id,
        action="rescheduled",
        user_id=user_id,
        data={"from": old.isoformat() if old else None, "to": due_at.isoformat()},
    )
    session.flush()
    found = get_followup(session, activity_id)
    assert found is not None
    return found


def move_to_day(
    session: Session,
    clock: Clock,
    activity_id: int,
    day: date,
    *,
    tz: tzinfo | None = None,
    user_id: int | None = None,
) -> FollowUp:
    """Reschedule to another day at the same local time of day (a calendar drag and drop).

    Without `tz` the workstation's local zone is used, with its DST rules for the new day.
    """
    activity = _planned(session, activity_id)
    due = activity.due_at or clock.now()
    if tz is None:
        local = due.astimezone()
        moved = datetime.combine(day, local.time()).astimezone()
    else:
        local = due.astimezone(tz)
        moved = datetime.combine(day, local.time(), tzinfo=tz)
    return reschedule(session, clock, activity_id, moved.astimezone(UTC), user_id=user_id)


def mark_done(
    session: Session,
    clock: Clock,
    activity_id: int,
    outcome: str = "Done",
    *,
    user_id: int | None = None,
    notes: str | None = None,
) -> FollowUp:
    """Done: the lead was touched (and, for outreach, contacted) now."""
    activity = _planned(session, activity_id)
    now = clock.now()
    activity.status = ActivityStatus.DONE
    activity.done_at = now
    activity.outcome = (outcome or "Done")[:100]
    if notes:
        activity.notes = f"{activity.notes}\n\n{notes}" if activity.notes else notes
    lead = session.get(Lead, activity.lead_id)
    if lead is not None and activity.type in CONTACT_TYPES:
        lead.last_touch_at = now
        if lead.first_contacted_at is None:
            lead.first_contacted_at = now
        lead.updated_at = now
    audit.record(
        session,
        at=now,
        entity="activity",
        entity_id=activity_id,
        action="done",
        user_id=user_id,
        data={"outcome": activity.outcome},
    )
    session.flush()
    found = get_followup(session, activity_id)
    assert found is not None
    return found


def skip(
    session: Session,
    clock: Clock,
    activity_id: int,
    *,
    user_id: int | None = None,
    reason: str = "Skipped",
) -> FollowUp:
    activity = _planned(session, activity_id)
    if activity.status != ActivityStatus.PLANNED:
        raise ValueError("Only a planned follow-up can be skipped.")
    now = clock.now()
    activity.status = ActivityStatus.SKIPPED
    activity.done_at = now
    activity.outcome = reason[:100]
    audit.record(
        session,
        at=now,
        entity="activity",
        entity_id=activity_id,
        action="skipped",
        user_id=user_id,
        data={},
    )
    session.flush()
    found = get_followup(session, activity_id)
    assert found is not None
    return found


def action_url(session: Session, activity_id: int) -> str | None:
    """What "Open" does for a follow-up: a filled mailto:, the LinkedIn profile, or tel:."""
    activity = session.get(Activity, activity_id)
    if activity is None:
        return None
    lead = session.get(Lead, activity.lead_id)
    if lead is None:
        return None
    if activity.type == ActivityType.EMAIL and lead.email:
        return mailto_url(lead.email, activity.subject or "", activity.notes or "")
    if activity.type == ActivityType.LINKEDIN:
        url = (lead.details or {}).get("linkedin_url")
        return str(url) if url else None
    if activity.type == ActivityType.CALL and lead.phone:
        return "tel:" + "".join(c for c in lead.phone if c.isdigit() or c == "+")
    return None


def mailto_url(to: str, subject: str, body: str) -> str:
    # RFC 6068: percent-encode everything but unreserved characters; newlines as %0D%0A.
    body = body.replace("\r\n", "\n").replace("\n", "\r\n")
    query = f"subject={quote(subject, safe='')}&body={quote(body, safe='')}"
    return f"mailto:{quote(to, safe='@')}?{query}"
