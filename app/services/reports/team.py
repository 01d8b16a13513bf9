"""Team: open leads per rep against capacity, and routing accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import LeadStatus, Role, User
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import pct, rate


@dataclass(frozen=True)
class RepLoad:
    owner_id: int
    name: str
    open_leads: int
    capacity: int
    load: float | None  # open / capacity
    routed: int  # leads first routed to this rep in the period
    kept: int  # ... and still with them
    routing_accuracy: float | None


@dataclass(frozen=True)
class Team(Report):
    title: str
    reps: list[RepLoad]
    unassigned_open: int
    routed: int
    kept: int
    routing_accuracy: float | None

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Rep", "Open leads", "Capacity", "Load", "Routed", "Kept", "Routing accuracy"],
            [
                [
                    r.name,
                    r.open_leads,
                    r.capacity,
                    pct(r.load),
                    r.routed,
                    r.kept,
                    pct(r.routing_accuracy, 1),
                ]
                for r in self.reps
            ],
        )


def team(session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None) -> Team:
    """Open leads per rep now against capacity, and routing accuracy for leads captured in the
    period: the share still with the rep they were first routed to (an owner filter applies to
    the first owner here, or it would hide exactly the misroutes)."""
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        c = j.c
        open_rows: dict[int | None, int] = dict(
            session.execute(
                select(c.owner_id, func.count())
                .where(c.status == LeadStatus.OPEN, *j.scope(c), *j.owned())
                .group_by(c.owner_id)
            ).all()
        )
        kept_expr = case((c.owner_id == c.first_owner_id, 1), else_=0)
        routed_rows = {
            o: (int(n), int(k or 0))
            for o, n, k in session.execute(
                select(c.first_owner_id, func.count(), func.sum(kept_expr))
                .where(
                    c.first_owner_id.is_not(None),
                    *j.scope(c),
                    *j.owned(c.first_owner_id),
                    *j.period(c.captured_at),
                )
                .group_by(c.first_owner_id)
            )
        }
    users = session.execute(
        select(User.id, User.name, User.role, User.capacity).order_by(User.name)
    ).all()
    reps: list[RepLoad] = []
    for uid, name, role, capacity in users:
        if flt.owner_ids and uid not in flt.owner_ids:
            continue
        open_n = int(open_rows.get(uid, 0))
        routed, kept = routed_rows.get(uid, (0, 0))
        # Owners and managers appear only when they actually hold or were routed leads.
        if role != Role.REP and not open_n and not routed:
            continue
        reps.append(
            RepLoad(
                owner_id=uid,
                name=name,
                open_leads=open_n,
                capacity=int(capacity or 0),
                load=rate(open_n, capacity),
                routed=routed,
                kept=kept,
                routing_accuracy=rate(kept, routed),
            )
        )
    routed_total = sum(r for r, _ in routed_rows.values())
    kept_total = sum(k for _, k in routed_rows.values())
    accuracy = rate(kept_total, routed_total)
    unassigned = int(open_rows.get(None, 0))
    if not reps:
        title = "No reps to show"
    else:
        over = [r for r in reps if r.load is not None and r.load > 1]
        if over:
            worst = max(over, key=lambda r: r.load or 0)
            title = (
                f"{worst.name} carries {worst.open_leads:,} open leads, "
                f"{pct(worst.load)} of capacity"
            )
        else:
            top = max(reps, key=lambda r: r.load or 0)
            title = (
                f"Every rep is within capacity (highest: {top.name} at {pct(top.load)})"
                if top.load is not None
                else "No capacity set for the reps"
            )
        if accuracy is not None:
            title += f"; routing kept {pct(accuracy)} of leads with their first owner"
    return Team(
        title=title,
        reps=reps,
        unassigned_open=unassigned,
        routed=routed_total,
        kept=kept_total,
        routing_accuracy=accuracy,
    )
