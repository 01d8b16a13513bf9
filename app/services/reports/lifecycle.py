"""MQL -> SQL -> opportunity: leads captured in the period at each step of the hand-off.

MQL: scored Medium or above, or accepted by sales (a lead sales took on was marketing
qualified by definition); SQL: moved past the first stage; opportunity: reached the
opportunity stage (Discovery complete); won. Each step's conversion from the previous, and
the two playbook rates (qualification 20-40 %, lead-to-opportunity 10-20 %) of the cohort.
The current status counts (nurture, lost...) feed the overview's nurture and close layers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, playbook_rows, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import pct, rate
from app.services.reports.playbook import LEAD_TO_OPPORTUNITY, MQL_TIERS, QUALIFICATION_RATE, Band
from app.services.reports.rates import opportunity_rank


@dataclass(frozen=True)
class LifecycleStep:
    name: str
    leads: int
    step_rate: float | None  # of the previous step
    cohort_rate: float | None  # of the leads captured
    band: Band | None  # the playbook's band for cohort_rate, where it has one
    status: str | None


@dataclass(frozen=True)
class Lifecycle(Report):
    title: str
    captured: int
    steps: list[LifecycleStep]
    statuses: dict[str, int]  # current status of the cohort's leads

    def step(self, name: str) -> LifecycleStep:
        return next(s for s in self.steps if s.name == name)

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Step", "Leads", "Of previous", "Of captured", "Band"],
            [
                [
                    s.name,
                    s.leads,
                    pct(s.step_rate, 1),
                    pct(s.cohort_rate, 1),
                    s.band.text() if s.band else "",
                ]
                for s in self.steps
            ],
        )


def lifecycle(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Lifecycle:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        rows = playbook_rows(j)
        opp = opportunity_rank(j)
    won_rank = len(st.funnel) - 1 if st.won_ids else None
    captured = mql = sql = opps = won = 0
    statuses = Counter[str]()
    for row in rows:
        n, r = row.leads, row.max_rank
        captured += n
        statuses[str(row.status)] += n
        accepted = r is not None and r >= 1
        mql += n if accepted or row.tier in MQL_TIERS else 0
        sql += n if accepted else 0
        opps += n if r is not None and r >= opp else 0
        won += n if r is not None and won_rank is not None and r >= won_rank else 0
    bands: dict[str, Band] = {"SQL": QUALIFICATION_RATE, "Opportunity": LEAD_TO_OPPORTUNITY}
    steps: list[LifecycleStep] = []
    previous = captured
    for name, n in (
        ("Captured", captured),
        ("MQL", mql),
        ("SQL", sql),
        ("Opportunity", opps),
        ("Won", won),
    ):
        share = rate(n, captured)
        band = bands.get(name)
        steps.append(
            LifecycleStep(
                name, n, rate(n, previous), share, band, band.status(share) if band else None
            )
        )
        previous = n
    if captured == 0:
        title = "No leads were captured in this period"
    else:
        title = (
            f"{captured:,} captured → {mql:,} MQL → {sql:,} SQL → {opps:,} opportunities "
            f"→ {won:,} won"
        )
    return Lifecycle(title=title, captured=captured, steps=steps, statuses=dict(statuses))
