"""Routing accuracy: of the leads captured in the period and routed to a rep, the share still
owned by that first rep (never reassigned by hand or by a missed-cadence rule), against the
playbook's 90 % target; per first rep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for, user_names
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import pct, rate
from app.services.reports.playbook import ROUTING_ACCURACY, Band


@dataclass(frozen=True)
class RepRouting:
    owner_id: int
    name: str
    routed: int
    kept: int
    accuracy: float | None
    status: str | None


@dataclass(frozen=True)
class RoutingAccuracy(Report):
    title: str
    definition: str
    routed: int
    kept: int
    accuracy: float | None
    band: Band
    status: str | None
    reps: list[RepRouting]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows = [["Everyone", self.routed, self.kept, pct(self.accuracy, 1)]]
        rows += [[r.name, r.routed, r.kept, pct(r.accuracy, 1)] for r in self.reps]
        return (["First rep", "Routed", "Still theirs", "Routing accuracy"], rows)


DEFINITION = (
    "Leads captured in the period and routed to a rep that the same rep still owns "
    "(not reassigned)."
)


def routing_accuracy(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> RoutingAccuracy:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        c = j.c
        kept_expr = case((c.owner_id == c.first_owner_id, 1), else_=0)
        rows = session.execute(
            select(c.first_owner_id, func.count(), func.sum(kept_expr))
            .where(
                c.first_owner_id.is_not(None),
                *j.scope(c),
                *j.owned(c.first_owner_id),
                *j.period(c.captured_at),
            )
            .group_by(c.first_owner_id)
        ).all()
    names = user_names(session)
    band = ROUTING_ACCURACY
    reps = sorted(
        (
            RepRouting(
                int(o),
                names.get(int(o), "?"),
                int(n),
                int(k or 0),
                rate(int(k or 0), int(n)),
                band.status(rate(int(k or 0), int(n))),
            )
            for o, n, k in rows
        ),
        key=lambda r: r.name,
    )
    routed = sum(r.routed for r in reps)
    kept = sum(r.kept for r in reps)
    accuracy = rate(kept, routed)
    if accuracy is None:
        title = "No lead captured in this period was routed to a rep"
    else:
        verdict = "meets" if band.status(accuracy) == "within" else "misses"
        title = (
            f"Routing kept {pct(accuracy, 1)} of {routed:,} leads with their first rep: "
            f"{verdict} the {band.text()} target"
        )
    return RoutingAccuracy(
        title=title,
        definition=DEFINITION,
        routed=routed,
        kept=kept,
        accuracy=accuracy,
        band=band,
        status=band.status(accuracy),
        reps=reps,
    )
