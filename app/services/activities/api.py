"""The user actions on notes and activities: one function each, `(uow, actor, ...) -> Result`.

All need Perm.LEAD_EDIT (work on a lead); undoing someone else's log needs Perm.LEAD_ASSIGN
(a manager). Each checks first, does the work in core.py, commits and says what changed.
"""

from __future__ import annotations

from datetime import datetime

from app.services.activities import core
from app.services.auth import Actor, Perm, can, require
from app.services.changes import Changes, Result
from app.store.uow import UnitOfWork


def add_note(uow: UnitOfWork, actor: Actor, lead_id: int, text: str) -> Result[int]:
    """A note on the lead's timeline; the value is its id."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        note_id = core.add_note(uow.session, uow.clock, lead_id, text, actor.user_id)
        uow.commit()
    return Result(note_id, Changes.for_leads([lead_id]))


def log_activity(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    channel: str,
    outcome: str,
    *,
    note: str | None = None,
    next_at: datetime | None = None,
    next_kind: str | None = None,
    expected_version: int | None = None,
) -> Result[core.Logged]:
    """A call/e-mail/meeting/LinkedIn done now, with its outcome and note (a touch: the first
    one stops the first-response countdown); with `next_at`, the next step is planned."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        logged = core.log_activity(
            uow.session,
            uow.clock,
            lead_id,
            channel,
            outcome,
            actor.user_id,
            note=note,
            next_at=next_at,
            next_kind=next_kind,
            expected_version=expected_version,
        )
        uow.commit()
    return Result(logged, Changes.for_leads([lead_id], followups=True))


def undo_log(uow: UnitOfWork, actor: Actor, activity_id: int) -> Result[int]:
    """Take back a logged activity and the next step it planned; the value is the lead id."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        lead_id = core.undo_log(
            uow.session,
            uow.clock,
            activity_id,
            actor.user_id,
            may_any=can(actor, Perm.LEAD_ASSIGN) or actor.is_system,
        )
        uow.commit()
    return Result(lead_id, Changes.for_leads([lead_id], followups=True))


def schedule_followup(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    kind: str,
    due_at: datetime,
    subject: str | None = None,
) -> Result[int]:
    """Plan a follow-up on a lead (the calendar's "New follow-up"); the value is its id."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        activity_id = core.plan_next(
            uow.session, uow.clock, lead_id, kind, due_at, actor.user_id, subject
        )
        uow.commit()
    return Result(activity_id, Changes.for_leads([lead_id], followups=True))
