"""What the qualification and lead-to-opportunity reports share: the share of the cohort that
reached a funnel position, overall and per source, against the playbook's band."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.services.reports.facts import Journeys, Report, reach_counts
from app.services.reports.formatting import pct, rate
from app.services.reports.playbook import OPPORTUNITY_RANK, Band


@dataclass(frozen=True)
class SourceRate:
    source: str | None
    leads: int
    reached: int
    rate: float | None
    status: str | None  # below / within / above the band

    @property
    def label(self) -> str:
        return self.source or "(no source)"


@dataclass(frozen=True)
class RateReport(Report):
    title: str
    definition: str
    leads: int
    reached: int
    rate: float | None
    band: Band
    status: str | None
    by_source: list[SourceRate]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows = [["All sources", self.leads, self.reached, pct(self.rate, 1), self.status or ""]]
        rows += [
            [s.label, s.leads, s.reached, pct(s.rate, 1), s.status or ""] for s in self.by_source
        ]
        return (["Source", "Leads", "Reached", "Rate", f"Band {self.band.text()}"], rows)


def rate_report(j: Journeys, min_rank: int, band: Band, name: str, definition: str) -> RateReport:
    """Cohort leads whose furthest funnel position is at least `min_rank`."""
    per_source: dict[str | None, list[int]] = {}
    for source, _event, r, n in reach_counts(j):
        acc = per_source.setdefault(source, [0, 0])
        acc[0] += n
        acc[1] += n if r is not None and r >= min_rank else 0
    by_source = sorted(
        (
            SourceRate(s, v[0], v[1], rate(v[1], v[0]), band.status(rate(v[1], v[0])))
            for s, v in per_source.items()
        ),
        key=lambda s: (-s.leads, s.label),
    )
    leads = sum(s.leads for s in by_source)
    reached = sum(s.reached for s in by_source)
    overall = rate(reached, leads)
    status = band.status(overall)
    if overall is None:
        title = "No leads were captured in this period"
    else:
        where = {"below": "below", "within": "within", "above": "above"}[status or "within"]
        title = (
            f"{name} {pct(overall, 1)} ({reached:,} of {leads:,}): {where} the playbook's "
            f"{band.text()}"
        )
    return RateReport(
        title=title,
        definition=definition,
        leads=leads,
        reached=reached,
        rate=overall,
        band=band,
        status=status,
        by_source=by_source,
    )


def opportunity_rank(j: Journeys) -> int:
    """The funnel position of an opportunity, for pipelines shorter than the default too."""
    return max(1, min(OPPORTUNITY_RANK, len(j.st.funnel) - 1))
