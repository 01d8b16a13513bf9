"""The owners' reports: funnel, stage conversion and time in stage, velocity, speed to lead,
sources, team and stalls, computed from the stage history with SQL aggregates.

One module per report under app/services/reports/ (funnel, sources, conversion, velocity,
response_time, team, stalls; the playbook's: qualification, opportunity, assignment,
handoff, sla, routing, lifecycle, pipeline_value, cohorts, trends and the five-layer
overview, with their bands in playbook.py), the dashboard that computes them all for one
filter (dashboard), what they share (filters, formatting, facts). This module keeps the
names the UI, the CLI, the tests and the bench import from it.

The charts aggregate per-lead facts (app/services/reports/journeys.py: a row per lead with its
journey, a row per first stay in an open stage, a row per blocked attempt or exit), kept up to
date incrementally from the stage history and brought current before each report, so no chart
re-reads the history. Every chart is one or two GROUP BYs over covering indexes. The same SQL
runs on SQLite and PostgreSQL: times are day numbers (days since 1970), and medians/p90 come
from histograms binned when the facts are built (nearest rank, to the hour or minute) rather
than from ranking every row.
Results are plain dataclasses: the CLI prints `to_dict()`, the charts draw the same objects,
and `table()` gives the rows a CSV export writes.

Rates with nothing to divide by are None ("n/a"), never 0% or 100%.
"""

from __future__ import annotations

from app.services.reports.assignment import (
    ASSIGNMENT_BUCKETS,
    NOT_ASSIGNED,
    TimeToAssignment,
    time_to_assignment,
)
from app.services.reports.cohorts import Cohorts, cohorts
from app.services.reports.conversion import Conversion, StageStat, conversion
from app.services.reports.dashboard import REPORTS, Dashboard, compute_dashboard, compute_report
from app.services.reports.facts import Journeys, Report
from app.services.reports.filters import FilterOptions, MetricsFilter, filter_options
from app.services.reports.formatting import days_text, humanize_code, minutes_text, pct
from app.services.reports.funnel import LOW_STEP, Funnel, FunnelStep, funnel, funnel_lead_ids
from app.services.reports.handoff import HandoffScore, handoff_score
from app.services.reports.journeys import UNSCORED
from app.services.reports.lifecycle import Lifecycle, lifecycle
from app.services.reports.overview import LayerKpi, Overview, overview
from app.services.reports.pipeline_value import PipelineValue, pipeline_value
from app.services.reports.response_time import (
    NOT_CONTACTED,
    SPEED_BUCKETS,
    SpeedGroup,
    SpeedToLead,
    response_time,
)
from app.services.reports.routing import RoutingAccuracy, routing_accuracy
from app.services.reports.sla import SlaCompliance, sla
from app.services.reports.sources import Sources, SourceStat, source_lead_ids, sources
from app.services.reports.stalls import Blocker, ExitReason, Stalls, stalls
from app.services.reports.team import RepLoad, Team, team
from app.services.reports.trends import Trends, trends
from app.services.reports.velocity import VELOCITY_TRAILING_WEEKS, Velocity, VelocityWeek, velocity

_Result = Report  # the old names of the shared classes
_Journeys = Journeys

__all__ = [
    "ASSIGNMENT_BUCKETS",
    "LOW_STEP",
    "NOT_ASSIGNED",
    "NOT_CONTACTED",
    "REPORTS",
    "SPEED_BUCKETS",
    "UNSCORED",
    "VELOCITY_TRAILING_WEEKS",
    "Blocker",
    "Cohorts",
    "Conversion",
    "Dashboard",
    "ExitReason",
    "FilterOptions",
    "Funnel",
    "FunnelStep",
    "HandoffScore",
    "LayerKpi",
    "Lifecycle",
    "MetricsFilter",
    "Overview",
    "PipelineValue",
    "RepLoad",
    "Report",
    "RoutingAccuracy",
    "SlaCompliance",
    "SourceStat",
    "Sources",
    "SpeedGroup",
    "SpeedToLead",
    "StageStat",
    "Stalls",
    "Team",
    "TimeToAssignment",
    "Trends",
    "Velocity",
    "VelocityWeek",
    "cohorts",
    "compute_dashboard",
    "compute_report",
    "conversion",
    "days_text",
    "filter_options",
    "funnel",
    "funnel_lead_ids",
    "handoff_score",
    "humanize_code",
    "lifecycle",
    "minutes_text",
    "overview",
    "pct",
    "pipeline_value",
    "response_time",
    "routing_accuracy",
    "sla",
    "source_lead_ids",
    "sources",
    "stalls",
    "team",
    "time_to_assignment",
    "trends",
    "velocity",
]
