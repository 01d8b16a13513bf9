"""The user actions on routing: one function each, `(uow, actor, ...) -> Result`.

Routing hands leads to reps, so it is an assignment: managers and the owner only
(Perm.LEAD_ASSIGN). Each call is one unit of work and says which leads changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from app.models import Lead
from app.services import audit
from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError, NotFound
from app.services.routing.config import (
    RoutingConfig,
    load_config,
    members,
    parse_config,
    save_config,
)
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


def set_routing(uow: UnitOfWork, actor: Actor, data: Mapping[str, Any]) -> Result[RoutingConfig]:
    """Replace the territories, the ordered rules and the round-robin pool (managers and the
    owner). `data` is the shape `routing show --json` prints; a bad value refuses it all."""
    with uow:
        require(actor, Perm.ROUTING_EDIT)
        try:
            config = parse_config(data, members(uow.session))
        except ValueError as exc:
            raise ActionError(str(exc)) from exc
        save_config(uow.session, config, uow.clock.now())
        audit.record(
            uow.session,
            at=uow.clock.now(),
            entity="settings",
            entity_id=None,
            action="routing_saved",
            user_id=actor.user_id,
            data={"rules": len(config.rules), "territories": len(config.territories)},
        )
        saved = load_config(uow.session)
        uow.commit()
    return Result(saved, Changes(settings=True))
