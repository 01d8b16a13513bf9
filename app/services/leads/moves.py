"""Moving leads between stages: gates, overrides, exits with reasons, undo, stale versions.

Every attempt leaves a `StageTransition`: forward, back, override (with the criteria it
skipped), blocked (with the criteria that refused it), exit (with its reason code) and reopen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import (
    Activity,
    ActivityStatus,
    Lead,
    LeadStatus,
    StageKind,
    StageTransition,
    TransitionKind,
    User,
)
from app.services.auth import Perm, PermissionDenied
from app.services.followups.settings import load_settings
from app.services.leads.edit import update_lead
from app.services.leads.queries import record_lead_event
from app.services.leads.transitions import (
    MoveError,
    StaleLeadError,
    Transition,
    apply_transition,
    check_version,
)
from app.services.pipeline.gates import UnmetCriterion, check_move, facts_for_lead
from app.services.pipeline.stages import StageInfo, list_stages

# Exit reason codes, their words, and what else each needs.
EXIT_REASONS: dict[str, str] = {
    "no_budget": "No budget",
    "no_authority": "No authority",
    "no_need": "No need",
    "bad_timing": "Bad timing",
    "lost_to_competitor": "Lost to a competitor",
    "went_cold": "Went cold",
    "duplicate": "Duplicate",
    "spam": "Spam",
    "no_fit": "Fails the fit signals",
    "no_timing": "No stated timing",
}
NEEDS_REVISIT = frozenset({"bad_timing", "went_cold"})
NEEDS_COMPETITOR = frozenset({"lost_to_competitor"})
UNDO_NOTE = "Undo"


class NotAllowedError(MoveError, PermissionDenied):
    """The user may not do this (a rep overriding a gate)."""

    exit_code = 4


# MoveError, StaleLeadError and check_version live in transitions; importable from here too.
__all__ = ["MoveError", "StaleLeadError", "check_version"]


@dataclass(frozen=True)
class MoveResult:
    moved: bool
    lead_id: int
    from_stage_id: int | None
    from_stage: str | None
    to_stage_id: int
    to_stage: str
    kind: str  # the transition recorded (forward/back/override/blocked/exit/reopen) or "same"
    unmet: list[UnmetCriterion] = field(default_factory=list)
    version: int = 0
    transition_id: int | None = None
    status: str = LeadStatus.OPEN

    def to_dict(self) -> dict[str, Any]:
        return {
            "moved": self.moved,
            "lead_id": self.lead_id,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "kind": self.kind,
            "status": self.status,
            "version": self.version,
            "unmet": [u.text for u in self.unmet],
            "unmet_detail": [u.to_dict() for u in self.unmet],
        }


def _stage(stages: list[StageInfo], stage_id: int | None) -> StageInfo | None:
    return next((s for s in stages if s.id == stage_id), None)


def find_stage(stages: list[StageInfo], ref: str | int) -> StageInfo | None:
    """A stage by id, exact name or case-insensitive name/prefix."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        found = _stage(stages, int(ref))
        if found:
            return found
    text = str(ref).strip().lower()
    for s in stages:
        if s.name.lower() == text:
            return s
    matches = [s for s in stages if s.name.lower().startswith(text)]
    return matches[0] if len(matches) == 1 else None


def move_lead(
    session: Session,
    clock: Clock,
    lead_id: int,
    to_stage_id: int,
    by_user: int | None,
    expected_version: int | None,
    override_reason: str | None = None,
    reason_code: str | None = None,
    revisit_at: datetime | None = None,
    note: str | None = None,
    *,
    competitor: str | None = None,
    undo: bool = False,
    stages: list[StageInfo] | None = None,
    may_override: bool | None = None,
) -> MoveResult:
    """Move a lead, or record why it could not move.

    Forward moves must pass the gates of every stage they leave; a manager or owner may
    override with a reason. Exits need a reason code. `expected_version` is the version the
    caller saw: a different one raises StaleLeadError naming who changed the lead and when.
    The caller commits (a blocked attempt is recorded too, so commit on moved=False as well).
    `may_override` is whether the actor's role may override a gate (default: the user's).
    """
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise MoveError(f"There is no lead {lead_id}.")
    check_version(session, lead, expected_version)
    stages = stages if stages is not None else list_stages(session, lead.pipeline_id)
    to_stage = _stage(stages, to_stage_id)
    if to_stage is None:
        raise MoveError(f"Stage {to_stage_id} is not in this lead's pipeline.")
    from_stage = _stage(stages, lead.stage_id)
    now = clock.now()
    check = check_move(stages, facts_for_lead(session, lead, now), lead.stage_id, to_stage.id)

    def result(moved: bool, kind: str, transition: StageTransition | None) -> MoveResult:
        return _result(moved, lead, from_stage, to_stage, kind, check.unmet, transition)

    if check.direction == "same":
        return result(False, "same", None)

    if check.direction == "exit":
        _validate_exit(reason_code, revisit_at, competitor, now)
        if reason_code == "went_cold" and not _worked(session, lead.id):
            raise MoveError(
                "'went_cold' is for a lead whose sequence was worked, and no follow-up of this "
                "one was done: work it, or pick the reason that fits."
            )
        if reason_code in NEEDS_COMPETITOR and revisit_at is None:
            # Competitive recapture: try again when the competitor's honeymoon is over.
            days = load_settings(session).recapture_revisit_days
            revisit_at = now + timedelta(days=days)

    kind: str = {
        "forward": TransitionKind.FORWARD,
        "back": TransitionKind.BACK,
        "exit": TransitionKind.EXIT,
        "reopen": TransitionKind.REOPEN,
    }[check.direction]
    if check.unmet:
        reason = (override_reason or "").strip()
        if not reason:
            blocked = _transition(session, lead, to_stage, TransitionKind.BLOCKED, by_user, now)
            blocked.unmet = check.labels
            blocked.note = note
            session.flush()
            return result(False, TransitionKind.BLOCKED, blocked)
        if may_override is None:  # not told by the caller's role: the user's own
            user = session.get(User, by_user) if by_user is not None else None
            may_override = user is not None and user.is_manager
        if not may_override:
            raise NotAllowedError(
                "Only a manager or the owner can override a gate; ask one to move this lead, "
                "or meet the missing criteria.",
                Perm.GATE_OVERRIDE,
            )
        kind = TransitionKind.OVERRIDE

    exit_fields: dict[str, Any] = {}
    transition_note = UNDO_NOTE if undo else note
    if to_stage.kind == StageKind.OPEN:
        status: str = LeadStatus.OPEN
        exit_fields = {"disqualify_reason": None, "revisit_at": None}
    else:
        status = to_stage.exit_status or (
            LeadStatus.WON if to_stage.kind == StageKind.WON else LeadStatus.LOST
        )
    if check.direction == "exit":
        exit_fields = {"disqualify_reason": reason_code, "revisit_at": revisit_at}
        if competitor:
            transition_note = f"Lost to {competitor.strip()}" + (f" · {note}" if note else "")
            lead.details = {**(lead.details or {}), "competitor": competitor.strip()}
    overriding = kind == TransitionKind.OVERRIDE
    transition = apply_transition(
        session,
        lead,
        Transition(
            to_stage.id,
            status,
            kind,
            reason_code=reason_code if check.direction == "exit" else None,
            note=transition_note,
            override_reason=(override_reason or "").strip() or None if overriding else None,
            unmet=check.labels if overriding else None,
            **exit_fields,
        ),
        now=now,
        by_user_id=by_user,
        expected_version=expected_version,
    )
    return result(True, kind, transition)


def _result(
    moved: bool,
    lead: Lead,
    from_stage: StageInfo | None,
    to_stage: StageInfo,
    kind: str,
    unmet: list[Any],
    transition: StageTransition | None,
) -> MoveResult:
    return MoveResult(
        moved,
        lead.id,
        from_stage.id if from_stage else None,
        from_stage.name if from_stage else None,
        to_stage.id,
        to_stage.name,
        kind,
        unmet,
        lead.version,
        transition.id if transition else None,
        lead.status,
    )


def _worked(session: Session, lead_id: int) -> bool:
    """Whether anyone did a follow-up of this lead (a done activity)."""
    done = select(Activity.id).where(
        Activity.lead_id == lead_id, Activity.status == ActivityStatus.DONE
    )
    return session.scalar(done.limit(1)) is not None


def _validate_exit(
    reason_code: str | None, revisit_at: datetime | None, competitor: str | None, now: datetime
) -> None:
    if not reason_code:
        raise MoveError(
            "Leaving the pipeline needs a reason code: " + ", ".join(EXIT_REASONS) + "."
        )
    if reason_code not in EXIT_REASONS:
        raise MoveError(
            f"'{reason_code}' is not a reason code. Use one of: {', '.join(EXIT_REASONS)}."
        )
    if reason_code in NEEDS_REVISIT and revisit_at is None:
        raise MoveError(f"'{reason_code}' needs a revisit date for when to try this lead again.")
    if revisit_at is not None and revisit_at <= now:
        raise MoveError("The revisit date must be in the future.")
    if reason_code in NEEDS_COMPETITOR and not (competitor or "").strip():
        raise MoveError("'lost_to_competitor' needs the competitor's name.")


def _transition(
    session: Session,
    lead: Lead,
    to_stage: StageInfo,
    kind: str,
    by_user: int | None,
    now: datetime,
) -> StageTransition:
    t = StageTransition(
        lead_id=lead.id,
        from_stage_id=lead.stage_id,
        to_stage_id=to_stage.id,
        kind=kind,
        at=now,
        by_user_id=by_user,
    )
    session.add(t)
    return t


def undo_move(
    session: Session,
    clock: Clock,
    lead_id: int,
    back_to_stage_id: int,
    by_user: int | None,
    expected_version: int | None,
) -> MoveResult:
    """Undo a move: move back to where the lead was, recorded as a move back marked "Undo".

    An undo never runs the gates (going back is always allowed; undoing an exit reopens).
    """
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise MoveError(f"There is no lead {lead_id}.")
    check_version(session, lead, expected_version)
    stages = list_stages(session, lead.pipeline_id)
    from_stage = _stage(stages, lead.stage_id)
    to_stage = _stage(stages, back_to_stage_id)
    if to_stage is None:
        raise MoveError(f"Stage {back_to_stage_id} is not in this lead's pipeline.")
    now = clock.now()
    if from_stage is not None and from_stage.kind == StageKind.OPEN:
        kind = TransitionKind.BACK
    else:
        kind = TransitionKind.REOPEN
    status = (
        LeadStatus.OPEN if to_stage.kind == StageKind.OPEN else (to_stage.exit_status or "open")
    )
    exit_fields: dict[str, Any] = {}
    if to_stage.kind == StageKind.OPEN:
        exit_fields = {"disqualify_reason": None, "revisit_at": None}
    transition = apply_transition(
        session,
        lead,
        Transition(to_stage.id, status, kind, note=UNDO_NOTE, **exit_fields),
        now=now,
        by_user_id=by_user,
        expected_version=expected_version,
    )
    return _result(True, lead, from_stage, to_stage, kind, [], transition)


def schedule_activity(
    session: Session,
    clock: Clock,
    lead_id: int,
    kind: str,
    due_at: datetime,
    by_user: int | None,
    subject: str | None = None,
) -> int:
    """Plan a call/meeting (what an "activity scheduled" gate asks for). Returns its id."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise MoveError(f"There is no lead {lead_id}.")
    activity = Activity(
        lead_id=lead_id,
        owner_id=lead.owner_id or by_user,
        type=kind,
        status=ActivityStatus.PLANNED,
        subject=subject
        or {"call": "Discovery call", "meeting": "Discovery meeting"}.get(kind, kind.title()),
        due_at=due_at,
        created_at=clock.now(),
    )
    session.add(activity)
    session.flush()
    record_lead_event(
        session, clock, lead_id, "activity_planned", by_user, text=f"Planned {activity.subject}"
    )
    return activity.id


def log_activity_done(
    session: Session, clock: Clock, lead_id: int, kind: str, by_user: int | None
) -> int:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise MoveError(f"There is no lead {lead_id}.")
    now = clock.now()
    activity = Activity(
        lead_id=lead_id,
        owner_id=lead.owner_id or by_user,
        type=kind,
        status=ActivityStatus.DONE,
        subject=kind.title(),
        due_at=now,
        done_at=now,
        created_at=now,
    )
    session.add(activity)
    session.flush()
    return activity.id


def has_future_activity(session: Session, lead_id: int, now: datetime) -> bool:
    return (
        session.scalar(
            select(Activity.id)
            .where(Activity.lead_id == lead_id)
            .where(Activity.status == ActivityStatus.PLANNED)
            .where(Activity.due_at > now)
            .limit(1)
        )
        is not None
    )


def is_rotting(session: Session, lead: Lead, now: datetime, stage: StageInfo | None) -> bool:
    """Past the stage's stale threshold AND nothing planned ahead: time alone never moves a
    lead, but a lead nobody plans to touch is rotting."""
    if stage is None or stage.kind != StageKind.OPEN or not stage.stale_hours:
        return False
    if lead.stage_entered_at is None:
        return False
    if now - lead.stage_entered_at <= timedelta(hours=stage.stale_hours):
        return False
    return not has_future_activity(session, lead.id, now)


@dataclass(frozen=True)
class GateAnswers:
    """What a person filled in the gate dialog to satisfy unmet criteria."""

    values: dict[str, Any] = field(default_factory=dict)  # field -> value (lead_edit rules)
    schedule: list[tuple[str, datetime]] = field(default_factory=list)  # (type, due)
    done: list[str] = field(default_factory=list)  # activity types logged as done


def complete_move(
    session: Session,
    clock: Clock,
    lead_id: int,
    to_stage_id: int,
    by_user: int | None,
    expected_version: int | None,
    answers: GateAnswers,
    override_reason: str | None = None,
    *,
    may_override: bool | None = None,
) -> MoveResult:
    """Store the answers to a blocked move's criteria, then try the move again.

    Returns the new attempt's result: moved, or still blocked with what is left.
    """
    if answers.values:
        update_lead(session, clock, lead_id, answers.values, by_user, expected_version)
    elif expected_version is not None:
        lead = session.get(Lead, lead_id)
        if lead is not None:
            check_version(session, lead, expected_version)
    for kind, due in answers.schedule:
        schedule_activity(session, clock, lead_id, kind, due, by_user)
    for kind in answers.done:
        log_activity_done(session, clock, lead_id, kind, by_user)
    return move_lead(
        session,
        clock,
        lead_id,
        to_stage_id,
        by_user,
        None,
        override_reason=override_reason,
        may_override=may_override,
    )
