"""The user actions on leads: one function each, `(uow, actor, ...) -> Result`.

Each checks the actor's permission first (services/auth.py), does the work through the
session-level functions of this package, commits, and says which leads changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.models import Lead, LeadStatus
from app.services.accounts.core import adopt_owner, link_lead
from app.services.auth import Actor, Perm, PermissionDenied, can, require
from app.services.changes import Changes, Result
from app.services.duplicates.core import find_matches, refuse_duplicates
from app.services.errors import ActionError, NotFound
from app.services.followups.settings import load_settings
from app.services.leads import edit, hooks, moves
from app.services.leads.inbox import disqualify_lead as _disqualify
from app.services.leads.moves import GateAnswers, MoveResult
from app.services.leads.queries import record_lead_event
from app.services.pipeline.stages import list_stages
from app.services.routing.core import ContactResult
from app.services.routing.core import assign_leads as _assign
from app.services.routing.core import log_contact as _log_contact
from app.store.uow import UnitOfWork


def assign_leads(
    uow: UnitOfWork, actor: Actor, lead_ids: Sequence[int], owner_id: int | None
) -> Result[int]:
    """Hand leads to `owner_id` (None: unassign). Managers and the owner only.

    A rep taking an unassigned lead for themselves is `claim_lead`.
    """
    with uow:
        require(actor, Perm.LEAD_ASSIGN)
        found = set(uow.session.scalars(select(Lead.id).where(Lead.id.in_(list(lead_ids)))))
        missing = sorted(set(lead_ids) - found)
        if missing:
            raise NotFound(
                f"There is no lead {', '.join(map(str, missing))}; nothing was assigned."
            )
        try:
            changed = _assign(uow.session, uow.clock, lead_ids, owner_id, by_user_id=actor.user_id)
        except ValueError as exc:
            raise NotFound(str(exc)) from exc
        uow.commit()
    # The new owner's alert (timers.alerts.notify_assigned) is a change to alerts too.
    return Result(
        changed, Changes.for_leads(lead_ids, followups=bool(changed), alerts=bool(changed))
    )


def claim_lead(uow: UnitOfWork, actor: Actor, lead_id: int) -> Result[int]:
    """The actor takes an unassigned lead for themselves."""
    with uow:
        require(actor, Perm.LEAD_CLAIM)
        lead = uow.session.get(Lead, lead_id)
        if lead is None:
            raise NotFound(f"There is no lead {lead_id}.")
        if lead.owner_id is not None and lead.owner_id != actor.user_id:
            raise PermissionDenied(
                f"Lead {lead_id} already belongs to someone else; only a manager or the owner "
                "can reassign it.",
                Perm.LEAD_ASSIGN,
            )
        changed = _assign(
            uow.session, uow.clock, [lead_id], actor.user_id, by_user_id=actor.user_id
        )
        uow.commit()
    return Result(changed, Changes.for_leads([lead_id], followups=bool(changed)))


def log_contact(
    uow: UnitOfWork, actor: Actor, lead_id: int, channel: str, *, note: str | None = None
) -> Result[ContactResult]:
    """A touch done now by the actor (the first one stops the first-response countdown)."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        try:
            result = _log_contact(
                uow.session, uow.clock, lead_id, channel, actor.user_id, note=note
            )
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        except ValueError as exc:
            raise ActionError(str(exc)) from exc
        uow.commit()
    return Result(result, Changes.for_leads([lead_id], followups=True))


def disqualify_lead(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    reason: str,
    *,
    revisit_at: datetime | None = None,
    expected_version: int | None = None,
) -> Result[None]:
    """Move the lead to its pipeline's Disqualified exit with a reason code (`bad_timing`
    needs `revisit_at`)."""
    with uow:
        require(actor, Perm.LEAD_MOVE)
        try:
            _disqualify(
                uow.session,
                uow.clock,
                lead_id,
                reason,
                revisit_at=revisit_at,
                by_user_id=actor.user_id,
                expected_version=expected_version,
            )
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        uow.commit()
    return Result(None, Changes.for_leads([lead_id], followups=True))


def _refuse_assignment(actor: Actor, lead_id: int | None) -> None:
    if not can(actor, Perm.LEAD_ASSIGN):
        what = f"lead {lead_id}" if lead_id is not None else "a new lead"
        raise PermissionDenied(
            f"Only a manager or the owner can give {what} to someone else; {actor.name} is a "
            f"{actor.role}.",
            Perm.LEAD_ASSIGN,
        )


def create_lead(
    uow: UnitOfWork,
    actor: Actor,
    values: dict[str, Any],
    allow_duplicate: str | None = None,
) -> Result[int]:
    """A new lead in the first stage, linked to its account; it is scored, routed (when it has
    no owner; the account owner first) and its cadence starts. Returns its id. Giving it to
    someone else is an assignment. A lead with an existing lead's e-mail, or a very similar
    name and company, is refused (`DuplicateLeadError` naming it) unless `allow_duplicate`
    gives the reason to create it anyway."""
    reason = (allow_duplicate or "").strip()
    with uow:
        require(actor, Perm.LEAD_CREATE)
        matches = find_matches(uow.session, values)
        if not reason:
            refuse_duplicates(matches)
        lead = edit.create_lead(uow.session, uow.clock, values, actor.user_id)
        if lead.owner_id is not None and lead.owner_id != actor.user_id:
            _refuse_assignment(actor, None)
        link_lead(uow.session, uow.clock, lead)
        uow.session.flush()
        hooks.on_leads_created(uow.session, uow.clock, [lead.id], by_user_id=actor.user_id)
        adopt_owner(uow.session, lead)
        if matches:
            record_lead_event(
                uow.session, uow.clock, lead.id, "created_duplicate", actor.user_id,
                text=f"Created although lead {matches[0].lead_id} looks the same: {reason}",
                duplicate_of=[m.lead_id for m in matches],
            )  # fmt: skip
        lead_id = lead.id
        uow.commit()
    return Result(lead_id, Changes.for_leads([lead_id], followups=True, alerts=True))


def update_lead(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    values: dict[str, Any],
    expected_version: int | None = None,
) -> Result[list[str]]:
    """Set fields of a lead (names or aliases -> values); returns the names that changed.
    Changing the owner is an assignment (managers and the owner). Refuses a stale version."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        changed = edit.update_lead(
            uow.session, uow.clock, lead_id, values, actor.user_id, expected_version
        )
        if "owner_id" in changed:
            _refuse_assignment(actor, lead_id)  # nothing is committed: the edit is undone
        uow.commit()
    return Result(changed, Changes.for_leads([lead_id], followups="owner_id" in changed))


def edit_lead(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    values: dict[str, Any],
    expected_version: int | None = None,
) -> Result[edit.EditResult]:
    """Edit in place: set fields (validated as at import), rescore at once, and say how the
    score and tier moved. Refuses a stale version (StaleError names who changed the lead)."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        session = uow.session
        before = session.execute(select(Lead.score, Lead.tier).where(Lead.id == lead_id)).first()
        if before is None:
            raise NotFound(f"There is no lead {lead_id}.")
        changed = edit.update_lead(
            session, uow.clock, lead_id, values, actor.user_id, expected_version
        )
        if "owner_id" in changed:
            _refuse_assignment(actor, lead_id)
        session.flush()
        after = session.execute(
            select(Lead.score, Lead.tier, Lead.version).where(Lead.id == lead_id)
        ).one()
        uow.commit()
    value = edit.EditResult(
        lead_id, changed, after.version, before.score, after.score, before.tier, after.tier
    )
    return Result(value, Changes.for_leads([lead_id], followups="owner_id" in changed))


def move_lead(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    to_stage_id: int,
    expected_version: int | None = None,
    *,
    override_reason: str | None = None,
    reason_code: str | None = None,
    revisit_at: datetime | None = None,
    note: str | None = None,
    competitor: str | None = None,
) -> Result[MoveResult]:
    """Move a lead through the gates (see moves.move_lead). A blocked attempt is recorded and
    returned with moved=False; passing unmet gates with `override_reason` needs GATE_OVERRIDE."""
    with uow:
        require(actor, Perm.LEAD_MOVE)
        result = moves.move_lead(
            uow.session,
            uow.clock,
            lead_id,
            to_stage_id,
            actor.user_id,
            expected_version,
            override_reason=override_reason,
            reason_code=reason_code,
            revisit_at=revisit_at,
            note=note,
            competitor=competitor,
            may_override=can(actor, Perm.GATE_OVERRIDE),
        )
        uow.commit()
    # A move that closes or reopens a lead stops or starts its follow-ups too.
    moved = Changes.for_leads([lead_id], followups=result.moved)
    return Result(result, moved if result.kind != "same" else Changes())


def complete_move(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    to_stage_id: int,
    expected_version: int | None,
    answers: GateAnswers,
    override_reason: str | None = None,
) -> Result[MoveResult]:
    """The gate dialog's "fill in and move": store the answers, then try the move again."""
    with uow:
        require(actor, Perm.LEAD_MOVE)
        if answers.values or answers.schedule or answers.done:
            require(actor, Perm.LEAD_EDIT)
        lead = uow.session.get(Lead, lead_id)
        old_owner = lead.owner_id if lead is not None else None
        result = moves.complete_move(
            uow.session,
            uow.clock,
            lead_id,
            to_stage_id,
            actor.user_id,
            expected_version,
            answers,
            override_reason,
            may_override=can(actor, Perm.GATE_OVERRIDE),
        )
        lead = uow.session.get(Lead, lead_id)
        if lead is not None and lead.owner_id != old_owner:
            _refuse_assignment(actor, lead_id)
        uow.commit()
    touched = bool(answers.schedule or answers.done)
    return Result(result, Changes.for_leads([lead_id], followups=touched))


NURTURE_REASONS = ("no_fit", "no_timing")


def nurture_lead(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    reason: str,
    expected_version: int | None = None,
) -> Result[MoveResult]:
    """Take the offer to nurture (one click): the lead leaves New for its pipeline's Nurture
    exit with the reason recorded (`no_fit`: fails the fit signals; `no_timing`: no stated
    timing), to be revisited after the follow-up settings' nurture_revisit_days."""
    if reason not in NURTURE_REASONS:
        raise ActionError(
            f"'{reason}' is not a nurture reason; use {' or '.join(NURTURE_REASONS)}."
        )
    with uow:
        require(actor, Perm.LEAD_MOVE)
        lead = uow.session.get(Lead, lead_id)
        if lead is None:
            raise NotFound(f"There is no lead {lead_id}.")
        stages = list_stages(uow.session, lead.pipeline_id)
        nurture = next((s for s in stages if s.exit_status == LeadStatus.NURTURE), None)
        if nurture is None:
            raise ActionError("This lead's pipeline has no Nurture stage.")
        days = load_settings(uow.session).nurture_revisit_days
        result = moves.move_lead(
            uow.session,
            uow.clock,
            lead_id,
            nurture.id,
            actor.user_id,
            expected_version,
            reason_code=reason,
            revisit_at=uow.clock.now() + timedelta(days=days),
            note="Offered to nurture: " + moves.EXIT_REASONS[reason].lower(),
            stages=stages,
        )
        uow.commit()
    return Result(result, Changes.for_leads([lead_id], followups=True))


def undo_move(
    uow: UnitOfWork,
    actor: Actor,
    lead_id: int,
    back_to_stage_id: int,
    expected_version: int | None,
) -> Result[MoveResult]:
    """Move a lead back where it was, recorded as an undo (no gates)."""
    with uow:
        require(actor, Perm.LEAD_MOVE)
        result = moves.undo_move(
            uow.session, uow.clock, lead_id, back_to_stage_id, actor.user_id, expected_version
        )
        uow.commit()
    return Result(result, Changes.for_leads([lead_id], followups=True))
