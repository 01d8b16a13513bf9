"""Sources: volume, qualification and close rate per source and event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Lead
from app.services.reports.facts import Journeys, Report, journeys, reach_counts, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import pct, rate

_l = Lead.__table__


@dataclass(frozen=True)
class SourceStat:
    source: str | None
    event: str | None
    leads: int
    qualified: int
    won: int
    qualification_rate: float | None
    close_rate: float | None

    @property
    def label(self) -> str:
        if self.event:
            return self.event
        return self.source or "(no source)"


@dataclass(frozen=True)
class Sources(Report):
    title: str
    by_source: list[SourceStat]
    by_event: list[SourceStat]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows = [
            [
                "Event" if s.event else "Source",
                s.label,
                s.leads,
                s.qualified,
                s.won,
                pct(s.qualification_rate, 1),
                pct(s.close_rate, 1),
            ]
            for s in [*self.by_source, *self.by_event]
        ]
        return (
            ["Kind", "Name", "Leads", "Qualified", "Won", "Qualification rate", "Close rate"],
            rows,
        )


def sources(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Sources:
    """Volume, qualification (reached past the first stage) and close rate per source/event."""
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        reach = reach_counts(j)
    won_rank = len(st.funnel) - 1 if st.won_ids else None
    by_source: dict[str | None, list[int]] = {}
    by_event: dict[tuple[str | None, str], list[int]] = {}
    for source, event, r, n in reach:
        q = n if r is not None and r >= 1 else 0
        w = n if r is not None and won_rank is not None and r >= won_rank else 0
        accs = [by_source.setdefault(source, [0, 0, 0])]
        if event:
            accs.append(by_event.setdefault((source, event), [0, 0, 0]))
        for acc in accs:
            acc[0] += n
            acc[1] += q
            acc[2] += w

    def stat(source: str | None, event: str | None, v: list[int]) -> SourceStat:
        return SourceStat(source, event, v[0], v[1], v[2], rate(v[1], v[0]), rate(v[2], v[0]))

    src = sorted(
        (stat(s, None, v) for s, v in by_source.items()), key=lambda s: (-s.leads, s.label)
    )
    evt = sorted(
        (stat(s, e, v) for (s, e), v in by_event.items()), key=lambda s: (-s.leads, s.label)
    )
    return Sources(title=_sources_title(src), by_source=src, by_event=evt)


def _sources_title(stats: list[SourceStat]) -> str:
    total = sum(s.leads for s in stats)
    if total == 0:
        return "No leads were captured in this period"
    overall = rate(sum(s.won for s in stats), total)
    # A source needs some volume before its close rate means anything.
    sized = [s for s in stats if s.leads >= max(5, total // 20) and s.close_rate is not None]
    if len(sized) >= 2 and overall:
        best = max(sized, key=lambda s: (s.close_rate or 0, s.leads))
        if best.close_rate:
            return (
                f"{best.label} leads close best: {pct(best.close_rate, 1)} "
                f"against {pct(overall, 1)} overall"
            )
    biggest = max(stats, key=lambda s: s.leads)
    return f"{biggest.label} brings the most leads: {biggest.leads:,} of {total:,}"


def source_lead_ids(
    session: Session, flt: MetricsFilter, source: str | None, event: str | None = None
) -> list[int]:
    """Cohort leads from a source (and event): the people behind a source bar."""
    clauses = flt.cohort_clauses()
    clauses.append(_l.c.source.is_(None) if source is None else _l.c.source == source)
    if event is not None:
        clauses.append(_l.c.event == event)
    return list(session.scalars(select(_l.c.id).where(*clauses).order_by(_l.c.id)))
