"""The user actions on routing: one function each, `(uow, actor, ...) -> Result`.

Routing hands leads to reps, so it is an assignment: managers and the owner only
(Perm.LEAD_ASSIGN). Each call is one unit of work and says which leads changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.models import Lead
from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import NotFound
from app.services.routing.core import RoutingDecision, unassigned_lead_ids
from app.services.routing.core import route_leads as _route
from app.store.uow import UnitOfWork


def route_leads(
    uow: UnitOfWork, actor: Actor, lead_ids: Sequence[int]
) -> Result[list[RoutingDecision]]:
    """(Re-)route these leads through the chain: owners and reasons are written, a changed
    owner is audited as a reassignment. Unknown ids refuse the whole call."""
    with uow:
        require(actor, Perm.LEAD_ASSIGN)
        wanted = list(dict.fromkeys(lead_ids))
        found = set(uow.session.scalars(select(Lead.id).where(Lead.id.in_(wanted))))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"No lead with id {', '.join(map(str, missing))}.")
        decisions = _route(uow.session, uow.clock, wanted, by_user_id=actor.user_id)
        uow.commit()
    return Result(decisions, _changes(decisions))


def route_unassigned(uow: UnitOfWork, actor: Actor) -> Result[list[RoutingDecision]]:
    """Route every open lead without an owner (the manager's queue included)."""
    with uow:
        require(actor, Perm.LEAD_ASSIGN)
        ids = unassigned_lead_ids(uow.session)
        decisions = _route(uow.session, uow.clock, ids, by_user_id=actor.user_id)
        uow.commit()
    return Result(decisions, _changes(decisions))


def _changes(decisions: Sequence[RoutingDecision]) -> Changes:
    # A new owner starts (or moves) the lead's cadence: follow-ups change too.
    moved = any(d.owner_id != d.previous_owner_id for d in decisions)
    # ...and the new owner's alert (timers.alerts.notify_assigned).
    return Changes.for_leads([d.lead_id for d in decisions], followups=moved, alerts=moved)
