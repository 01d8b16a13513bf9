"""What must follow when leads are created or change hands, in one place.

Creation paths (the CLI, the kanban, the import) call these instead of knowing about scoring,
routing and cadences, so each feature plugs in here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Lead
from app.services.followups.cadence import (
    handle_assignment,
    handle_assignments,
    has_open_cadence,
    start_cadences,
)
from app.services.routing import core as routing
from app.services.scoring import core as scoring

if TYPE_CHECKING:
    from app.services.routing.core import RoutingDecision
    from app.services.scoring.core import EventFact, LeadFacts, ScoreResult


def on_leads_created(
    session: Session,
    clock: Clock,
    lead_ids: Sequence[int],
    *,
    route: bool = True,
    by_user_id: int | None = None,
) -> None:
    """New leads: score them, then route those without an owner (when `route`)."""
    if not lead_ids:
        return
    scoring.rescore_leads(session, clock, lead_ids)
    if route:
        # Scored first, so rules on tier see the new tier.
        routing.route_leads(session, clock, lead_ids, by_user_id=by_user_id, only_unowned=True)


class NewLeadsInline:
    """`on_leads_created` for a bulk writer that builds the rows itself (the import): each new
    lead is scored and routed in memory, in id order, before its row is written, so a big
    import does not read every new lead back and update it twice. Call `score` then `route`
    per lead, and `finish` once the rows are stored (rotation, cadences, late changes)."""

    def __init__(
        self, session: Session, clock: Clock, *, route: bool, by_user_id: int | None
    ) -> None:
        self.scorer = scoring.NewLeadScorer(session, clock)
        self.router = routing.Router(session, clock.now().date()) if route else None
        self.by_user_id = by_user_id
        self._assigned: list[tuple[int, int | None, int | None]] = []

    def score(self, facts: LeadFacts, events: Sequence[EventFact]) -> ScoreResult:
        return self.scorer.score(facts, events)

    def route(self, facts: Any) -> RoutingDecision | None:
        """The owner for a new lead (None when this import does not route)."""
        if self.router is None:
            return None
        decision = self.router.decide(facts)
        if decision.owner_id is not None:
            self._assigned.append((decision.lead_id, None, decision.owner_id))
        return decision

    def finish(
        self, session: Session, clock: Clock, changed_ids: Sequence[int], state: Any = None
    ) -> None:
        """After the rows are stored: save the rotation, start cadences for the assigned
        leads, and rescore leads whose facts changed after they were written (a later row of
        the file filled them in). Routing keeps the owner chosen when the lead was written."""
        if changed_ids:
            # Their first scoring was in this import: no tier crossing to record. Before the
            # cadences start: which cadence a lead gets follows its tier.
            # Small batches: `state` (progress and cancel) hears from it often.
            scoring.rescore_leads(
                session, clock, changed_ids, state, record_crossings=False, batch=1000
            )
        if self.router is not None:
            self.router.save_rotation(session)
            if self._assigned:
                on_leads_assigned(session, clock, self._assigned)


def on_leads_changed(session: Session, clock: Clock, lead_ids: Sequence[int]) -> None:
    """Leads whose facts changed (an edit, an import filling fields, new engagement events):
    rescore them now, so tier and first-response deadline follow (crossings are recorded).
    A lead that crossed into a faster tier gets that tier's cadence in place of the slower
    one it was running, and is routed again where a routing rule names its new tier."""
    if not lead_ids:
        return
    before = _tiers(session, lead_ids)
    scoring.rescore_leads(session, clock, lead_ids)
    after = _tiers(session, lead_ids)
    rank = {tier: i for i, tier in enumerate(reversed(scoring.TIER_ORDER))}
    risen = [
        lead_id
        for lead_id, tier in after.items()
        if rank.get(tier or "", -1) > rank.get(before.get(lead_id) or "", -1)
        and before.get(lead_id) is not None
    ]
    faster = [lead_id for lead_id in risen if has_open_cadence(session, lead_id)]
    if faster:
        start_cadences(session, clock.now(), faster)
    # Where a routing rule names the new tier (e.g. Urgent leads to the senior reps), the lead
    # is routed again; a new owner takes its steps and is told.
    routed_tiers = routing.tiers_routed_by_rule(session) if risen else set()
    again = [lead_id for lead_id in risen if after.get(lead_id) in routed_tiers]
    if again:
        routing.route_leads(session, clock, again)


def _tiers(session: Session, lead_ids: Sequence[int]) -> dict[int, str | None]:
    rows = session.execute(select(Lead.id, Lead.tier).where(Lead.id.in_(list(lead_ids))))
    return {int(lead_id): tier for lead_id, tier in rows}


def on_lead_assigned(
    session: Session,
    clock: Clock,
    lead_id: int,
    old_owner_id: int | None,
    new_owner_id: int | None,
) -> None:
    """A lead changed hands: start its cadence, or move its open steps to the new owner."""
    handle_assignment(session, clock, lead_id, old_owner_id, new_owner_id)


def on_leads_assigned(
    session: Session, clock: Clock, changes: Sequence[tuple[int, int | None, int | None]]
) -> None:
    """Many leads changed hands at once (routing a batch): (lead_id, old_owner, new_owner)."""
    handle_assignments(session, clock, changes)
