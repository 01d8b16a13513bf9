"""Funnel: leads captured in the period by the furthest stage each reached."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, reach_counts, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import pct, rate

LOW_STEP = 0.10  # a funnel step converting below this is flagged


@dataclass(frozen=True)
class FunnelStep:
    stage_id: int
    stage: str
    reached: int
    step_rate: float | None  # of the previous step's leads, the share that reached this one
    cumulative_rate: float | None  # of the cohort, the share that reached this one
    low: bool  # step conversion below LOW_STEP


@dataclass(frozen=True)
class Funnel(Report):
    title: str
    cohort: int
    steps: list[FunnelStep]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Stage", "Leads reaching", "Step conversion", "Cumulative conversion", "Below 10%"],
            [
                [s.stage, s.reached, pct(s.step_rate, 1), pct(s.cumulative_rate, 1), s.low]
                for s in self.steps
            ],
        )


def funnel(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Funnel:
    """Leads captured in the period, by the furthest stage each ever reached."""
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        reach = reach_counts(j)
    cohort = sum(n for *_, n in reach)
    at_rank = Counter[int]()
    for _s, _e, r, n in reach:
        if r is not None:
            at_rank[r] += n
    steps: list[FunnelStep] = []
    previous: int | None = None
    for i, stage in enumerate(st.funnel):
        reached = sum(n for r, n in at_rank.items() if r >= i)
        step_rate = rate(reached, previous) if previous is not None else rate(reached, cohort)
        cumulative = rate(reached, cohort)
        steps.append(
            FunnelStep(
                stage_id=stage.id,
                stage=stage.name,
                reached=reached,
                step_rate=step_rate,
                cumulative_rate=cumulative,
                low=i > 0 and step_rate is not None and step_rate < LOW_STEP,
            )
        )
        previous = reached
    return Funnel(title=_funnel_title(cohort, steps), cohort=cohort, steps=steps)


def _funnel_title(cohort: int, steps: list[FunnelStep]) -> str:
    if cohort == 0 or not steps:
        return "No leads were captured in this period"
    candidates = [
        (s.step_rate, steps[i - 1], s)
        for i, s in enumerate(steps)
        if i > 0 and s.step_rate is not None and steps[i - 1].reached >= 5
    ]
    if candidates:
        rate, before, after = min(candidates, key=lambda c: c[0])
        if rate < 0.5:
            word = "Only " if rate < 0.25 else ""
            return f"{word}{pct(rate)} of {before.stage} leads reach {after.stage}"
    last = steps[-1]
    return f"{pct(last.cumulative_rate)} of {cohort:,} leads captured reached {last.stage}"


def funnel_lead_ids(session: Session, flt: MetricsFilter, stage_id: int) -> list[int]:
    """Cohort leads that reached `stage_id` (or beyond): the people behind a funnel bar."""
    st = stages_for(session, flt)
    target = st.rank.get(stage_id)
    if target is None:
        return []
    with journeys(session, flt, st) as j:
        return list(
            session.scalars(
                select(j.c.lead_id).where(j.c.max_rank >= target, *j.cohort()).order_by(j.c.lead_id)
            )
        )
