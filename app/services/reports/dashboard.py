"""The dashboard: every report for one filter over one read of the facts; a report by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.assignment import TimeToAssignment, time_to_assignment
from app.services.reports.cohorts import Cohorts, cohorts
from app.services.reports.conversion import Conversion, conversion
from app.services.reports.facts import Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.funnel import Funnel, funnel
from app.services.reports.handoff import HandoffScore, handoff_score
from app.services.reports.lifecycle import Lifecycle, lifecycle
from app.services.reports.opportunity import lead_to_opportunity
from app.services.reports.overview import Overview, overview, overview_from
from app.services.reports.pipeline_value import PipelineValue, pipeline_value
from app.services.reports.qualification import qualification
from app.services.reports.rates import RateReport
from app.services.reports.response_time import SpeedToLead, response_time
from app.services.reports.routing import RoutingAccuracy, routing_accuracy
from app.services.reports.sla import SlaCompliance, sla
from app.services.reports.sources import Sources, sources
from app.services.reports.stalls import Stalls, stalls
from app.services.reports.team import Team, team
from app.services.reports.trends import Trends, trends
from app.services.reports.velocity import Velocity, velocity


@dataclass(frozen=True)
class Dashboard:
    filter: MetricsFilter
    computed_at: datetime
    funnel: Funnel
    conversion: Conversion
    velocity: Velocity
    response_time: SpeedToLead
    sources: Sources
    team: Team
    stalls: Stalls
    overview: Overview
    qualification: RateReport
    lead_to_opportunity: RateReport
    time_to_assignment: TimeToAssignment
    handoff_score: HandoffScore
    sla: SlaCompliance
    routing_accuracy: RoutingAccuracy
    lifecycle: Lifecycle
    pipeline_value: PipelineValue
    cohorts: Cohorts
    trends: Trends

    def charts(self) -> dict[str, Report]:
        return {name: getattr(self, attr) for name, attr in REPORTS.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "filter": self.filter.to_dict(),
            "computed_at": self.computed_at.isoformat(),
            **{name: r.to_dict() for name, r in self.charts().items()},
        }


# CLI report name -> Dashboard attribute
REPORTS = {
    "funnel": "funnel",
    "conversion": "conversion",
    "velocity": "velocity",
    "response-time": "response_time",
    "sources": "sources",
    "team": "team",
    "stalls": "stalls",
    "overview": "overview",
    "qualification": "qualification",
    "lead-to-opportunity": "lead_to_opportunity",
    "time-to-assignment": "time_to_assignment",
    "handoff-score": "handoff_score",
    "sla": "sla",
    "routing-accuracy": "routing_accuracy",
    "mql-sql": "lifecycle",
    "pipeline-value": "pipeline_value",
    "cohorts": "cohorts",
    "trends": "trends",
}


def compute_report(
    session: Session,
    clock: Clock,
    flt: MetricsFilter,
    name: str,
    *,
    versus: tuple[date, date] | None = None,
) -> Report:
    """One report by its CLI name (funnel, conversion, velocity, response-time, ...);
    `versus` is the period the cohorts report compares with (default: the one before)."""
    if name == "cohorts":
        return cohorts(session, clock, flt, versus=versus)
    fn: Callable[[Session, Clock, MetricsFilter], Report] | None = {
        "funnel": funnel,
        "conversion": conversion,
        "velocity": velocity,
        "response-time": response_time,
        "sources": sources,
        "team": team,
        "stalls": stalls,
        "overview": overview,
        "qualification": qualification,
        "lead-to-opportunity": lead_to_opportunity,
        "time-to-assignment": time_to_assignment,
        "handoff-score": handoff_score,
        "sla": sla,
        "routing-accuracy": routing_accuracy,
        "mql-sql": lifecycle,
        "pipeline-value": pipeline_value,
        "cohorts": cohorts,
        "trends": trends,
    }.get(name)
    if fn is None:
        raise ValueError(f"Unknown report '{name}'. Use one of: {', '.join(REPORTS)}.")
    return fn(session, clock, flt)


def compute_dashboard(
    session: Session,
    clock: Clock,
    flt: MetricsFilter,
    *,
    check: Callable[[], None] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Dashboard:
    """Every chart's data for one filter. `check` raises to cancel between queries."""
    steps = 9

    def step(i: int, text: str) -> None:
        if check is not None:
            check()
        if progress is not None:
            progress(i, steps, text)

    st = stages_for(session, flt)
    step(0, "Bringing the report facts up to date")
    with journeys(session, flt, st) as j:
        step(1, "Funnel and sources")
        f = funnel(session, clock, flt, _j=j)
        s = sources(session, clock, flt, _j=j)
        step(2, "Stage conversion")
        c = conversion(session, clock, flt, _j=j)
        step(3, "Velocity")
        v = velocity(session, clock, flt, _j=j)
        step(4, "Speed to lead")
        r = response_time(session, clock, flt, _j=j)
        step(5, "Team")
        t = team(session, clock, flt, _j=j)
        step(6, "Stalls")
        x = stalls(session, clock, flt, _j=j)
        step(7, "Playbook metrics")
        life = lifecycle(session, clock, flt, _j=j)
        assign = time_to_assignment(session, clock, flt, _j=j)
        sla_ = sla(session, clock, flt, _j=j)
        routing = routing_accuracy(session, clock, flt, _j=j)
        qualified = qualification(session, clock, flt, _j=j)
        to_opportunity = lead_to_opportunity(session, clock, flt, _j=j)
        handoff = handoff_score(session, clock, flt, _j=j)
        value = pipeline_value(session, clock, flt, _j=j)
        step(8, "Cohorts and trends")
        co = cohorts(session, clock, flt, _j=j)
        tr = trends(session, clock, flt, _j=j)
    step(9, "Done")
    return Dashboard(
        filter=flt,
        computed_at=clock.now(),
        funnel=f,
        conversion=c,
        velocity=v,
        response_time=r,
        sources=s,
        team=t,
        stalls=x,
        overview=overview_from(life, assign, sla_, routing),
        time_to_assignment=assign,
        sla=sla_,
        routing_accuracy=routing,
        lifecycle=life,
        cohorts=co,
        trends=tr,
        qualification=qualified,
        lead_to_opportunity=to_opportunity,
        handoff_score=handoff,
        pipeline_value=value,
    )
