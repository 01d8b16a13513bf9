"""The owners' reports: funnel, stage conversion and time in stage, velocity, speed to lead,
sources, team and stalls, computed from the stage history with SQL aggregates.

The charts aggregate per-lead facts (app/services/report_journeys.py: a row per lead with its
journey, a row per first stay in an open stage, a row per blocked attempt or exit), kept up to
date incrementally from the stage history and brought current before each report, so no chart
re-reads the history. Every chart is one or two GROUP BYs over covering indexes. The same SQL
runs on SQLite and PostgreSQL: times are day numbers (days since 1970), and medians/p90 come
from histograms binned when the facts are built (nearest rank, to the hour or minute) rather
than from ranking every row.
Results are plain dataclasses: the CLI prints `to_dict()`, the charts draw the same objects,
and `table()` gives the rows a CSV export writes.

Rates with nothing to divide by are None ("n/a"), never 0% or 100%.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Lead, LeadStatus, Pipeline, Role, StageTransition, User
from app.services.reports.journeys import (
    MONDAY,
    STORED,
    FactTables,
    StageSet,
    build_facts,
    refresh_journeys,
    stage_set,
    stay_bin,
    temporary_tables,
    tune_for_reports,
)

LOW_STEP = 0.10  # a funnel step converting below this is flagged
VELOCITY_TRAILING_WEEKS = 13  # win rate and cycle length look back a quarter
SPEED_BUCKETS: list[tuple[str, float | None]] = [
    ("< 5 min", 5),
    ("5-60 min", 60),
    ("1-4 h", 240),
    ("4-24 h", 1440),
    ("1-3 days", 4320),
    ("> 3 days", None),
]
NOT_CONTACTED = "Not contacted"
UNSCORED = "Unscored"

_t = StageTransition.__table__
_l = Lead.__table__


# --------------------------------------------------------------------------- filter


@dataclass(frozen=True)
class MetricsFilter:
    """What every chart is restricted to.

    The period (UTC days, both ends inclusive) selects the cohort of leads *captured* in it for
    the funnel, sources and speed to lead, and the *events* in it (stage entries, weeks, blocked
    attempts, exits) for the others. The rest restricts leads by their current fields.
    """

    date_from: date | None = None
    date_to: date | None = None
    pipeline_id: int | None = None
    owner_ids: tuple[int, ...] = ()
    source: str | None = None
    event: str | None = None

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.date_from, time(), UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """Exclusive end: midnight after `date_to`."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time(), UTC)

    def lead_clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.pipeline_id is not None:
            clauses.append(_l.c.pipeline_id == self.pipeline_id)
        if self.owner_ids:
            clauses.append(_l.c.owner_id.in_(self.owner_ids))
        if self.source:
            clauses.append(_l.c.source == self.source)
        if self.event:
            clauses.append(_l.c.event == self.event)
        return clauses

    def cohort_clauses(self) -> list[ColumnElement[bool]]:
        return self.lead_clauses() + _between(_l.c.captured_at, self.start, self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "pipeline_id": self.pipeline_id,
            "owner_ids": list(self.owner_ids),
            "source": self.source,
            "event": self.event,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricsFilter:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) and value else None

        return cls(
            date_from=day(data.get("from")),
            date_to=day(data.get("to")),
            pipeline_id=data.get("pipeline_id"),
            owner_ids=tuple(int(i) for i in data.get("owner_ids") or ()),
            source=data.get("source") or None,
            event=data.get("event") or None,
        )

    def period_label(self) -> str:
        if self.date_from and self.date_to:
            return f"{self.date_from:%d %b %Y} – {self.date_to:%d %b %Y}"
        if self.date_from:
            return f"since {self.date_from:%d %b %Y}"
        if self.date_to:
            return f"until {self.date_to:%d %b %Y}"
        return "all time"


def _between(column: Any, start: Any, end: Any) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


def _hist_percentile(hist: Counter[int], p: float) -> float | None:
    """Nearest-rank percentile from a histogram {bin lower bound: count}: the bin holding the
    element of rank ceil(p * n)."""
    n = sum(hist.values())
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n - 1e-9))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _day(value: datetime | None) -> float | None:
    """The Python side of `_day_number`, for bounds compared with journey columns."""
    if value is None:
        return None
    return (value.astimezone(UTC) - _EPOCH).total_seconds() / 86400.0


def _rate(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def pct(value: float | None, digits: int = 0) -> str:
    """A rate as text: 'n/a' when there was nothing to measure."""
    if value is None:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def days_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value * 24:.1f} h"
    return f"{value:.1f} days"


def minutes_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 60:
        return f"{value:.0f} min"
    if value < 1440:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} days"


def humanize_code(code: str | None) -> str:
    if not code:
        return "No reason given"
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _money_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"${value / 1000:.0f}k"
    return f"${value:,.0f}"


# --------------------------------------------------------------------------- stages


_Stages = StageSet


def _stages(session: Session, flt: MetricsFilter) -> StageSet:
    return stage_set(session, flt.pipeline_id)


# --------------------------------------------------------------------------- results


class _Result:
    title: str

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[call-overload]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        raise NotImplementedError


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


@dataclass(frozen=True)
class FunnelStep:
    stage_id: int
    stage: str
    reached: int
    step_rate: float | None  # of the previous step's leads, the share that reached this one
    cumulative_rate: float | None  # of the cohort, the share that reached this one
    low: bool  # step conversion below LOW_STEP


@dataclass(frozen=True)
class Funnel(_Result):
    title: str
    cohort: int
    steps: list[FunnelStep]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Stage", "Leads reaching", "Step conversion", "Cumulative conversion", "Below 10%"],
            [
                [s.stage, s.reached, pct(s.step_rate, 1), pct(s.cumulative_rate, 1), s.low]
                for s in self.steps
            ],
        )


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
class Conversion(_Result):
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
                    _round(s.median_days),
                    _round(s.p90_days),
                    _round(s.stale_days),
                    s.over_stale,
                ]
                for s in self.stages
            ],
        )


def _round(value: float | None, digits: int = 2) -> float | str:
    return "n/a" if value is None else round(value, digits)


@dataclass(frozen=True)
class VelocityWeek:
    week_start: date
    open_opportunities: int
    avg_deal_value: float | None
    win_rate: float | None
    cycle_days: float | None
    velocity: float | None  # deal value per day


@dataclass(frozen=True)
class Velocity(_Result):
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
                    _round(w.avg_deal_value, 0),
                    pct(w.win_rate, 1),
                    _round(w.cycle_days, 1),
                    _round(w.velocity, 0),
                ]
                for w in self.weeks
            ],
        )


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
class SpeedToLead(_Result):
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
                    _round(g.median_minutes, 1),
                ]
                for g in groups
            ]
        return (
            ["Group", "Name", "Bucket", "Leads", "Within 5 min", "Within 1 h", "Median minutes"],
            rows,
        )


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
class Sources(_Result):
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


@dataclass(frozen=True)
class RepLoad:
    owner_id: int
    name: str
    open_leads: int
    capacity: int
    load: float | None  # open / capacity
    routed: int  # leads first routed to this rep in the period
    kept: int  # ... and still with them
    routing_accuracy: float | None


@dataclass(frozen=True)
class Team(_Result):
    title: str
    reps: list[RepLoad]
    unassigned_open: int
    routed: int
    kept: int
    routing_accuracy: float | None

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Rep", "Open leads", "Capacity", "Load", "Routed", "Kept", "Routing accuracy"],
            [
                [
                    r.name,
                    r.open_leads,
                    r.capacity,
                    pct(r.load),
                    r.routed,
                    r.kept,
                    pct(r.routing_accuracy, 1),
                ]
                for r in self.reps
            ],
        )


@dataclass(frozen=True)
class Blocker:
    label: str
    stage: str | None
    count: int
    share: float | None


@dataclass(frozen=True)
class ExitReason:
    status: str
    reason_code: str | None
    label: str
    count: int


@dataclass(frozen=True)
class Stalls(_Result):
    title: str
    blocked_attempts: int
    blockers: list[Blocker]
    exits: int
    reasons: list[ExitReason]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows: list[list[Any]] = [
            ["Blocked by", b.label, b.stage or "", b.count, pct(b.share, 1)] for b in self.blockers
        ]
        rows += [
            [f"Exit: {r.status}", r.label, "", r.count, pct(_rate(r.count, self.exits), 1)]
            for r in self.reasons
        ]
        return (["Kind", "Criterion or reason", "Stage", "Count", "Share"], rows)


@dataclass(frozen=True)
class Dashboard:
    filter: MetricsFilter
    computed_at: datetime
    funnel: Funnel
    conversion: Conversion
    velocity: Velocity
    response_time: SpeedToLead
    sources: Sources
    team: Team
    stalls: Stalls

    def charts(self) -> dict[str, _Result]:
        return {name: getattr(self, attr) for name, attr in REPORTS.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "filter": self.filter.to_dict(),
            "computed_at": self.computed_at.isoformat(),
            **{name: r.to_dict() for name, r in self.charts().items()},
        }


# CLI report name -> Dashboard attribute
REPORTS = {
    "funnel": "funnel",
    "conversion": "conversion",
    "velocity": "velocity",
    "response-time": "response_time",
    "sources": "sources",
    "team": "team",
    "stalls": "stalls",
}


# --------------------------------------------------------------------------- journeys


class _Journeys:
    """The per-lead facts every chart aggregates (app/services/report_journeys.py): a row per
    lead in `c` (journeys), per first stay in an open stage in `s` (stays), per blocked attempt,
    blocking criterion and exit in `x` (stalls).

    For the default pipeline these are the stored tables, brought up to date first (cheap when
    little changed); a filter naming another pipeline builds temporary copies for that
    pipeline's leads and stages. The fact tables hold every lead: the filter's pipeline, source
    and event apply to each query (`scope`), and its owner filter too (`owned`), since routing
    accuracy must see leads first routed to a rep that someone else owns now.
    """

    def __init__(self, session: Session, flt: MetricsFilter, st: StageSet, tables: FactTables):
        self.session = session
        self.flt = flt
        self.st = st
        self.tables = tables
        self.c = tables.journeys.c
        self.s = tables.stays.c
        self.x = tables.stalls.c
        # Funnel and sources read the same per-cohort counts: one query serves both.
        self.reach: list[tuple[str | None, str | None, int | None, int]] | None = None

    def scope(self, cols: Any) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.flt.pipeline_id is not None:
            clauses.append(cols.pipeline_id == self.flt.pipeline_id)
        if self.flt.source:
            clauses.append(cols.source == self.flt.source)
        if self.flt.event:
            clauses.append(cols.event == self.flt.event)
        return clauses

    def owned(self, column: Any = None) -> list[ColumnElement[bool]]:
        column = self.c.owner_id if column is None else column
        return [column.in_(self.flt.owner_ids)] if self.flt.owner_ids else []

    def cohort(self) -> list[ColumnElement[bool]]:
        return self.scope(self.c) + self.owned() + self.period(self.c.captured_at)

    def period(self, column: Any) -> list[ColumnElement[bool]]:
        """`column` (a day number) within the filter's period."""
        return _between(column, _day(self.flt.start), _day(self.flt.end))


@contextmanager
def _journeys(
    session: Session, flt: MetricsFilter, st: StageSet, given: _Journeys | None = None
) -> Iterator[_Journeys]:
    if given is not None:
        yield given
        return
    default = stage_set(session) if flt.pipeline_id is not None else st
    tune_for_reports(session)
    if flt.pipeline_id is None or flt.pipeline_id == default.pipeline_id:
        refresh_journeys(session)
        yield _Journeys(session, flt, default, STORED)
        return
    tables = temporary_tables(session)
    try:
        build_facts(session, st, tables, [_l.c.pipeline_id == flt.pipeline_id])
        yield _Journeys(session, flt, st, tables)
    except BaseException:
        # After a database error the transaction may refuse even the DROP; the rollback that
        # follows removes the tables anyway, and the first error is the one worth reporting.
        with suppress(Exception):
            tables.drop(session.connection())
        raise
    tables.drop(session.connection())


# --------------------------------------------------------------------------- funnel + sources


def _reach_counts(j: _Journeys) -> list[tuple[str | None, str | None, int | None, int]]:
    if j.reach is not None:
        return j.reach
    c = j.c
    query = (
        select(c.source, c.event, c.max_rank, func.count())
        .where(*j.cohort())
        .group_by(c.source, c.event, c.max_rank)
    )
    j.reach = [(s, e, r, int(n)) for s, e, r, n in j.session.execute(query)]
    return j.reach


def funnel(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> Funnel:
    """Leads captured in the period, by the furthest stage each ever reached."""
    st = _j.st if _j else _stages(session, flt)
    with _journeys(session, flt, st, _j) as j:
        reach = _reach_counts(j)
    cohort = sum(n for *_, n in reach)
    at_rank = Counter[int]()
    for _s, _e, r, n in reach:
        if r is not None:
            at_rank[r] += n
    steps: list[FunnelStep] = []
    previous: int | None = None
    for i, stage in enumerate(st.funnel):
        reached = sum(n for r, n in at_rank.items() if r >= i)
        step_rate = _rate(reached, previous) if previous is not None else _rate(reached, cohort)
        cumulative = _rate(reached, cohort)
        steps.append(
            FunnelStep(
                stage_id=stage.id,
                stage=stage.name,
                reached=reached,
                step_rate=step_rate,
                cumulative_rate=cumulative,
                low=i > 0 and step_rate is not None and step_rate < LOW_STEP,
            )
        )
        previous = reached
    return Funnel(title=_funnel_title(cohort, steps), cohort=cohort, steps=steps)


def sources(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> Sources:
    """Volume, qualification (reached past the first stage) and close rate per source/event."""
    st = _j.st if _j else _stages(session, flt)
    with _journeys(session, flt, st, _j) as j:
        reach = _reach_counts(j)
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
        return SourceStat(source, event, v[0], v[1], v[2], _rate(v[1], v[0]), _rate(v[2], v[0]))

    src = sorted(
        (stat(s, None, v) for s, v in by_source.items()), key=lambda s: (-s.leads, s.label)
    )
    evt = sorted(
        (stat(s, e, v) for (s, e), v in by_event.items()), key=lambda s: (-s.leads, s.label)
    )
    return Sources(title=_sources_title(src), by_source=src, by_event=evt)


def _funnel_title(cohort: int, steps: list[FunnelStep]) -> str:
    if cohort == 0 or not steps:
        return "No leads were captured in this period"
    candidates = [
        (s.step_rate, steps[i - 1], s)
        for i, s in enumerate(steps)
        if i > 0 and s.step_rate is not None and steps[i - 1].reached >= 5
    ]
    if candidates:
        rate, before, after = min(candidates, key=lambda c: c[0])
        if rate < 0.5:
            word = "Only " if rate < 0.25 else ""
            return f"{word}{pct(rate)} of {before.stage} leads reach {after.stage}"
    last = steps[-1]
    return f"{pct(last.cumulative_rate)} of {cohort:,} leads captured reached {last.stage}"


def _sources_title(stats: list[SourceStat]) -> str:
    total = sum(s.leads for s in stats)
    if total == 0:
        return "No leads were captured in this period"
    overall = _rate(sum(s.won for s in stats), total)
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


# --------------------------------------------------------------------------- conversion + time


def conversion(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> Conversion:
    """Per open stage, the stays that began in the period: how many advanced (went on to a
    later stage), left the pipeline or are still there, and the median / p90 days spent (a stay
    still running counts up to now)."""
    st = _j.st if _j else _stages(session, flt)
    now = clock.now()
    if not st.open:
        return Conversion(title="No pipeline stages", stages=[])
    with _journeys(session, flt, st, _j) as j:
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
        running = stay_bin(session, _day(now) - x.entered).label("bin")
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
        med = _hist_percentile(hist.get(k, Counter()), 0.5)
        p90 = _hist_percentile(hist.get(k, Counter()), 0.9)
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
                conversion=_rate(adv, n),
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


# --------------------------------------------------------------------------- velocity


def velocity(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> Velocity:
    """Weekly pipeline velocity = open opportunities x average deal value x win rate / average
    cycle length (days), with its inputs. An opportunity is a lead that got past the first stage.

    Open opportunities and their average value are taken at each week's end; win rate and cycle
    length over the quarter before it (wins and losses of opportunities closed in that time).
    """
    st = _j.st if _j else _stages(session, flt)
    now = clock.now()
    weeks = _velocity_weeks(flt, now)
    if not st.funnel:
        return Velocity(title="No pipeline stages", weeks=[])
    origin = datetime.combine(weeks[0] - timedelta(weeks=VELOCITY_TRAILING_WEEKS), time(), UTC)
    n_buckets = VELOCITY_TRAILING_WEEKS + len(weeks)
    # Facts store Monday-based week numbers; the look-back origin is a Monday.
    origin_week = round((_day(origin) or 0.0) - MONDAY) // 7

    def bucket(week: int | None) -> int:
        # -1: before the look-back origin; n_buckets: never (or after the last week).
        if week is None:
            return n_buckets
        return -1 if week < origin_week else week - origin_week

    with _journeys(session, flt, st, _j) as j:
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
        win_rate = _rate(won_n, won_n + lost_n)
        cycle_avg = _rate(sum(cycle_days[lo:end]), won_n)
        avg_value = _rate(open_value, open_n)
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
    text = f"Pipeline velocity is {_money_text(last.velocity)} a day"
    if earlier and earlier[-1].velocity:
        change = (last.velocity or 0) / earlier[-1].velocity - 1
        direction = "up" if change >= 0 else "down"
        text += f", {direction} {abs(change) * 100:.0f}% on four weeks earlier"
    return text


# --------------------------------------------------------------------------- speed to lead


def response_time(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> SpeedToLead:
    """Capture to first contact for the cohort: distribution, share within 5 minutes and an
    hour, by rep (current owner) and by tier. Leads not contacted yet count against the shares.

    One GROUP BY on a minute-resolution histogram (hours past a day) gives every figure,
    medians included, without ranking each lead."""
    st = _j.st if _j else _stages(session, flt)
    with _journeys(session, flt, st, _j) as j:
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
    names = _user_names(session)

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
            within_5m=_rate(sum(n for b, n in hist.items() if b < 5), total),
            within_1h=_rate(sum(n for b, n in hist.items() if b < 60), total),
            median_minutes=_hist_percentile(hist, 0.5),
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


def _user_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(User.id, User.name))}


# --------------------------------------------------------------------------- team


def team(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> Team:
    """Open leads per rep now against capacity, and routing accuracy for leads captured in the
    period: the share still with the rep they were first routed to (an owner filter applies to
    the first owner here, or it would hide exactly the misroutes)."""
    st = _j.st if _j else _stages(session, flt)
    with _journeys(session, flt, st, _j) as j:
        c = j.c
        open_rows: dict[int | None, int] = dict(
            session.execute(  # type: ignore[arg-type]
                select(c.owner_id, func.count())
                .where(c.status == LeadStatus.OPEN, *j.scope(c), *j.owned())
                .group_by(c.owner_id)
            ).all()
        )
        kept_expr = case((c.owner_id == c.first_owner_id, 1), else_=0)
        routed_rows = {
            o: (int(n), int(k or 0))
            for o, n, k in session.execute(
                select(c.first_owner_id, func.count(), func.sum(kept_expr))
                .where(
                    c.first_owner_id.is_not(None),
                    *j.scope(c),
                    *j.owned(c.first_owner_id),
                    *j.period(c.captured_at),
                )
                .group_by(c.first_owner_id)
            )
        }
    users = session.execute(
        select(User.id, User.name, User.role, User.capacity).order_by(User.name)
    ).all()
    reps: list[RepLoad] = []
    for uid, name, role, capacity in users:
        if flt.owner_ids and uid not in flt.owner_ids:
            continue
        open_n = int(open_rows.get(uid, 0))
        routed, kept = routed_rows.get(uid, (0, 0))
        # Owners and managers appear only when they actually hold or were routed leads.
        if role != Role.REP and not open_n and not routed:
            continue
        reps.append(
            RepLoad(
                owner_id=uid,
                name=name,
                open_leads=open_n,
                capacity=int(capacity or 0),
                load=_rate(open_n, capacity),
                routed=routed,
                kept=kept,
                routing_accuracy=_rate(kept, routed),
            )
        )
    routed_total = sum(r for r, _ in routed_rows.values())
    kept_total = sum(k for _, k in routed_rows.values())
    accuracy = _rate(kept_total, routed_total)
    unassigned = int(open_rows.get(None, 0))
    if not reps:
        title = "No reps to show"
    else:
        over = [r for r in reps if r.load is not None and r.load > 1]
        if over:
            worst = max(over, key=lambda r: r.load or 0)
            title = (
                f"{worst.name} carries {worst.open_leads:,} open leads, "
                f"{pct(worst.load)} of capacity"
            )
        else:
            top = max(reps, key=lambda r: r.load or 0)
            title = (
                f"Every rep is within capacity (highest: {top.name} at {pct(top.load)})"
                if top.load is not None
                else "No capacity set for the reps"
            )
        if accuracy is not None:
            title += f"; routing kept {pct(accuracy)} of leads with their first owner"
    return Team(
        title=title,
        reps=reps,
        unassigned_open=unassigned,
        routed=routed_total,
        kept=kept_total,
        routing_accuracy=accuracy,
    )


# --------------------------------------------------------------------------- stalls


def stalls(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: _Journeys | None = None
) -> Stalls:
    """Which gate criteria refused moves most often (blocked attempts in the period), and why
    leads left the pipeline (exits in the period, by reason code)."""
    st = _j.st if _j else _stages(session, flt)
    names = {s.id: s.name for s in [*st.funnel, *st.lost]}
    status_of = {s.id: s.exit_status or s.name for s in st.lost}
    with _journeys(session, flt, st, _j) as j:
        x = j.x
        where = [*j.scope(x), *j.owned(x.owner_id), *j.period(x.at)]
        counted = session.execute(
            select(x.kind, x.stage_id, x.code, func.count())
            .where(x.kind.in_(("b", "x")), *where)
            .group_by(x.kind, x.stage_id, x.code)
        ).all()
        blocker_rows = session.execute(
            select(x.code, x.stage_id, func.count())
            .where(x.kind == "l", *where)
            .group_by(x.code, x.stage_id)
        ).all()
    attempts = sum(int(n) for kind, _s, _c, n in counted if kind == "b")
    reason_rows = [(sid, code, n) for kind, sid, code, n in counted if kind == "x"]
    by_label: dict[str, list[Any]] = {}
    for value, from_stage, n in blocker_rows:
        entry = by_label.setdefault(str(value), [Counter(), 0])
        entry[0][names.get(from_stage, "")] += int(n)
        entry[1] += int(n)
    blockers = sorted(
        (
            Blocker(
                label=lab,
                stage=stages.most_common(1)[0][0] or None,
                count=n,
                share=_rate(n, attempts),
            )
            for lab, (stages, n) in by_label.items()
        ),
        key=lambda b: (-b.count, b.label),
    )
    reasons = sorted(
        (
            ExitReason(
                status=str(status_of.get(sid, "")),
                reason_code=code,
                label=humanize_code(code),
                count=int(n),
            )
            for sid, code, n in reason_rows
        ),
        key=lambda r: (-r.count, r.status, r.label),
    )
    exits = sum(r.count for r in reasons)
    parts = []
    if blockers:
        top = blockers[0]
        parts.append(
            f"“{top.label}” blocks moves most often ({pct(top.share)} of blocked attempts)"
        )
    lost = [r for r in reasons if r.status == LeadStatus.LOST]
    if lost:
        parts.append(f"deals are lost mostly to “{lost[0].label.lower()}”")
    elif reasons:
        parts.append(f"leads leave mostly for “{reasons[0].label.lower()}”")
    title = "; ".join(parts) if parts else "No blocked moves or exits in this period"
    title = title[:1].upper() + title[1:]
    return Stalls(
        title=title, blocked_attempts=attempts, blockers=blockers, exits=exits, reasons=reasons
    )


# --------------------------------------------------------------------------- dashboard


def compute_report(session: Session, clock: Clock, flt: MetricsFilter, name: str) -> _Result:
    """One report by its CLI name (funnel, conversion, velocity, response-time, ...)."""
    fn: Callable[[Session, Clock, MetricsFilter], _Result] | None = {  # type: ignore[assignment]
        "funnel": funnel,
        "conversion": conversion,
        "velocity": velocity,
        "response-time": response_time,
        "sources": sources,
        "team": team,
        "stalls": stalls,
    }.get(name)
    if fn is None:
        raise ValueError(f"Unknown report '{name}'. Use one of: {', '.join(REPORTS)}.")
    return fn(session, clock, flt)


def compute_dashboard(
    session: Session,
    clock: Clock,
    flt: MetricsFilter,
    *,
    check: Callable[[], None] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Dashboard:
    """Every chart's data for one filter. `check` raises to cancel between queries."""
    steps = 7

    def step(i: int, text: str) -> None:
        if check is not None:
            check()
        if progress is not None:
            progress(i, steps, text)

    st = _stages(session, flt)
    step(0, "Bringing the report facts up to date")
    with _journeys(session, flt, st) as j:
        step(1, "Funnel and sources")
        f = funnel(session, clock, flt, _j=j)
        s = sources(session, clock, flt, _j=j)
        step(2, "Stage conversion")
        c = conversion(session, clock, flt, _j=j)
        step(3, "Velocity")
        v = velocity(session, clock, flt, _j=j)
        step(4, "Speed to lead")
        r = response_time(session, clock, flt, _j=j)
        step(5, "Team")
        t = team(session, clock, flt, _j=j)
        step(6, "Stalls")
        x = stalls(session, clock, flt, _j=j)
    step(7, "Done")
    return Dashboard(
        filter=flt,
        computed_at=clock.now(),
        funnel=f,
        conversion=c,
        velocity=v,
        response_time=r,
        sources=s,
        team=t,
        stalls=x,
    )


# --------------------------------------------------------------------------- drill-down


def funnel_lead_ids(session: Session, flt: MetricsFilter, stage_id: int) -> list[int]:
    """Cohort leads that reached `stage_id` (or beyond): the people behind a funnel bar."""
    st = _stages(session, flt)
    target = st.rank.get(stage_id)
    if target is None:
        return []
    with _journeys(session, flt, st) as j:
        return list(
            session.scalars(
                select(j.c.lead_id).where(j.c.max_rank >= target, *j.cohort()).order_by(j.c.lead_id)
            )
        )


def source_lead_ids(
    session: Session, flt: MetricsFilter, source: str | None, event: str | None = None
) -> list[int]:
    """Cohort leads from a source (and event): the people behind a source bar."""
    clauses = flt.cohort_clauses()
    clauses.append(_l.c.source.is_(None) if source is None else _l.c.source == source)
    if event is not None:
        clauses.append(_l.c.event == event)
    return list(session.scalars(select(_l.c.id).where(*clauses).order_by(_l.c.id)))


@dataclass(frozen=True)
class FilterOptions:
    pipelines: list[tuple[int, str]] = field(default_factory=list)
    owners: list[tuple[int, str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


def filter_options(session: Session) -> FilterOptions:
    """What the filters bar offers: pipelines, people, and the sources/events in use."""
    return FilterOptions(
        pipelines=[(i, n) for i, n in session.execute(select(Pipeline.id, Pipeline.name))],
        owners=[(i, n) for i, n in session.execute(select(User.id, User.name).order_by(User.name))],
        sources=[
            s
            for s in session.scalars(
                select(_l.c.source).distinct().where(_l.c.source.is_not(None)).order_by(_l.c.source)
            )
        ],
        events=[
            e
            for e in session.scalars(
                select(_l.c.event).distinct().where(_l.c.event.is_not(None)).order_by(_l.c.event)
            )
        ],
    )
