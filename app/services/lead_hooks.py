"""What must follow when leads are created or change hands, in one place.

Creation paths (the CLI, the kanban, the import) call these instead of knowing about scoring,
routing and cadences, so each feature plugs in here once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.clock import Clock


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
    # Imported here: the hooks module is the seam every feature imports, so it must not
    # pull every feature in at import time (and scoring/routing import it back).
    from app.services import routing, scoring

    scoring.rescore_leads(session, clock, lead_ids)
    if route:
        # Scored first, so rules on tier see the new tier.
        routing.route_leads(session, clock, lead_ids, by_user_id=by_user_id, only_unowned=True)


def on_leads_changed(session: Session, clock: Clock, lead_ids: Sequence[int]) -> None:
    """Leads whose facts changed (an edit, an import filling fields, new engagement events):
    rescore them now, so tier and first-response deadline follow (crossings are recorded)."""
    if not lead_ids:
        return
    from app.services import scoring

    scoring.rescore_leads(session, clock, lead_ids)


def on_lead_assigned(
    session: Session,
    clock: Clock,
    lead_id: int,
    old_owner_id: int | None,
    new_owner_id: int | None,
) -> None:
    """A lead changed hands: start its cadence, or move its open steps to the new owner."""
    from app.services.cadence import handle_assignment

    handle_assignment(session, clock, lead_id, old_owner_id, new_owner_id)


def on_leads_assigned(
    session: Session, clock: Clock, changes: Sequence[tuple[int, int | None, int | None]]
) -> None:
    """Many leads changed hands at once (routing a batch): (lead_id, old_owner, new_owner)."""
    from app.services.cadence import handle_assignments

    handle_assignments(session, clock, changes)
