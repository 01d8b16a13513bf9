"""Lead-to-opportunity rate: leads captured in the period that became opportunities (reached
Discovery complete), overall and per source, against the playbook's 10-20 %."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.playbook import LEAD_TO_OPPORTUNITY
from app.services.reports.rates import RateReport, opportunity_rank, rate_report


def lead_to_opportunity(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> RateReport:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        rank = opportunity_rank(j)
        return rate_report(
            j,
            rank,
            LEAD_TO_OPPORTUNITY,
            "Lead-to-opportunity",
            f"Leads captured in the period that reached {j.st.funnel[rank].name}."
            if len(j.st.funnel) > rank
            else "Leads captured in the period that became opportunities.",
        )
