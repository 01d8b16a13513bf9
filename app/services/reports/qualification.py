"""Qualification rate: leads captured in the period that sales accepted (moved past the first
stage), overall and per source, against the playbook's 20-40 %."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.playbook import QUALIFICATION_RATE
from app.services.reports.rates import RateReport, rate_report


def qualification(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> RateReport:
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        return rate_report(
            j,
            1,
            QUALIFICATION_RATE,
            "Qualification rate",
            "Leads captured in the period that moved past the first stage.",
        )
