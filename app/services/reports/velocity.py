"""Pipeline velocity, week by week, with its inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter, day_of
from app.services.reports.formatting import finite, money_text, pct, rate, round_cell
from app.services.reports.journeys import MONDAY

VELOCITY_TRAILING_WEEKS = 13  # win rate and cycle length look back a quarter


@dataclass(frozen=True)
class VelocityWeek:
    week_start: date
    open_opportunities: int
    avg_deal_value: float | None
    win_rate: float | None
    cycle_days: float | None
    velocity: float | None  # deal value per day


@dataclass(frozen=True)
class Velocity(Report):
    title: str
    weeks: list[VelocityWeek]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            [
                "Week starting",
                "Open opportunities",
                "Average deal value",
                "Win rate",
                "Average cycle (days)",
                "Velocity (per day)",
            ],
            [
                [
                    w.week_start.isoformat(),
                    w.open_opportunities,
                    round_cell(w.avg_deal_value, 0),
                    pct(w.win_rate, 1),
                    round_cell(w.cycle_days, 1),
                    round_cell(w.velocity, 0),
                ]
                for w in self.weeks
            ],
        )


def velocity(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Velocity:
    """Weekly pipeline velocity = open opportunities x average deal value x win rate / average
    cycle length (days), with its inputs. An opportunity is a lead that got past the first stage.

    Open opportunities and their average value are taken at each week's end; win rate and cycle
    length over the quarter before it (wins and losses of opportunities closed in that time).
    """
    st = _j.st if _j else stages_for(session, flt)
    now = clock.now()
    weeks = _velocity_weeks(flt, now)
    if not st.funnel:
        return Velocity(title="No pipeline stages", weeks=[])
    origin = datetime.combine(weeks[0] - timedelta(weeks=VELOCITY_TRAILING_WEEKS), time(), UTC)
    n_buckets = VELOCITY_TRAILING_WEEKS + len(weeks)
    # Facts store Monday-based week numbers; the look-back origin is a Monday.
    origin_week = round((day_of(origin) or 0.0) - MONDAY) // 7

    def bucket(week: int | None) -> int:
        # -1: before the look-back origin; n_buckets: never (or after the last week).
        if week is None:
            return n_buckets
        return -1 if week < origin_week else week - origin_week

    with journeys(session, flt, st, _j) as j:
        c = j.c
        query = (
            select(
                c.qualified_week,
                c.closed_week,
                c.won,
                func.count(),
                func.sum(c.value),
                func.sum(c.won_cycle),
            )
            .where(c.qualified_week.is_not(None), *j.scope(c), *j.owned())
            .group_by(c.qualified_week, c.closed_week, c.won)
        )
        rows = [
            (bucket(qw), bucket(cw), won, n, value, cyc)
            for qw, cw, won, n, value, cyc in session.execute(query)
        ]
    size = n_buckets + 1  # index b + 1, so bucket -1 sits at 0
    qualified, closed, wins, losses = [0] * size, [0] * size, [0] * size, [0] * size
    qualified_value, closed_value, cycle_days = [0.0] * size, [0.0] * size, [0.0] * size
    for qb, cb, won, n, value, cyc in rows:
        n, value = int(n), float(value or 0)
        if qb < n_buckets:
            qualified[qb + 1] += n
            qualified_value[qb + 1] += value
        if cb < n_buckets:
            closed[cb + 1] += n
            closed_value[cb + 1] += value
            if won:
                wins[cb + 1] += n
                cycle_days[cb + 1] += float(cyc or 0)
            else:
                losses[cb + 1] += n
    out: list[VelocityWeek] = []
    for w, start in enumerate(weeks):
        # Week w is bucket VELOCITY_TRAILING_WEEKS + w, stored at that index + 1: `end` is the
        # index just past this week's own bucket.
        end = VELOCITY_TRAILING_WEEKS + w + 2
        open_n = sum(qualified[:end]) - sum(closed[:end])
        open_value = sum(qualified_value[:end]) - sum(closed_value[:end])
        lo = end - VELOCITY_TRAILING_WEEKS
        won_n, lost_n = sum(wins[lo:end]), sum(losses[lo:end])
        win_rate = rate(won_n, won_n + lost_n)
        cycle_avg = rate(sum(cycle_days[lo:end]), won_n)
        avg_value = rate(open_value, open_n)
        vel = None
        if avg_value is not None and win_rate is not None and cycle_avg:
            vel = open_n * avg_value * win_rate / cycle_avg
        out.append(
            VelocityWeek(
                week_start=start,
                open_opportunities=max(open_n, 0),
                avg_deal_value=avg_value,
                win_rate=win_rate,
                cycle_days=cycle_avg,
                velocity=vel,
            )
        )
    return Velocity(title=_velocity_title(out), weeks=out)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _velocity_weeks(flt: MetricsFilter, now: datetime) -> list[date]:
    last = _week_start(min(flt.date_to, now.date()) if flt.date_to else now.date())
    first = _week_start(flt.date_from) if flt.date_from else last - timedelta(weeks=25)
    first = min(first, last)
    weeks = []
    day = first
    while day <= last:
        weeks.append(day)
        day += timedelta(weeks=1)
    return weeks


def _velocity_title(weeks: list[VelocityWeek]) -> str:
    known = [w for w in weeks if w.velocity is not None]
    if not known:
        return "Not enough won and lost deals yet to measure pipeline velocity"
    last = known[-1]
    earlier = [w for w in known if w.week_start <= last.week_start - timedelta(weeks=4)]
    text = f"Pipeline velocity is {money_text(last.velocity)} a day"
    if earlier and earlier[-1].velocity and finite(last.velocity) and finite(earlier[-1].velocity):
        change = (last.velocity or 0) / earlier[-1].velocity - 1
        direction = "up" if change >= 0 else "down"
        text += f", {direction} {abs(change) * 100:.0f}% on four weeks earlier"
    return text
