"""The user actions on leads: one function each, `(uow, actor, ...) -> Result`.

Each checks the actor's permission first (services/auth.py), does the work through the
session-level functions of this package, commits, and says which leads changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.models import Lead
from app.services.auth import Actor, Perm, PermissionDenied, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError, NotFound
from app.services.leads.inbox import disqualify_lead as _disqualify
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
        try:
            changed = _assign(uow.session, uow.clock, lead_ids, owner_id, by_user_id=actor.user_id)
        except ValueError as exc:
            raise NotFound(str(exc)) from exc
        uow.commit()
    return Result(changed, Changes.for_leads(lead_ids, followups=bool(changed)))


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


def disqualify_lead(uow: UnitOfWork, actor: Actor, lead_id: int, reason: str) -> Result[None]:
    """Move the lead to its pipeline's Disqualified exit with a reason code."""
    with uow:
        require(actor, Perm.LEAD_MOVE)
        try:
            _disqualify(uow.session, uow.clock, lead_id, reason, by_user_id=actor.user_id)
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        uow.commit()
    return Result(None, Changes.for_leads([lead_id], followups=True))
