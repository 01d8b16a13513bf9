"""Time to assignment: capture to the lead's first owner (the hand-off to sales), against the
playbook's target of a median within the Urgent window (5 minutes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, handoff_rows, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import hist_percentile, minutes_text, pct, rate
from app.services.reports.playbook import TIME_TO_ASSIGNMENT_MINUTES, Band

ASSIGNMENT_BUCKETS: list[tuple[str, float | None]] = [
    ("< 1 min", 1),
    ("1-5 min", 5),
    ("5-60 min", 60),
    ("1-24 h", 1440),
    ("> 1 day", None),
]
NOT_ASSIGNED = "Not assigned"


@dataclass(frozen=True)
class TimeToAssignment(Report):
    title: str
    leads: int
    assigned: int
    median_minutes: float | None
    p90_minutes: float | None
    within_target: float | None  # share of assigned leads handed over within the target
    band: Band  # minutes; applies to the median
    status: str | None
    buckets: list[tuple[str, int]]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (["Time to assignment", "Leads"], [[b, n] for b, n in self.buckets])


def time_to_assignment(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> TimeToAssignment:
    """Leads captured in the period: how long each waited for its first owner. Leads still
    waiting count in `leads` but not in the median."""
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        rows = [(b, n) for b, _score, n in handoff_rows(j)]
    hist = Counter[int]()
    for b, n in rows:
        if b is not None:
            hist[b] += n
    leads = sum(n for _, n in rows)
    assigned = sum(hist.values())
    median = hist_percentile(hist, 0.5)
    band = TIME_TO_ASSIGNMENT_MINUTES
    limit = band.high or 0
    within = rate(sum(n for b, n in hist.items() if b < limit), assigned)
    counts = Counter[str]()
    for b, n in rows:
        label = NOT_ASSIGNED
        if b is not None:
            label = next(lbl for lbl, top in ASSIGNMENT_BUCKETS if top is None or b < top)
        counts[label] += n
    buckets = [(lbl, counts[lbl]) for lbl, _ in ASSIGNMENT_BUCKETS] + [
        (NOT_ASSIGNED, counts[NOT_ASSIGNED])
    ]
    # Minute bins hold their lower bound: the median is on target when at least half the
    # leads were handed over within the limit.
    status = None if within is None else ("within" if within >= 0.5 else "above")
    if leads == 0:
        title = "No leads were captured in this period"
    elif median is None:
        title = f"None of the {leads:,} leads captured has an owner yet"
    else:
        title = (
            f"Leads reach an owner in {minutes_text(median)} (median; target "
            f"{band.text('{:.0f} min')}); {pct(within)} within {limit:.0f} min"
        )
    return TimeToAssignment(
        title=title,
        leads=leads,
        assigned=assigned,
        median_minutes=median,
        p90_minutes=hist_percentile(hist, 0.9),
        within_target=within,
        band=band,
        status=status,
        buckets=buckets,
    )
