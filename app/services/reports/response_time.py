"""Speed to lead: capture to first contact, overall, by rep and by tier."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for, user_names
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import hist_percentile, minutes_text, pct, rate, round_cell

SPEED_BUCKETS: list[tuple[str, float | None]] = [
    ("< 5 min", 5),
    ("5-60 min", 60),
    ("1-4 h", 240),
    ("4-24 h", 1440),
    ("1-3 days", 4320),
    ("> 3 days", None),
]
NOT_CONTACTED = "Not contacted"


@dataclass(frozen=True)
class SpeedGroup:
    key: str  # rep name or tier
    owner_id: int | None
    leads: int
    contacted: int
    within_5m: float | None
    within_1h: float | None
    median_minutes: float | None


@dataclass(frozen=True)
class SpeedToLead(Report):
    title: str
    leads: int
    contacted: int
    within_5m: float | None
    within_1h: float | None
    median_minutes: float | None
    buckets: list[tuple[str, int]]
    by_rep: list[SpeedGroup]
    by_tier: list[SpeedGroup]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows: list[list[Any]] = [["All", "", b, n, "", "", ""] for b, n in self.buckets]
        for kind, groups in (("Rep", self.by_rep), ("Tier", self.by_tier)):
            rows += [
                [
                    kind,
                    g.key,
                    "",
                    g.leads,
                    pct(g.within_5m, 1),
                    pct(g.within_1h, 1),
                    round_cell(g.median_minutes, 1),
                ]
                for g in groups
            ]
        return (
            ["Group", "Name", "Bucket", "Leads", "Within 5 min", "Within 1 h", "Median minutes"],
            rows,
        )


def response_time(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> SpeedToLead:
    """Capture to first contact for the cohort: distribution, share within 5 minutes and an
    hour, by rep (current owner) and by tier. Leads not contacted yet count against the shares.

    One GROUP BY on a minute-resolution histogram (hours past a day) gives every figure,
    medians included, without ranking each lead."""
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        c = j.c
        bin_ = c.contact_bin
        tier = c.tier
        query = (
            select(c.owner_id, tier, bin_, func.count())
            .where(*j.cohort())
            .group_by(c.owner_id, tier, bin_)
        )
        rows = [
            (o, t, None if b is None else int(b), int(n)) for o, t, b, n in session.execute(query)
        ]
    names = user_names(session)

    def bucket_of(b: int | None) -> str:
        if b is None:
            return NOT_CONTACTED
        for label, limit in SPEED_BUCKETS:
            if limit is None or b < limit:
                return label
        return SPEED_BUCKETS[-1][0]

    def summarize(selected: list[tuple[Any, Any, int | None, int]]) -> SpeedGroup:
        hist = Counter[int]()
        total = 0
        for _o, _t2, b, n in selected:
            total += n
            if b is not None:
                hist[b] += n
        return SpeedGroup(
            key="",
            owner_id=None,
            leads=total,
            contacted=sum(hist.values()),
            within_5m=rate(sum(n for b, n in hist.items() if b < 5), total),
            within_1h=rate(sum(n for b, n in hist.items() if b < 60), total),
            median_minutes=hist_percentile(hist, 0.5),
        )

    everyone = summarize(rows)
    total, contacted, overall = everyone.leads, everyone.contacted, everyone.median_minutes
    owners = sorted({o for o, *_ in rows}, key=lambda o: (o is None, names.get(o, "")))
    by_rep = [
        replace(
            summarize([r for r in rows if r[0] == o]),
            key=names.get(o, "Unassigned") if o is not None else "Unassigned",
            owner_id=o,
        )
        for o in owners
    ]
    tier_order = {"Urgent": 0, "High": 1, "Medium": 2, "Low": 3}
    tiers = sorted({t for _, t, *_ in rows}, key=lambda t: (tier_order.get(t, 9), t))
    by_tier = [replace(summarize([r for r in rows if r[1] == t]), key=t) for t in tiers]
    counts = Counter[str]()
    for _o, _t2, b, n in rows:
        counts[bucket_of(b)] += n
    buckets = [(label, counts[label]) for label, _ in SPEED_BUCKETS] + [
        (NOT_CONTACTED, counts[NOT_CONTACTED])
    ]
    within_5m, within_1h = everyone.within_5m, everyone.within_1h
    if total == 0:
        title = "No leads were captured in this period"
    elif contacted == 0:
        title = f"None of the {total:,} leads captured has been contacted yet"
    else:
        title = (
            f"{pct(within_5m)} of leads are contacted within 5 minutes, {pct(within_1h)} "
            f"within an hour; median {minutes_text(overall)}"
        )
    return SpeedToLead(
        title=title,
        leads=total,
        contacted=contacted,
        within_5m=within_5m,
        within_1h=within_1h,
        median_minutes=overall,
        buckets=buckets,
        by_rep=by_rep,
        by_tier=by_tier,
    )
