"""Stage conversion and time in stage: per open stage, the stays that began in the period."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter, day_of
from app.services.reports.formatting import days_text, hist_percentile, pct, rate, round_cell
from app.services.reports.journeys import stay_bin


@dataclass(frozen=True)
class StageStat:
    stage_id: int
    stage: str
    entered: int
    advanced: int
    exited: int
    ongoing: int
    conversion: float | None  # advanced / entered
    median_days: float | None
    p90_days: float | None
    stale_days: float | None
    over_stale: bool


@dataclass(frozen=True)
class Conversion(Report):
    title: str
    stages: list[StageStat]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            [
                "Stage",
                "Entered",
                "Advanced",
                "Exited",
                "Still there",
                "Conversion",
                "Median days",
                "P90 days",
                "Stale after (days)",
                "Median over stale",
            ],
            [
                [
                    s.stage,
                    s.entered,
                    s.advanced,
                    s.exited,
                    s.ongoing,
                    pct(s.conversion, 1),
                    round_cell(s.median_days),
                    round_cell(s.p90_days),
                    round_cell(s.stale_days),
                    s.over_stale,
                ]
                for s in self.stages
            ],
        )


def conversion(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Conversion:
    """Per open stage, the stays that began in the period: how many advanced (went on to a
    later stage), left the pipeline or are still there, and the median / p90 days spent (a stay
    still running counts up to now)."""
    st = _j.st if _j else stages_for(session, flt)
    now = clock.now()
    if not st.open:
        return Conversion(title="No pipeline stages", stages=[])
    with journeys(session, flt, st, _j) as j:
        x = j.s
        # k IN (...) lets both queries seek the (k, bin, ...) index, the running stays too.
        where = [
            x.k.in_(range(len(st.open))),
            *j.scope(x),
            *j.owned(x.owner_id),
            *j.period(x.entered),
        ]
        # Finished stays carry their duration bin; a stay still running is binned up to now
        # (few rows: the leads sitting in a stage today).
        running = stay_bin(session, day_of(now) - x.entered).label("bin")
        finished = session.execute(
            select(x.k, x.bin, func.count(), func.sum(x.advanced), func.sum(x.exited), literal(0))
            .where(x.bin.is_not(None), *where)
            .group_by(x.k, x.bin)
        ).all()
        ongoing = session.execute(
            select(x.k, running, func.count(), func.sum(x.advanced), literal(0), func.count())
            .where(x.bin.is_(None), *where)
            .group_by(x.k, running)
        ).all()
        rows = [*finished, *ongoing]
    hist: dict[int, Counter[int]] = {}
    totals: dict[int, list[int]] = {}
    for k, b, n, adv, ex, ong in rows:
        hist.setdefault(int(k), Counter())[int(b)] += int(n)
        acc = totals.setdefault(int(k), [0, 0, 0, 0])
        for i, v in enumerate((n, adv, ex, ong)):
            acc[i] += int(v or 0)
    stats: list[StageStat] = []
    for k, stage in enumerate(st.open):
        n, adv, ex, ong = totals.get(k, [0, 0, 0, 0])
        med = hist_percentile(hist.get(k, Counter()), 0.5)
        p90 = hist_percentile(hist.get(k, Counter()), 0.9)
        stale = stage.stale_hours / 24 if stage.stale_hours else None
        median = med / 24 if med is not None else None
        stats.append(
            StageStat(
                stage_id=stage.id,
                stage=stage.name,
                entered=n,
                advanced=adv,
                exited=ex,
                ongoing=ong,
                conversion=rate(adv, n),
                median_days=median,
                p90_days=p90 / 24 if p90 is not None else None,
                stale_days=stale,
                over_stale=bool(median is not None and stale is not None and median > stale),
            )
        )
    return Conversion(title=_conversion_title(stats), stages=stats)


def _conversion_title(stats: list[StageStat]) -> str:
    measured = [s for s in stats if s.median_days is not None]
    if not measured:
        return "No stage entries in this period"
    over = [s for s in measured if s.over_stale and s.stale_days]
    if over:
        worst = max(over, key=lambda s: (s.median_days or 0) / (s.stale_days or 1))
        return (
            f"Leads sit a median {days_text(worst.median_days)} in {worst.stage}, "
            f"past its {days_text(worst.stale_days)} stale limit"
        )
    rated = [s for s in measured if s.conversion is not None and s.entered >= 5]
    if rated:
        worst = min(rated, key=lambda s: s.conversion or 0)
        return (
            f"Every stage moves within its stale limit; {worst.stage} converts least "
            f"({pct(worst.conversion)})"
        )
    return "Every stage moves within its stale limit"
