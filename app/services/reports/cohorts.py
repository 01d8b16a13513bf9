"""Cohort comparison: two periods' captured leads side by side (by default the filter's period
and the one of the same length just before it), each with the playbook's rates and bands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, playbook_rows, stages_for
from app.services.reports.filters import MetricsFilter, day_of
from app.services.reports.formatting import minutes_text, money_text, pct, rate
from app.services.reports.playbook import LEAD_TO_OPPORTUNITY, QUALIFICATION_RATE, Band
from app.services.reports.rates import opportunity_rank

DEFAULT_DAYS = 28  # a period to compare when the filter has none: the last four weeks


@dataclass(frozen=True)
class CohortFigure:
    name: str
    current: float | None
    previous: float | None
    kind: str  # count, rate, minutes or money: how to print it
    band: Band | None

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class Cohorts(Report):
    title: str
    current: tuple[date, date]
    previous: tuple[date, date]
    figures: list[CohortFigure]

    def figure(self, name: str) -> CohortFigure:
        return next(f for f in self.figures if f.name == name)

    def table(self) -> tuple[list[str], list[list[Any]]]:
        head = [
            "Figure",
            f"{self.current[0]:%d %b %Y} – {self.current[1]:%d %b %Y}",
            f"{self.previous[0]:%d %b %Y} – {self.previous[1]:%d %b %Y}",
            "Band",
        ]
        return (
            head,
            [
                [
                    f.name,
                    show(f.current, f.kind),
                    show(f.previous, f.kind),
                    f.band.text() if f.band else "",
                ]
                for f in self.figures
            ],
        )


def show(value: float | None, kind: str) -> str:
    if kind == "rate":
        return pct(value, 1)
    if kind == "minutes":
        return minutes_text(value)
    if kind == "money":
        return money_text(value)
    return "n/a" if value is None else f"{value:,.0f}"


def periods(
    flt: MetricsFilter, today: date, versus: tuple[date, date] | None = None
) -> tuple[tuple[date, date], tuple[date, date]]:
    """The period compared (the filter's, else the last four weeks) and the one it is compared
    with (`versus`, else the same number of days just before)."""
    end = flt.date_to or today
    start = flt.date_from or end - timedelta(days=DEFAULT_DAYS - 1)
    if versus is not None:
        return (start, end), versus
    days = (end - start).days + 1
    return (start, end), (start - timedelta(days=days), start - timedelta(days=1))


def cohorts(
    session: Session,
    clock: Clock,
    flt: MetricsFilter,
    *,
    versus: tuple[date, date] | None = None,
    _j: Journeys | None = None,
) -> Cohorts:
    current, previous = periods(flt, clock.now().date(), versus)
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        a = _figures(j, current)
        b = _figures(j, previous)
    bands = {"Qualification rate": QUALIFICATION_RATE, "Lead-to-opportunity": LEAD_TO_OPPORTUNITY}
    kinds = {
        "Leads captured": "count",
        "Qualification rate": "rate",
        "Lead-to-opportunity": "rate",
        "Won": "count",
        "Won value": "money",
        "Contacted within 1 h": "rate",
    }
    figures = [CohortFigure(k, a[k], b[k], kinds[k], bands.get(k)) for k in kinds]
    leads_now, leads_before = a["Leads captured"] or 0, b["Leads captured"] or 0
    if not leads_now and not leads_before:
        title = "No leads were captured in either period"
    else:
        q = figures[1]
        title = f"{leads_now:,.0f} leads against {leads_before:,.0f} the period before"
        if q.current is not None and q.previous is not None:
            direction = "up" if q.current >= q.previous else "down"
            title += f"; qualification {direction} from {pct(q.previous)} to {pct(q.current)}"
    return Cohorts(title=title, current=current, previous=previous, figures=figures)


def _figures(j: Journeys, period: tuple[date, date]) -> dict[str, float | None]:
    start = day_of(MetricsFilter(date_from=period[0]).start)
    end = day_of(MetricsFilter(date_to=period[1]).end)
    opp = opportunity_rank(j)
    leads = qualified = opportunities = won = contacted = 0
    won_value = 0.0
    for row in playbook_rows(j, start, end, own=False):
        n, r = row.leads, row.max_rank
        leads += n
        qualified += n if r is not None and r >= 1 else 0
        opportunities += n if r is not None and r >= opp else 0
        contacted += row.contacted_1h
        if row.won:
            won += n
            won_value += row.value
    return {
        "Leads captured": float(leads),
        "Qualification rate": rate(qualified, leads),
        "Lead-to-opportunity": rate(opportunities, leads),
        "Won": float(won),
        "Won value": won_value,
        "Contacted within 1 h": rate(contacted, leads),
    }
