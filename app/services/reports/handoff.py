"""Score at hand-off: the lead score when sales got the lead (its first owner), against the
band the playbook sets for a hand-off: at least the MQL threshold (the Medium tier's)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, handoff_rows, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import hist_percentile, pct, rate
from app.services.reports.playbook import Band
from app.services.scoring.rules import load_rules

WIDTH = 10  # score bins: 0-9, 10-19, ... 100


@dataclass(frozen=True)
class HandoffScore(Report):
    title: str
    handed_off: int
    median_score: float | None
    below_band: float | None  # share handed off under the MQL threshold
    band: Band
    status: str | None
    bins: list[tuple[int, int]]  # (bin lower bound, leads)

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Score at hand-off", "Leads"],
            [[f"{lo}-{min(lo + WIDTH - 1, 100)}", n] for lo, n in self.bins],
        )


def handoff_score(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> HandoffScore:
    """Leads captured in the period that were handed to a rep, by their score at that moment."""
    threshold = float(load_rules(session)["thresholds"]["Medium"])
    band = Band(threshold, 100.0)
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        rows = handoff_rows(j)
    hist = Counter[int]()
    for _bin, score, n in rows:
        if score is not None:
            hist[score] += n
    total = sum(hist.values())
    median = hist_percentile(hist, 0.5)
    below = rate(sum(n for s, n in hist.items() if s < threshold), total)
    binned = Counter[int]()
    for s, n in hist.items():
        binned[min(max(s, 0), 100) // WIDTH * WIDTH] += n
    bins = [(lo, binned[lo]) for lo in range(0, 101, WIDTH)]
    if total == 0:
        title = "No lead captured in this period has been handed to a rep"
    else:
        title = (
            f"Median score at hand-off {median:.0f} (MQL threshold {threshold:.0f}); "
            f"{pct(below)} handed over below it"
        )
    return HandoffScore(
        title=title,
        handed_off=total,
        median_score=median,
        below_band=below,
        band=band,
        status=band.status(median),
        bins=bins,
    )
