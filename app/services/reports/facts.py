"""What every report reads: the per-lead facts (app/services/reports/journeys.py) for a filter,
brought up to date first, and the base class of report results."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from app.models import Lead, User
from app.services.reports.filters import MetricsFilter, between, day_of
from app.services.reports.formatting import jsonable
from app.services.reports.journeys import (
    STORED,
    FactTables,
    StageSet,
    build_facts,
    refresh_journeys,
    stage_set,
    temporary_tables,
    tune_for_reports,
)

_l = Lead.__table__


def stages_for(session: Session, flt: MetricsFilter) -> StageSet:
    return stage_set(session, flt.pipeline_id)


class Report:
    title: str

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(asdict(self))  # type: ignore[call-overload]
        return data

    def table(self) -> tuple[list[str], list[list[Any]]]:
        raise NotImplementedError


class Journeys:
    """The per-lead facts every chart aggregates (app/services/reports/journeys.py): a row per
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
        # The playbook charts' per-period counts and the hand-off histogram, read once each.
        self.playbook: dict[tuple[float | None, float | None], list[PlaybookRow]] = {}
        self.handoffs: list[tuple[int | None, int | None, int]] | None = None

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
        return between(column, day_of(self.flt.start), day_of(self.flt.end))


@contextmanager
def journeys(
    session: Session, flt: MetricsFilter, st: StageSet, given: Journeys | None = None
) -> Iterator[Journeys]:
    if given is not None:
        yield given
        return
    default = stage_set(session) if flt.pipeline_id is not None else st
    tune_for_reports(session)
    if flt.pipeline_id is None or flt.pipeline_id == default.pipeline_id:
        refresh_journeys(session)
        yield Journeys(session, flt, default, STORED)
        return
    tables = temporary_tables(session)
    try:
        build_facts(session, st, tables, [_l.c.pipeline_id == flt.pipeline_id])
        yield Journeys(session, flt, st, tables)
    except BaseException:
        # After a database error the transaction may refuse even the DROP; the rollback that
        # follows removes the tables anyway, and the first error is the one worth reporting.
        with suppress(Exception):
            tables.drop(session.connection())
        raise
    tables.drop(session.connection())


def reach_counts(j: Journeys) -> list[tuple[str | None, str | None, int | None, int]]:
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


@dataclass(frozen=True)
class PlaybookRow:
    """Cohort leads sharing a source, tier, furthest position, status and outcome."""

    source: str | None
    tier: str | None
    max_rank: int | None
    status: str | None
    won: bool
    leads: int
    value: float  # their deal values added up
    contacted_1h: int  # of them, contacted within an hour of capture


def playbook_rows(
    j: Journeys, start: float | None = None, end: float | None = None, *, own: bool = True
) -> list[PlaybookRow]:
    """Leads captured between day numbers `start` and `end` (the filter's period when `own`),
    grouped for the playbook charts: one pass over a covering index."""
    if own:
        start, end = day_of(j.flt.start), day_of(j.flt.end)
    key = (start, end)
    if key not in j.playbook:
        c = j.c
        query = (
            select(
                c.source,
                c.tier,
                c.max_rank,
                c.status,
                c.won,
                func.count(),
                func.sum(c.value),
                func.sum(case((c.contact_bin < 60, 1), else_=0)),
            )
            .where(*j.scope(c), *j.owned(), *between(c.captured_at, start, end))
            .group_by(c.source, c.tier, c.max_rank, c.status, c.won)
        )
        j.playbook[key] = [
            PlaybookRow(s, t, r, st, w == 1, int(n), float(v or 0), int(h or 0))
            for s, t, r, st, w, n, v, h in j.session.execute(query)
        ]
    return j.playbook[key]


def handoff_rows(j: Journeys) -> list[tuple[int | None, int | None, int]]:
    """Cohort leads by (capture -> first owner minutes bin, score at hand-off)."""
    if j.handoffs is None:
        c = j.c
        query = (
            select(c.assign_bin, c.handoff_score, func.count())
            .where(*j.cohort())
            .group_by(c.assign_bin, c.handoff_score)
        )
        j.handoffs = [
            (None if b is None else int(b), None if h is None else int(h), int(n))
            for b, h, n in j.session.execute(query)
        ]
    return j.handoffs


def user_names(session: Session) -> dict[int, str]:
    return {i: n for i, n in session.execute(select(User.id, User.name))}
