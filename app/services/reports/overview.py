"""The five funnel layers of the playbook (capture, qualify, assign, nurture, close), one key
figure each, for the strip at the top of Reports. Built from the lifecycle, time-to-assignment,
SLA and routing reports, so the dashboard computes nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import LeadStatus
from app.services.reports.assignment import TimeToAssignment, time_to_assignment
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import minutes_text, pct, rate
from app.services.reports.lifecycle import Lifecycle, lifecycle
from app.services.reports.playbook import Band
from app.services.reports.routing import RoutingAccuracy, routing_accuracy
from app.services.reports.sla import SlaCompliance, sla


@dataclass(frozen=True)
class LayerKpi:
    layer: str  # capture, qualify, assign, nurture, close
    label: str
    value: float | None
    text: str  # the value as shown
    detail: str  # one line under it
    band: Band | None
    status: str | None  # below / within / above the band


@dataclass(frozen=True)
class Overview(Report):
    title: str
    layers: list[LayerKpi]

    def layer(self, name: str) -> LayerKpi:
        return next(k for k in self.layers if k.layer == name)

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Layer", "Figure", "Value", "Band", "Detail"],
            [[k.layer, k.label, k.text, band_text(k), k.detail] for k in self.layers],
        )


def band_text(k: LayerKpi) -> str:
    if k.band is None:
        return ""
    return k.band.text("{:.0f} min" if k.layer == "assign" else "{:.0%}")


def overview_from(
    life: Lifecycle, assign: TimeToAssignment, sla_: SlaCompliance, routing: RoutingAccuracy
) -> Overview:
    captured = life.captured
    mql, sqls, opp, won = (life.step(n) for n in ("MQL", "SQL", "Opportunity", "Won"))
    nurture = life.statuses.get(LeadStatus.NURTURE, 0)
    lost = life.statuses.get(LeadStatus.LOST, 0)
    closed = won.leads + lost
    win_rate = rate(won.leads, closed)
    layers = [
        LayerKpi(
            "capture",
            "Leads captured",
            float(captured),
            f"{captured:,}",
            f"{mql.leads:,} marketing qualified ({pct(mql.cohort_rate)})",
            None,
            None,
        ),
        LayerKpi(
            "qualify",
            "Qualification rate",
            sqls.cohort_rate,
            pct(sqls.cohort_rate, 1),
            f"{sqls.leads:,} accepted by sales",
            sqls.band,
            sqls.status,
        ),
        LayerKpi(
            "assign",
            "Time to assignment",
            assign.median_minutes,
            minutes_text(assign.median_minutes),
            f"SLA met {pct(sla_.compliance)} · routing accuracy {pct(routing.accuracy)}",
            assign.band,
            assign.status,
        ),
        LayerKpi(
            "nurture",
            "In nurture",
            float(nurture),
            f"{nurture:,}",
            f"{pct(rate(nurture, captured))} of the leads captured",
            None,
            None,
        ),
        LayerKpi(
            "close",
            "Lead-to-opportunity",
            opp.cohort_rate,
            pct(opp.cohort_rate, 1),
            f"{won.leads:,} won · win rate {pct(win_rate)} of closed",
            opp.band,
            opp.status,
        ),
    ]
    off = [k for k in layers if k.status in ("below", "above")]
    if captured == 0:
        title = "No leads were captured in this period"
    elif off:
        title = "Outside the playbook: " + ", ".join(
            f"{k.label.lower()} {k.text} ({k.status} {band_text(k)})" for k in off
        )
    else:
        title = "Every layer is within the playbook's bands"
    return Overview(title=title, layers=layers)


def overview(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Overview:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        return overview_from(
            lifecycle(session, clock, flt, _j=j),
            time_to_assignment(session, clock, flt, _j=j),
            sla(session, clock, flt, _j=j),
            routing_accuracy(session, clock, flt, _j=j),
        )
