"""Cadence templates: the default cadences, their steps, and editing them.

A cadence is a list of steps (offset in days from the start, channel, subject, script). The
defaults are seeded the first time they are needed; a manager edits them through api.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.models import (
    ActivityType,
    Cadence,
    CadenceStep,
)
from app.services.followups.settings import DEFAULT_SLA_MINUTES
from app.services.timers.windows import effective_tier
from app.services.validation import column_text, finite_number

REENGAGEMENT = "Re-engagement"
# What a reopened lead runs instead of its tier's first-touch cadence.
RECYCLE = "Recycle"
RECAPTURE = "Competitive recapture"
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
_RECYCLE = (
    "Hi {first_name},\n\nWhen we last spoke the timing was not right for {company}. Has "
    "anything changed since? If this is a better moment, I would be glad to pick up where we "
    "left off.\n\n{owner_name}"
)
_RECYCLE_CALL = (
    "Reopened lead: ask what changed at {company} since the last conversation (budget, "
    "priorities, people) and whether the original need is still open."
)
_RECAPTURE = (
    "Hi {first_name},\n\nIt has been a while since {company} chose another tool. How is it "
    "working out? If anything is missing, I would be glad to show what we do differently."
    "\n\n{owner_name}"
)
_RECAPTURE_CALL = (
    "Competitive recapture: ask how the chosen tool is working for {company}, what is missing, "
    "and when their contract renews."
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
# tier's first-response window (High: a working day's 8 h), so a cadence and the SLA agree.
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
            # Low has no first-response window: the nurture e-mail goes out after 3 days.
            (3.0, "email", "Welcome and a useful guide", _NURTURE),
            (29.0, "email", "Checking in", _ANGLE),
            (59.0, "email", "Re-engagement: still of interest?", _REENGAGE),
        ],
    ),
    (
        RECYCLE,
        None,
        [
            (0.0, "email", "Picking up where we left off", _RECYCLE),
            (3.0, "call", "Call: what changed since we last spoke", _RECYCLE_CALL),
            (10.0, "email", "Still worth a conversation?", _NURTURE),
        ],
    ),
    (
        RECAPTURE,
        None,
        [
            (0.0, "email", "How is your current tool working out?", _RECAPTURE),
            (4.0, "call", "Call: competitive recapture", _RECAPTURE_CALL),
            (14.0, "email", "Still worth a conversation?", _NURTURE),
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


MAX_OFFSET_DAYS = 366.0  # a cadence step is due within a year of the start


def step_offset(value: Any) -> float:
    """A step's offset in days: finite, from the start up to a year after it."""
    return finite_number("offset_days", value, 0, MAX_OFFSET_DAYS)


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
    if "offset_days" in changes:
        changes["offset_days"] = step_offset(changes["offset_days"])
    if "subject" in changes and changes["subject"] is not None:
        changes["subject"] = column_text("subject", changes["subject"], CadenceStep.subject)
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
    offset_days = step_offset(offset_days)
    subject = column_text("subject", subject, CadenceStep.subject)
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


def move_step(session: Session, step_id: int, up: bool) -> list[StepInfo]:
    """Move a step one place earlier (`up`) or later in its cadence.

    The two steps swap places and days: the timing slots stay where they were and the moved
    step takes its neighbour's day, so the cadence still runs in the order shown. Returns the
    cadence's steps in their new order.
    """
    step = session.get(CadenceStep, step_id)
    if step is None:
        raise LookupError(f"No cadence step {step_id}.")
    steps = sorted(step.cadence.steps, key=lambda s: (s.position, s.id))
    i = steps.index(step)
    j = i - 1 if up else i + 1
    if not 0 <= j < len(steps):
        raise ValueError(f"The step is already the {'first' if up else 'last'} of its cadence.")
    other = steps[j]
    steps[i], steps[j] = other, step
    step.offset_days, other.offset_days = other.offset_days, step.offset_days
    for position, s in enumerate(steps):
        s.position = position
    session.flush()
    session.refresh(step.cadence)
    return _cadence_info(step.cadence).steps


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
