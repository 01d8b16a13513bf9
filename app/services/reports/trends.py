"""Trends per source: leads captured week by week for the biggest sources (the rest as
"Other sources"), with each week's qualification rate."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter, day_of
from app.services.reports.formatting import pct, rate
from app.services.reports.journeys import MONDAY, floor_int
from app.services.reports.playbook import QUALIFICATION_RATE, Band

TOP_SOURCES = 5
MAX_WEEKS = 26  # without a start date: the last half year
OTHER = "Other sources"
_EPOCH_DAY = date(1970, 1, 1)


@dataclass(frozen=True)
class SourceTrend:
    source: str
    leads: list[int]  # per week
    qualification: list[float | None]  # per week


@dataclass(frozen=True)
class Trends(Report):
    title: str
    weeks: list[date]  # Mondays
    sources: list[SourceTrend]
    band: Band  # for the qualification series

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows = [
            [s.source, f"{w:%Y-%m-%d}", s.leads[i], pct(s.qualification[i], 1)]
            for s in self.sources
            for i, w in enumerate(self.weeks)
        ]
        return (["Source", "Week starting", "Leads", "Qualification rate"], rows)


def _monday(week: int) -> date:
    return _EPOCH_DAY + timedelta(days=week * 7 + MONDAY)


def trends(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Trends:
    st = _j.st if _j else stages_for(session, flt)
    start = flt.date_from
    if start is None:
        start = (flt.date_to or clock.now().date()) - timedelta(weeks=MAX_WEEKS)
    with journeys(session, flt, st, _j) as j:
        c = j.c
        week = floor_int(session, (c.captured_at - MONDAY) / 7.0)
        rows = session.execute(
            select(c.source, week, func.count(), func.sum(case((c.max_rank >= 1, 1), else_=0)))
            .where(
                *j.scope(c),
                *j.owned(),
                *j.period(c.captured_at),
                c.captured_at >= day_of(MetricsFilter(date_from=start).start),
            )
            .group_by(c.source, week)
        ).all()
    totals = Counter[str]()
    for s, _w, n, _q in rows:
        totals[s or "(no source)"] += int(n)
    top = [s for s, _ in totals.most_common(TOP_SOURCES)]
    cells: dict[tuple[str, int], list[int]] = {}
    weeks_seen: set[int] = set()
    for s, w, n, q in rows:
        name = s or "(no source)"
        key = (name if name in top else OTHER, int(w))
        acc = cells.setdefault(key, [0, 0])
        acc[0] += int(n)
        acc[1] += int(q or 0)
        weeks_seen.add(int(w))
    week_numbers = list(range(min(weeks_seen), max(weeks_seen) + 1)) if weeks_seen else []
    names = top + ([OTHER] if any(k[0] == OTHER for k in cells) else [])
    sources = [
        SourceTrend(
            name,
            [cells.get((name, w), [0, 0])[0] for w in week_numbers],
            [
                rate(cells.get((name, w), [0, 0])[1], cells.get((name, w), [0, 0])[0])
                for w in week_numbers
            ],
        )
        for name in names
    ]
    weeks = [_monday(w) for w in week_numbers]
    if not sources:
        title = "No leads were captured in this period"
    elif len(weeks) < 2:
        title = f"{sources[0].source} brings the most leads; trends need two weeks or more"
    else:
        half = len(weeks) // 2

        def growth(s: SourceTrend) -> float:
            return sum(s.leads[half:]) - sum(s.leads[:half])

        rising = max(sources, key=growth)
        title = (
            f"{rising.source} is rising most: {sum(rising.leads[half:]):,} leads in the "
            f"last {len(weeks) - half} weeks against {sum(rising.leads[:half]):,} before"
            if growth(rising) > 0
            else f"{sources[0].source} brings the most leads, {totals[sources[0].source]:,}"
        )
    return Trends(title=title, weeks=weeks, sources=sources, band=QUALIFICATION_RATE)
