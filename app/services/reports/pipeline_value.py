"""Pipeline value by source: for leads captured in the period, the deal value still open at or
past the opportunity stage, and the value won, per source. The playbook sets no band here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import LeadStatus
from app.services.reports.facts import Journeys, Report, journeys, playbook_rows, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import money_text
from app.services.reports.rates import opportunity_rank


@dataclass(frozen=True)
class SourceValue:
    source: str | None
    open_opportunities: int
    open_value: float
    won: int
    won_value: float

    @property
    def label(self) -> str:
        return self.source or "(no source)"


@dataclass(frozen=True)
class PipelineValue(Report):
    title: str
    open_value: float
    won_value: float
    by_source: list[SourceValue]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Source", "Open opportunities", "Open value", "Won", "Won value"],
            [
                [
                    s.label,
                    s.open_opportunities,
                    round(s.open_value, 2),
                    s.won,
                    round(s.won_value, 2),
                ]
                for s in self.by_source
            ],
        )


def pipeline_value(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> PipelineValue:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        rows = playbook_rows(j)
        opp = opportunity_rank(j)
    acc: dict[str | None, list[float]] = {}
    for row in rows:
        a = acc.setdefault(row.source, [0, 0.0, 0, 0.0])
        if row.status == LeadStatus.OPEN and row.max_rank is not None and row.max_rank >= opp:
            a[0] += row.leads
            a[1] += row.value
        if row.won:
            a[2] += row.leads
            a[3] += row.value
    by_source = sorted(
        (SourceValue(s, int(a[0]), a[1], int(a[2]), a[3]) for s, a in acc.items()),
        key=lambda s: (-(s.open_value + s.won_value), s.label),
    )
    open_value = sum(s.open_value for s in by_source)
    won_value = sum(s.won_value for s in by_source)
    if not by_source or open_value + won_value == 0:
        title = "No deal value in the pipeline from leads captured in this period"
    else:
        top = by_source[0]
        title = (
            f"{money_text(open_value)} open and {money_text(won_value)} won; "
            f"{top.label} brings the most ({money_text(top.open_value + top.won_value)})"
        )
    return PipelineValue(
        title=title, open_value=open_value, won_value=won_value, by_source=by_source
    )
