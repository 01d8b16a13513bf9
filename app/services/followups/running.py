"""Running cadences: starting one for a lead plans one activity per step for the lead's owner
(`cadence_step_id` set); a logged reply stops it; a reassignment moves its open steps; the timer
sweep moves a lead that never replied to nurture (services/timers/sweep.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import (
    Activity,
    ActivityStatus,
    Cadence,
    CadenceStep,
    EngagementEvent,
    Lead,
    User,
)
from app.services import audit
from app.services.chunks import chunks
from app.services.followups.templates import (
    RECAPTURE,
    RECYCLE,
    cadence_by_name,
    cadence_for_tier,
)
from app.services.scoring.rescore import rescore_leads
from app.services.timers.alerts import notify_assigned
from app.services.timers.windows import effective_tier

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


@dataclass(frozen=True)
class StepPreview:
    """A step's subject and text as a real lead would get them."""

    lead_id: int
    lead_name: str
    subject: str
    body: str


def preview_step(session: Session, step_id: int, lead_id: int | None = None) -> StepPreview:
    """Fill a step's placeholders from a lead (the given one, else the newest with an
    owner, else the newest)."""
    step = session.get(CadenceStep, step_id)
    if step is None:
        raise LookupError(f"No cadence step {step_id}.")
    if lead_id is not None:
        lead = session.get(Lead, lead_id)
        if lead is None:
            raise LookupError(f"No lead {lead_id}.")
    else:
        newest = select(Lead).order_by(Lead.owner_id.is_(None), Lead.id.desc()).limit(1)
        lead = session.scalars(newest).first()
        if lead is None:
            raise LookupError("No lead to preview on yet: import or add one first.")
    owner = session.get(User, lead.owner_id) if lead.owner_id is not None else None
    context = _context(lead, owner.name if owner else None)
    return StepPreview(
        lead.id,
        lead.display_name or lead.company or f"Lead {lead.id}",
        render(step.subject, context),
        render(step.template, context),
    )


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
            Lead.authority,
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
        if cadence.tier is not None and _weak_authority(lead.title, lead.authority):
            rows.append(_stakeholder_step(lead.id, owner, cadence, ctx, now))
        plans.append((lead.id, cadence, owner))
    if not plans:
        return []
    planned = [p[0] for p in plans]
    _cancel_open_steps(session, planned, "Restarted", now)
    ids_by_lead: dict[int, list[int]] = {lid: [] for lid in planned}
    for chunk in chunks(rows, 2000):
        for aid, lid in session.execute(
            insert(Activity).returning(Activity.id, Activity.lead_id), chunk
        ):
            ids_by_lead[lid].append(aid)
    return [
        CadenceRun(lid, cadence.id, cadence.name, owner, sorted(ids_by_lead[lid]))
        for lid, cadence, owner in plans
    ]


# Authority points (of 20) below which the contact may not decide: map who does.
WEAK_AUTHORITY = 8


def _weak_authority(title: str | None, authority: int | None) -> bool:
    """The contact's role is known and scores weak on authority (an analyst, a coordinator)."""
    return bool((title or "").strip()) and (authority or 0) < WEAK_AUTHORITY


def _stakeholder_step(
    lead_id: int, owner: int, cadence: Cadence, ctx: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """A task added to a first-touch cadence when the contact's authority is weak: find out
    who decides and who signs (part of the cadence: it stops with it)."""
    first = cadence.steps[0]
    return {
        "lead_id": lead_id,
        "owner_id": owner,
        "type": "task",
        "status": ActivityStatus.PLANNED,
        "subject": render(STAKEHOLDER_SUBJECT, ctx)[:255],
        "notes": render(STAKEHOLDER_NOTES, ctx),
        "due_at": now + timedelta(days=first.offset_days + 1),
        "cadence_step_id": first.id,
        "created_at": now,
    }


STAKEHOLDER_SUBJECT = "Map the stakeholders at {company}"
STAKEHOLDER_NOTES = (
    "{first_name} may not decide alone. Find out who decides, who signs and who will use it "
    "at {company}, and how they buy."
)


def _cancel_open_steps(
    session: Session, lead_ids: Sequence[int], outcome: str, now: datetime
) -> int:
    total = 0
    for chunk in chunks(lead_ids, 1000):
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
    return stop_cadences(session, [lead_id], outcome, clock.now())


def stop_cadences(session: Session, lead_ids: Sequence[int], outcome: str, now: datetime) -> int:
    """Cancel the open cadence steps of leads that left the pipeline (won, lost...)."""
    return _cancel_open_steps(session, lead_ids, outcome, now)


def recycle_cadence_name(exit_reason: str | None) -> str:
    """The sequence a reopened lead runs: recapture after a competitor won it, else recycle."""
    return RECAPTURE if exit_reason == "lost_to_competitor" else RECYCLE


def start_recycles(
    session: Session, now: datetime, exit_reasons: Mapping[int, str | None]
) -> list[CadenceRun]:
    """Reopened leads (lead id -> the reason they had left): each starts its recycle sequence,
    never the first-touch cadence again."""
    by_name: dict[str, list[int]] = {}
    for lead_id, reason in exit_reasons.items():
        by_name.setdefault(recycle_cadence_name(reason), []).append(lead_id)
    runs: list[CadenceRun] = []
    for name, ids in sorted(by_name.items()):
        cadence = cadence_by_name(session, name)
        if cadence is not None:
            runs += start_cadences(session, now, sorted(ids), cadence_id=cadence.id)
    return runs


def log_reply(
    session: Session,
    clock: Clock,
    lead_id: int,
    *,
    user_id: int | None = None,
    note: str | None = None,
) -> int:
    """The lead replied: record it, count it as a touch, stop the cadence (steps cancelled)
    and rescore the lead at once (a reply is engagement: stored and explained score agree)."""
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
    rescore_leads(session, clock, [lead_id])
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


def record_handoffs(session: Session, now: datetime, lead_ids: Sequence[int]) -> None:
    """The hand-off to sales: the first time a lead gets an owner, when and at what score
    (the playbook's time-to-assignment and score-at-hand-off reports)."""
    t = Lead.__table__
    session.execute(
        update(t)  # type: ignore[arg-type]
        .where(t.c.id.in_(list(lead_ids)), t.c.assigned_at.is_(None))
        .values(assigned_at=now, handoff_score=t.c.score)
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
    chunk to find running cadences and one bulk start, instead of several queries a lead.
    Each new owner is notified (timers.alerts.notify_assigned)."""
    firsts = [lead for lead, old, new in changes if new is not None and old is None]
    for lead, old, new in changes:
        if new is not None and old is not None and new != old:
            move_open_steps(session, lead, new)
    now = clock.now()
    # The rep hears of it at once (an alert, and a tray message on their desktop).
    notify_assigned(
        session, now, [(lead, new) for lead, old, new in changes if new is not None and new != old]
    )
    for start in range(0, len(firsts), ASSIGNMENT_CHUNK):
        chunk = firsts[start : start + ASSIGNMENT_CHUNK]
        record_handoffs(session, now, chunk)
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
