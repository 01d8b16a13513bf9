"""Cadences (templates of follow-up steps) and the follow-ups they plan.

A cadence is a list of steps (offset in days from the start, channel, subject, script). Starting
one for a lead plans one activity per step for the lead's owner (`cadence_step_id` set). A
logged reply stops it; a reassignment moves its open steps; the timer sweep moves a lead that
never replied to nurture (services/timers.py). Everything the calendar needs (follow-ups by
date range, owner and status; reschedule, done, skip; the mailto:/LinkedIn/tel: action) is here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from app.clock import Clock
from app.models import (
    Activity,
    ActivityStatus,
    ActivityType,
    Cadence,
    CadenceStep,
    EngagementEvent,
    Lead,
    User,
)
from app.services import audit
from app.services.followups.settings import DEFAULT_SLA_MINUTES, effective_tier

REENGAGEMENT = "Re-engagement"
REPLY_KINDS = ("email_reply", "reply")
CHANNELS = ("email", "call", "linkedin", "task")
CONTACT_TYPES = (ActivityType.EMAIL, ActivityType.CALL, ActivityType.LINKEDIN, ActivityType.MEETING)

_INTRO = (
    "Hi {first_name},\n\nThanks for your interest{event_clause}. I look after teams like "
    "{company} and would love to hear what prompted you to get in touch.\n\nWould 20 minutes "
    "this week work for a quick call?\n\nBest,\n{owner_name}"
)
_ANGLE = (
    "Hi {first_name},\n\nA different thought: teams similar to {company} usually come to us "
    "when follow-ups slip and good leads go quiet. One of them cut their response time from "
    "two days to under an hour.\n\nWorth a look for {company}?\n\n{owner_name}"
)
_REENGAGE = (
    "Hi {first_name},\n\nI have not heard back, so I will assume the timing is not right. "
    "Should I close your file for now, or is there a better moment to reconnect?\n\n"
    "{owner_name}"
)
_LINKEDIN = "Hi {first_name}, I reached out by e-mail about {company}; happy to connect here."
_CALL = (
    "Reference the first e-mail. Ask how {company} handles this today, who else is involved, "
    "and whether there is a timeline. Book a discovery meeting if there is interest."
)
_NURTURE = (
    "Hi {first_name},\n\nNo need to reply: here is a short guide teams like {company} found "
    "useful. When the timing is right, I am one e-mail away.\n\n{owner_name}"
)


def _active_steps(first_offset_days: float) -> list[tuple[float, str, str, str]]:
    """The active cadence: day 1 e-mail, day 3 call, day 5 LinkedIn, day 8 angle, day 14."""
    return [
        (first_offset_days, "email", "Personal introduction", _INTRO),
        (2.0, "call", "Call: discovery", _CALL),
        (4.0, "linkedin", "Connect on LinkedIn", _LINKEDIN),
        (7.0, "email", "A different angle", _ANGLE),
        (13.0, "email", "Re-engagement: close the loop?", _REENGAGE),
    ]


# (name, tier, [(offset_days, channel, subject, template)]). The first step's offset is the
# tier's first-response window, so a cadence and the SLA never disagree.
DEFAULT_CADENCES: list[tuple[str, str | None, list[tuple[float, str, str, str]]]] = [
    ("Urgent active", "Urgent", _active_steps(DEFAULT_SLA_MINUTES["Urgent"] / 1440)),
    ("High active", "High", _active_steps(DEFAULT_SLA_MINUTES["High"] / 1440)),
    (
        "Medium structured",
        "Medium",
        [
            (DEFAULT_SLA_MINUTES["Medium"] / 1440, "email", "Personal introduction", _INTRO),
            (3.0, "call", "Call: discovery", _CALL),
            (9.0, "email", "A different angle", _ANGLE),
            (20.0, "email", "Re-engagement: close the loop?", _REENGAGE),
        ],
    ),
    (
        "Low nurture",
        "Low",
        [
            (DEFAULT_SLA_MINUTES["Low"] / 1440, "email", "Welcome and a useful guide", _NURTURE),
            (29.0, "email", "Checking in", _ANGLE),
            (59.0, "email", "Re-engagement: still of interest?", _REENGAGE),
        ],
    ),
    (
        REENGAGEMENT,
        None,
        [
            (0.0, "email", "Checking back in", _REENGAGE),
            (3.0, "call", "Call: re-engagement", _CALL),
            (9.0, "email", "Last check-in", _NURTURE),
        ],
    ),
]


# ---------------------------------------------------------------------------------------------
# Templates


@dataclass(frozen=True)
class StepInfo:
    id: int
    position: int
    offset_days: float
    channel: str
    subject: str | None
    template: str | None


@dataclass(frozen=True)
class CadenceInfo:
    id: int
    name: str
    tier: str | None
    active: bool
    steps: list[StepInfo] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def ensure_default_cadences(session: Session) -> list[Cadence]:
    """The default cadences, created the first time (by name: edited ones are kept)."""
    existing = {c.name: c for c in session.scalars(select(Cadence)).all()}
    out = []
    for name, tier, steps in DEFAULT_CADENCES:
        cadence = existing.get(name)
        if cadence is None:
            cadence = Cadence(name=name, tier=tier, active=True)
            cadence.steps = [
                CadenceStep(position=i, offset_days=o, channel=ch, subject=s, template=t)
                for i, (o, ch, s, t) in enumerate(steps)
            ]
            session.add(cadence)
        out.append(cadence)
    session.flush()
    return out


def list_cadences(session: Session) -> list[CadenceInfo]:
    cadences = session.scalars(
        select(Cadence).order_by(Cadence.id).options(selectinload(Cadence.steps))
    ).all()
    return [_cadence_info(c) for c in cadences]


def _cadence_info(c: Cadence) -> CadenceInfo:
    return CadenceInfo(
        id=c.id,
        name=c.name,
        tier=c.tier,
        active=c.active,
        steps=[
            StepInfo(s.id, s.position, s.offset_days, s.channel, s.subject, s.template)
            for s in c.steps
        ],
    )


def update_step(session: Session, step_id: int, **changes: Any) -> StepInfo:
    """Edit a step (offset_days, channel, subject, template); plans already made keep theirs."""
    step = session.get(CadenceStep, step_id)
    if step is None:
        raise LookupError(f"No cadence step {step_id}.")
    allowed = {"offset_days", "channel", "subject", "template", "position"}
    if set(changes) - allowed:
        raise ValueError(f"Cannot change {', '.join(sorted(set(changes) - allowed))}.")
    if "channel" in changes and changes["channel"] not in CHANNELS:
        raise ValueError(f"Channel must be one of {', '.join(CHANNELS)}.")
    if "offset_days" in changes and float(changes["offset_days"]) < 0:
        raise ValueError("A step cannot be due before the cadence starts.")
    for key, value in changes.items():
        setattr(step, key, value)
    session.flush()
    return StepInfo(
        step.id, step.position, step.offset_days, step.channel, step.subject, step.template
    )


def add_step(
    session: Session,
    cadence_id: int,
    offset_days: float,
    channel: str,
    subject: str,
    template: str = "",
) -> StepInfo:
    if channel not in CHANNELS:
        raise ValueError(f"Channel must be one of {', '.join(CHANNELS)}.")
    cadence = session.get(Cadence, cadence_id)
    if cadence is None:
        raise LookupError(f"No cadence {cadence_id}.")
    position = max((s.position for s in cadence.steps), default=-1) + 1
    step = CadenceStep(
        position=position,
        offset_days=offset_days,
        channel=channel,
        subject=subject,
        template=template,
    )
    cadence.steps.append(step)
    session.flush()
    return StepInfo(
        step.id, step.position, step.offset_days, step.channel, step.subject, step.template
    )


def remove_step(session: Session, step_id: int) -> None:
    step = session.get(CadenceStep, step_id)
    if step is not None:
        session.delete(step)
        session.flush()


def cadence_for_tier(session: Session, tier: str | None) -> Cadence | None:
    """The active cadence for a tier (None -> Medium), seeding the defaults if needed."""
    wanted = effective_tier(tier)
    query = select(Cadence).where(Cadence.tier == wanted, Cadence.active.is_(True))
    cadence = session.scalars(query.order_by(Cadence.id)).first()
    if cadence is None and not session.scalar(select(func.count()).select_from(Cadence)):
        ensure_default_cadences(session)
        cadence = session.scalars(query.order_by(Cadence.id)).first()
    return cadence


def cadence_by_name(session: Session, name: str) -> Cadence | None:
    cadence = session.scalar(select(Cadence).where(Cadence.name == name))
    if cadence is None and name in {n for n, _, _ in DEFAULT_CADENCES}:
        ensure_default_cadences(session)
        cadence = session.scalar(select(Cadence).where(Cadence.name == name))
    return cadence


# ---------------------------------------------------------------------------------------------
# Running cadences


@dataclass(frozen=True)
class CadenceRun:
    lead_id: int
    cadence_id: int
    cadence_name: str
    owner_id: int
    activity_ids: list[int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str | None, context: dict[str, Any]) -> str:
    """Fill {first_name}, {company}, {owner_name}...; unknown or missing fields become empty."""
    if not template:
        return ""
    try:
        return template.format_map(
            _Blank({k: "" if v is None else str(v) for k, v in context.items()})
        )
    except (ValueError, IndexError):  # a stray brace typed by a user: show it as written
        return template


def _context(lead: Any, owner_name: str | None) -> dict[str, Any]:
    first = lead.first_name or (lead.display_name or "").split(" ")[0] or "there"
    return {
        "first_name": first,
        "last_name": lead.last_name or "",
        "name": lead.display_name or "",
        "company": lead.company or "your team",
        "title": lead.title or "",
        "event": lead.event or "",
        "event_clause": f" at {lead.event}" if lead.event else "",
        "source": lead.source or "",
        "owner_name": owner_name or "",
        "owner_first_name": (owner_name or "").split(" ")[0],
    }


def start_cadence(
    session: Session,
    clock: Clock,
    lead_id: int,
    *,
    cadence_id: int | None = None,
    owner_id: int | None = None,
) -> CadenceRun | None:
    """Plan the lead's cadence (its tier's, unless one is named) for its owner.

    Open steps of an earlier cadence are cancelled first, so a lead runs one cadence at a time.
    Returns None when the lead has no owner to plan for.
    """
    runs = start_cadences(session, clock.now(), [lead_id], cadence_id=cadence_id, owner_id=owner_id)
    return runs[0] if runs else None


def start_cadences(
    session: Session,
    now: datetime,
    lead_ids: Sequence[int],
    *,
    cadence_id: int | None = None,
    owner_id: int | None = None,
) -> list[CadenceRun]:
    """Bulk form of start_cadence (the sweep starts many re-engagements at once)."""
    if not lead_ids:
        return []
    leads = session.execute(
        select(
            Lead.id,
            Lead.first_name,
            Lead.last_name,
            Lead.display_name,
            Lead.company,
            Lead.title,
            Lead.event,
            Lead.source,
            Lead.owner_id,
            Lead.tier,
        ).where(Lead.id.in_(lead_ids))
    ).all()
    cadences: dict[Any, Cadence | None] = {}
    if cadence_id is not None:
        fixed = session.get(Cadence, cadence_id)
        if fixed is None:
            raise LookupError(f"No cadence {cadence_id}.")
    names = dict(session.execute(select(User.id, User.name)).all())
    rows: list[dict[str, Any]] = []
    plans: list[tuple[int, Cadence, int]] = []
    for lead in leads:
        owner = owner_id or lead.owner_id
        if owner is None:
            continue
        if cadence_id is not None:
            cadence: Cadence | None = fixed
        else:
            tier = effective_tier(lead.tier)
            if tier not in cadences:
                cadences[tier] = cadence_for_tier(session, tier)
            cadence = cadences[tier]
        if cadence is None or not cadence.steps:
            continue
        ctx = _context(lead, names.get(owner))
        for step in cadence.steps:
            rows.append(
                {
                    "lead_id": lead.id,
                    "owner_id": owner,
                    "type": step.channel,
                    "status": ActivityStatus.PLANNED,
                    "subject": render(step.subject, ctx)[:255],
                    "notes": render(step.template, ctx),
                    "due_at": now + timedelta(days=step.offset_days),
                    "cadence_step_id": step.id,
                    "created_at": now,
                }
            )
        plans.append((lead.id, cadence, owner))
    if not plans:
        return []
    planned = [p[0] for p in plans]
    _cancel_open_steps(session, planned, "Restarted", now)
    ids_by_lead: dict[int, list[int]] = {lid: [] for lid in planned}
    for chunk in _chunks(rows, 2000):
        for aid, lid in session.execute(
            insert(Activity).returning(Activity.id, Activity.lead_id), chunk
        ):
            ids_by_lead[lid].append(aid)
    return [
        CadenceRun(lid, cadence.id, cadence.name, owner, sorted(ids_by_lead[lid]))
        for lid, cadence, owner in plans
    ]


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _cancel_open_steps(
    session: Session, lead_ids: Sequence[int], outcome: str, now: datetime
) -> int:
    total = 0
    for chunk in _chunks(list(lead_ids), 1000):
        result = session.execute(
            update(Activity)
            .where(
                Activity.lead_id.in_(chunk),
                Activity.status == ActivityStatus.PLANNED,
                Activity.cadence_step_id.is_not(None),
            )
            .values(status=ActivityStatus.CANCELLED, outcome=outcome, done_at=now)
            .execution_options(synchronize_session=False)
        )
        total += getattr(result, "rowcount", 0) or 0
    return total


def stop_cadence(session: Session, clock: Clock, lead_id: int, outcome: str = "Stopped") -> int:
    """Cancel the lead's open cadence steps; returns how many were cancelled."""
    return _cancel_open_steps(session, [lead_id], outcome, clock.now())


def log_reply(
    session: Session,
    clock: Clock,
    lead_id: int,
    *,
    user_id: int | None = None,
    note: str | None = None,
) -> int:
    """The lead replied: record it, count it as a touch, stop the cadence (steps cancelled)."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(f"No lead {lead_id}.")
    now = clock.now()
    session.add(
        EngagementEvent(lead_id=lead_id, kind="email_reply", at=now, detail={"note": note or ""})
    )
    lead.last_touch_at = now
    lead.updated_at = now
    stopped = _cancel_open_steps(session, [lead_id], "Replied", now)
    audit.record(
        session,
        at=now,
        entity="lead",
        entity_id=lead_id,
        action="reply_logged",
        user_id=user_id,
        data={"stopped_steps": stopped},
    )
    session.flush()
    return stopped


def move_open_steps(
    session: Session, lead_id: int, new_owner_id: int | None, old_owner_id: int | None = None
) -> int:
    """Hand the lead's planned follow-ups to its new owner (all of them, or old owner's)."""
    query = update(Activity).where(
        Activity.lead_id == lead_id, Activity.status == ActivityStatus.PLANNED
    )
    if old_owner_id is not None:
        query = query.where((Activity.owner_id == old_owner_id) | Activity.owner_id.is_(None))
    result = session.execute(
        query.values(owner_id=new_owner_id).execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) or 0


def has_open_cadence(session: Session, lead_id: int) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Activity)
            .where(
                Activity.lead_id == lead_id,
                Activity.status == ActivityStatus.PLANNED,
                Activity.cadence_step_id.is_not(None),
            )
        )
    )


def handle_assignment(
    session: Session,
    clock: Clock,
    lead_id: int,
    old_owner_id: int | None,
    new_owner_id: int | None,
) -> None:
    """First owner: start the cadence. New owner: the open steps move with the lead."""
    handle_assignments(session, clock, [(lead_id, old_owner_id, new_owner_id)])


ASSIGNMENT_CHUNK = 5000  # well under SQLite's bound-parameter limit


def handle_assignments(
    session: Session, clock: Clock, changes: Sequence[tuple[int, int | None, int | None]]
) -> None:
    """Bulk form of handle_assignment, for routing a whole import at once: one query per
    chunk to find running cadences and one bulk start, instead of several queries a lead."""
    firsts = [lead for lead, old, new in changes if new is not None and old is None]
    for lead, old, new in changes:
        if new is not None and old is not None and new != old:
            move_open_steps(session, lead, new)
    now = clock.now()
    for start in range(0, len(firsts), ASSIGNMENT_CHUNK):
        chunk = firsts[start : start + ASSIGNMENT_CHUNK]
        running = set(
            session.scalars(
                select(Activity.lead_id)
                .where(
                    Activity.lead_id.in_(chunk),
                    Activity.status == ActivityStatus.PLANNED,
                    Activity.cadence_step_id.is_not(None),
                )
                .distinct()
            )
        )
        idle = [lead for lead in chunk if lead not in running]
        if idle:
            start_cadences(session, now, idle)


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
