"""The one rule for changing a lead's stage or status, and the history row it leaves.

Every path that moves a lead (the board and `leads move`, undo, the gate dialog's "fill in and
move", quick disqualify, the timer sweep) goes through `apply_transition` (one lead, through
the ORM and its version column) or `apply_transitions` (many leads, as Core updates that each
check the version they read). Each sets the stage, the status, when the lead entered the
stage, the exit reason and revisit date, records a `StageTransition`, touches
updated_at/updated_by and advances the lead's version; a lead that changed meanwhile is
refused (one lead: StaleLeadError) or skipped and reported (many leads).

What a status change sets off happens here too, so no path can forget it: leaving the
pipeline (won, lost, disqualified, nurture) stops the lead's open cadence steps, and coming
back into it (reopen, revisit, undo of an exit) starts a recycle sequence (competitive
recapture after a loss to a competitor), never the first-touch cadence again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.clock import ensure_utc
from app.models import AuditEvent, Lead, LeadStatus, Stage, StageTransition, User
from app.services.errors import ActionError, NotFound, StaleError
from app.services.followups.running import start_recycles, stop_cadences
from app.store.uow import VERSIONED_WRITES, UnitOfWork


class _Keep:
    """Leave this column as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


class MoveError(ActionError):
    """A move that cannot be made as asked (not a gate: those give a MoveResult)."""


class StaleLeadError(MoveError, StaleError):
    """The lead changed since the caller read it: refuse rather than overwrite."""

    def __init__(
        self,
        lead_id: int,
        expected: int,
        current: int,
        changed_by: str | None,
        changed_at: datetime | None,
        change: str | None = None,
    ) -> None:
        StaleError.__init__(
            self, f"Lead {lead_id}", expected, current, changed_by, changed_at, change
        )
        self.lead_id = lead_id


def _last_change(session: Session, lead: Lead) -> str | None:
    """What the change that made the lead stale was, when its record says: an edit's audit
    text ("Updated title") or a stage move ("Moved to Qualified")."""
    if lead.updated_at is None:
        return None
    since = ensure_utc(lead.updated_at) - timedelta(seconds=1)
    audit = session.execute(
        select(AuditEvent.at, AuditEvent.data)
        .where(AuditEvent.entity == "lead", AuditEvent.entity_id == lead.id)
        .where(AuditEvent.action != "tier_changed")  # rescoring keeps the version
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if audit is not None and ensure_utc(audit.at) >= since and (audit.data or {}).get("text"):
        return str(audit.data["text"])
    moved = session.execute(
        select(StageTransition.at, Stage.name)
        .join(Stage, Stage.id == StageTransition.to_stage_id)
        .where(StageTransition.lead_id == lead.id)
        .order_by(StageTransition.id.desc())
        .limit(1)
    ).first()
    if moved is not None and ensure_utc(moved.at) >= since:
        return f"Moved to {moved.name}"
    return None


def _stale(session: Session, lead: Lead, expected: int) -> StaleLeadError:
    who = session.get(User, lead.updated_by_id) if lead.updated_by_id else None
    return StaleLeadError(
        lead.id,
        expected,
        lead.version,
        who.name if who else None,
        lead.updated_at,
        _last_change(session, lead),
    )


def check_version(session: Session, lead: Lead, expected_version: int | None) -> None:
    """Refuse (StaleLeadError naming who and when) unless the lead is at `expected_version`."""
    if expected_version is None or lead.version == expected_version:
        return
    raise _stale(session, lead, expected_version)


@dataclass(frozen=True)
class Transition:
    """Where a lead goes and what its history row says.

    `to_stage_id` None leaves the lead in its stage (a quick exit in a pipeline without that
    exit stage); `disqualify_reason`, `revisit_at` and `pipeline_id` default to unchanged.
    """

    to_stage_id: int | None
    status: str
    kind: str
    reason_code: str | None = None
    note: str | None = None
    override_reason: str | None = None
    unmet: list[Any] | None = None
    disqualify_reason: str | _Keep | None = KEEP
    revisit_at: datetime | _Keep | None = KEEP
    pipeline_id: int | _Keep | None = KEEP
    restart_stage_clock: bool = True  # stage_entered_at = now even when the stage stays

    def lead_values(self, now: datetime) -> dict[str, Any]:
        values: dict[str, Any] = {"status": self.status}
        if self.to_stage_id is not None:
            values["stage_id"] = self.to_stage_id
        if self.to_stage_id is not None or self.restart_stage_clock:
            values["stage_entered_at"] = now
        for name in ("disqualify_reason", "revisit_at", "pipeline_id"):
            value = getattr(self, name)
            if not isinstance(value, _Keep):
                values[name] = value
        return values

    def history_row(
        self, lead_id: int, from_stage_id: int | None, now: datetime, by_user_id: int | None
    ) -> dict[str, Any]:
        return {
            "lead_id": lead_id,
            "from_stage_id": from_stage_id,
            "to_stage_id": self.to_stage_id,
            "kind": self.kind,
            "at": now,
            "by_user_id": by_user_id,
            "reason_code": self.reason_code,
            "note": self.note,
            "override_reason": self.override_reason,
            "unmet": self.unmet,
        }


def apply_transition(
    session: Session,
    lead: Lead,
    transition: Transition,
    *,
    now: datetime,
    by_user_id: int | None,
    expected_version: int | None = None,
) -> StageTransition:
    """Move one lead (see the module). Raises StaleLeadError when the lead is not at
    `expected_version`, or when another workstation committed it meanwhile (the ORM's version
    column). The caller commits."""
    check_version(session, lead, expected_version)
    before = (lead.status, lead.disqualify_reason)
    row = StageTransition(**transition.history_row(lead.id, lead.stage_id, now, by_user_id))
    session.add(row)
    for name, value in transition.lead_values(now).items():
        setattr(lead, name, value)
    lead.updated_at = now
    lead.updated_by_id = by_user_id
    lead_id, seen = lead.id, lead.version
    try:
        session.flush()
    except StaleDataError as exc:
        session.rollback()
        fresh = session.get(Lead, lead_id)
        if fresh is None:
            raise MoveError(f"Lead {lead_id} was deleted meanwhile.") from exc
        raise _stale(session, fresh, expected_version or seen) from exc
    follow_status_changes(session, [(lead_id, *before, transition.status)], now)
    return row


def follow_status_changes(
    session: Session, changes: Sequence[tuple[int, str | None, str | None, str]], now: datetime
) -> None:
    """(lead id, old status, old exit reason, new status) of moved leads: an exit stops the
    open cadence steps, a reopen starts the recycle sequence. The caller commits."""
    exited: dict[str, list[int]] = {}
    reopened: dict[int, str | None] = {}
    for lead_id, old, reason, new in changes:
        if new != LeadStatus.OPEN:
            exited.setdefault(new, []).append(lead_id)
        elif old is not None and old != LeadStatus.OPEN:
            reopened[lead_id] = reason
    for status, ids in sorted(exited.items()):
        stop_cadences(session, ids, f"Closed: {status}", now)
    if reopened:
        start_recycles(session, now, reopened)


@dataclass(frozen=True)
class LeadState:
    lead_id: int
    pipeline_id: int | None
    stage_id: int | None
    version: int
    status: str | None = LeadStatus.OPEN
    exit_reason: str | None = None


def lead_states(session: Session, lead_ids: Sequence[int]) -> list[LeadState]:
    """What a bulk transition needs to know of each lead (its version above all), by id."""
    states: list[LeadState] = []
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Lead.id,
                Lead.pipeline_id,
                Lead.stage_id,
                Lead.version,
                Lead.status,
                Lead.disqualify_reason,
            ).where(Lead.id.in_(ids[start : start + 500]))
        ).all()
        states += [LeadState(int(r[0]), r[1], r[2], int(r[3]), r[4], r[5]) for r in rows]
    return sorted(states, key=lambda s: s.lead_id)


@dataclass(frozen=True)
class PlannedTransition:
    """One lead of a bulk transition: the state it was read in and where it goes."""

    state: LeadState
    transition: Transition


@dataclass
class BulkOutcome:
    applied: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)  # changed since read: left as they were


def apply_transitions(
    session: Session,
    planned: Sequence[PlannedTransition],
    *,
    now: datetime,
    by_user_id: int | None,
) -> BulkOutcome:
    """Move many leads with Core updates, each `... SET version = version + 1 WHERE id = :id
    AND version = :expected`: a lead whose version moved since it was read is skipped and
    reported in `stale`, and gets no history row. The caller commits.

    The session's identity map is not refreshed (the updates bypass it): expire or re-read
    leads loaded before.
    """
    outcome = BulkOutcome()
    rows: list[dict[str, Any]] = []
    changes: list[tuple[int, str | None, str | None, str]] = []
    for item in planned:
        state, transition = item.state, item.transition
        result = session.execute(
            update(Lead)
            .where(Lead.id == state.lead_id, Lead.version == state.version)
            .values(
                version=Lead.version + 1,
                updated_at=now,
                updated_by_id=by_user_id,
                **transition.lead_values(now),
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            outcome.stale.append(state.lead_id)
            continue
        outcome.applied.append(state.lead_id)
        rows.append(transition.history_row(state.lead_id, state.stage_id, now, by_user_id))
        changes.append((state.lead_id, state.status, state.exit_reason, transition.status))
    if rows:
        session.execute(insert(StageTransition), rows)
    follow_status_changes(session, changes, now)
    return outcome


def _stale_lead_write(exc: BaseException, session: Session) -> ActionError | None:
    """An ORM write refused by a lead's version column (StaleDataError) as the one line a
    move gives (leads.transitions): which lead, who changed it, when and how."""
    if not isinstance(exc, StaleDataError):
        return None
    writes = session.info.get(VERSIONED_WRITES, {})
    seen = {key: version for (cls, key), version in writes.items() if issubclass(cls, Lead)}
    session.rollback()
    for lead_id, expected in sorted(seen.items()):
        fresh = session.get(Lead, lead_id)
        if fresh is None:
            return NotFound(f"Lead {lead_id} was deleted meanwhile; nothing was changed.")
        if fresh.version != expected:
            return _stale(session, fresh, expected)
    return ActionError(
        "Someone else changed this record meanwhile; nothing was changed. Refresh it and try again."
    )


# Every unit of work turns a lead write refused by its version column into that one line.
UnitOfWork.translators.insert(0, _stale_lead_write)
