"""Pipeline value by source: for leads captured in the period, the deal value still open at or
past the opportunity stage, and the value won, per source. The playbook sets no band here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import LeadStatus
from app.services.reports.facts import Journeys, Report, journeys, stages_for
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
                [s.label, s.open_opportunities, round(s.open_value, 2), s.won, round(s.won_value, 2)]
                for s in self.by_source
            ],
        )


def pipeline_value(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> PipelineValue:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        c = j.c
        is_open = (c.status == LeadStatus.OPEN) & (c.max_rank >= opportunity_rank(j))
        is_won = c.won == 1
        value = func.coalesce(c.value, 0.0)
        rows = session.execute(
            select(
                c.source,
                func.sum(case((is_open, 1), else_=0)),
                func.sum(case((is_open, value), else_=0.0)),
                func.sum(case((is_won, 1), else_=0)),
                func.sum(case((is_won, value), else_=0.0)),
            )
            .where(*j.cohort())
            .group_by(c.source)
        ).all()
    by_source = sorted(
        (
            SourceValue(s, int(o or 0), float(ov or 0), int(w or 0), float(wv or 0))
            for s, o, ov, w, wv in rows
        ),
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
    return PipelineValue(title=title, open_value=open_value, won_value=won_value, by_source=by_source)
