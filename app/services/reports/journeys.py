"""Per-lead report facts, kept up to date incrementally so the Reports dashboard never re-reads
the whole stage history.

Three derived tables (app/models/reports.py) hold what every chart aggregates:
`report_journeys` (a row per lead: its filterable fields and its journey through the default
pipeline: furthest stage, qualified/closed times, speed-to-lead bin...), `report_stays` (a row
per lead and open stage it entered: the first stay, its duration bin) and `report_stalls`
(blocked attempts, the criteria that blocked them, exits). The charts then run a few GROUP BYs
over covering indexes instead of a pass over a million transitions.

Freshness: triggers on leads and stage_transitions put the id of every changed lead in
`report_journey_queue` (installed by migration 0006; on SQLite re-installed here if a later
table rebuild dropped them). `refresh_journeys(session)` claims the queue (DELETE ...
RETURNING) and rebuilds those leads' facts from their full history, so back moves, undo and
edits come out right without any incremental arithmetic. The stage set the facts were built
against is recorded as a signature; a reordered, added or removed stage
(app/services/pipeline/editor.py) changes it and the next refresh rebuilds everything.
Refreshes run in the caller's transaction (the facts match what that session sees,
uncommitted moves included, and roll back with it); on PostgreSQL a transaction-scoped
advisory lock makes concurrent refreshes take turns, so two workstations never write facts
from different snapshots over each other.

No DDL on PostgreSQL: a shared store's schema (tables, indexes, the queue triggers) belongs to
the admin's migrations, and a rep's login has DML rights only. A refresh there only deletes and
inserts rows (and uses session-private temporary tables, which every login may create); the
statistics and VACUUM that follow a full rebuild are left to autovacuum unless the login owns
the tables. On SQLite, a local single-user file, a full rebuild drops the fact indexes and
builds them again in one sorted pass, and missing triggers are put back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any
from typing import cast as type_cast

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Float,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    event,
    extract,
    func,
    insert,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.models import (
    Lead,
    ReportJourney,
    ReportJourneyQueue,
    ReportJourneyState,
    ReportStall,
    ReportStay,
    StageKind,
    StageTransition,
)
from app.services.pipeline.stages import StageInfo, list_stages

BUILD_VERSION = 2  # bump when the facts' definitions change: stored facts are then rebuilt
STATE_KEY = "default"
UNSCORED = "Unscored"
# Past this many queued leads one full rebuild is cheaper than lead-by-lead look-ups.
FULL_REBUILD_SHARE = 0.2
_LOCK_KEY = 0x1EAD6A7E  # pg_advisory_xact_lock key: one refresher at a time
_EPSILON = 1e-6  # julianday arithmetic can land a hair under a whole hour or minute
_JULIAN_EPOCH = 2440587.5  # julianday('1970-01-01')
MONDAY = 4  # day number of Monday 1970-01-05: weeks are counted from Mondays

_t = StageTransition.__table__
_l = Lead.__table__
_q = type_cast(Table, ReportJourneyQueue.__table__)

# Lead columns that feed a fact: a change to one of them queues the lead. (assigned_at and
# handoff_score feed facts too, but are only ever written with a lead's first owner_id.)
LEAD_COLUMNS = (
    "pipeline_id",
    "source",
    "event",
    "owner_id",
    "first_owner_id",
    "status",
    "tier",
    "captured_at",
    "first_contacted_at",
    "deal_value",
)


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class StageSet:
    """A pipeline's stages as the facts need them: funnel ranks by stage id."""

    funnel: list[StageInfo]  # open stages then the won stage, in pipeline order
    lost: list[StageInfo]
    open: list[StageInfo]
    pipeline_id: int | None = None

    @property
    def rank(self) -> dict[int, int]:
        return {s.id: i for i, s in enumerate(self.funnel)}

    def rank_of(self, column: Any) -> Any:
        """CASE column WHEN stage id THEN funnel rank ... END (NULL for exits/other pipelines)."""
        mapping = self.rank
        if not mapping:
            return literal(None, Integer)
        return case(mapping, value=column, else_=None)

    @property
    def won_ids(self) -> list[int]:
        return [s.id for s in self.funnel if s.kind == StageKind.WON]

    @property
    def lost_ids(self) -> list[int]:
        return [s.id for s in self.lost]

    def signature(self) -> str:
        return json.dumps(
            {
                "v": BUILD_VERSION,
                "pipeline": self.pipeline_id,
                "funnel": [s.id for s in self.funnel],
                "open": [s.id for s in self.open],
                "won": self.won_ids,
                "lost": self.lost_ids,
            }
        )


def stage_set(session: Session, pipeline_id: int | None = None) -> StageSet:
    stages = list_stages(session, pipeline_id)
    funnel = [s for s in stages if s.kind in (StageKind.OPEN, StageKind.WON)]
    if pipeline_id is None and stages:
        from app.models import Stage

        pipeline_id = session.scalar(select(Stage.pipeline_id).where(Stage.id == stages[0].id))
    return StageSet(
        funnel=funnel,
        lost=[s for s in stages if s.kind == StageKind.LOST],
        open=[s for s in stages if s.kind == StageKind.OPEN],
        pipeline_id=pipeline_id,
    )


# --------------------------------------------------------------------------- dialect helpers


def _sqlite(session: Session | Connection) -> bool:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name == "sqlite"


def floor_int(session: Session, expr: Any) -> Any:
    """Floor of a non-negative number as an integer (PostgreSQL's CAST rounds; SQLite's
    truncates, which is the floor for the non-negative values this is used on)."""
    if _sqlite(session):
        return cast(expr, Integer)
    return cast(func.floor(expr), Integer)


def day_number(session: Session, expr: Any) -> Any:
    """A timestamp as days since 1970 (a float): later comparisons and durations are plain
    arithmetic on an 8-byte number instead of parsing date text (SQLite) or timestamps."""
    if _sqlite(session):
        return func.julianday(expr) - _JULIAN_EPOCH
    return cast(extract("epoch", expr), Float) / 86400.0


def stay_bin(session: Session, days: Any) -> Any:
    """Time in stage as an hour bin (day resolution past three days): medians and p90 then come
    from a GROUP BY on small integers. The value reported is the bin's lower bound."""
    hours = days * 24.0 + _EPSILON
    return case(
        (hours < 0, 0),
        (hours < 72, floor_int(session, hours)),
        else_=floor_int(session, days + _EPSILON) * 24,
    )


def contact_bin(session: Session, minutes: Any, contacted: Any) -> Any:
    """Capture -> first contact as a minute bin (hour resolution past a day); NULL: not yet."""
    return case(
        (contacted.is_(None), None),
        (minutes < 0, 0),  # contacted before the recorded capture time: count as instant
        (minutes < 1440, floor_int(session, minutes + _EPSILON)),
        else_=floor_int(session, minutes / 60.0 + _EPSILON) * 60,
    )


def _json_labels(session: Session, column: Any) -> Any:
    """A table-valued function yielding each string of a JSON array column as `value`."""
    if _sqlite(session):
        return func.json_each(column).table_valued("value")
    return func.json_array_elements_text(column).table_valued("value")


# --------------------------------------------------------------------------- triggers

_SQLITE_TRIGGERS = {
    "report_queue_transition_insert": (
        "AFTER INSERT ON stage_transitions BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (NEW.lead_id); END"
    ),
    "report_queue_transition_update": (
        "AFTER UPDATE ON stage_transitions BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (OLD.lead_id); "
        "INSERT INTO report_journey_queue (lead_id) VALUES (NEW.lead_id); END"
    ),
    "report_queue_transition_delete": (
        "AFTER DELETE ON stage_transitions BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (OLD.lead_id); END"
    ),
    "report_queue_lead_insert": (
        "AFTER INSERT ON leads BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (NEW.id); END"
    ),
    "report_queue_lead_update": (
        f"AFTER UPDATE OF {', '.join(LEAD_COLUMNS)} ON leads FOR EACH ROW WHEN "
        + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in LEAD_COLUMNS)
        + " BEGIN INSERT INTO report_journey_queue (lead_id) VALUES (NEW.id); END"
    ),
    "report_queue_lead_delete": (
        "AFTER DELETE ON leads BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (OLD.id); END"
    ),
}

# PostgreSQL: the statement-level triggers migration 0006 creates (with their function
# report_queue_rows()); the running app only checks that they are there.
_PG_TRIGGER_NAMES = [
    f"report_queue_{table}_{op}"
    for table in ("stage_transitions", "leads")
    for op in ("insert", "update", "delete")
]
TRIGGER_NAMES = sorted(_SQLITE_TRIGGERS)


def _sqlite_only(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        raise RuntimeError(
            "The report queue triggers of a PostgreSQL store are created by its migrations "
            "(`leadgate db upgrade`), never by the running app."
        )


def install_triggers(conn: Connection) -> None:
    """SQLite: create the queue triggers (idempotent) for a refresh that finds them missing
    (a batch migration that rebuilds a table drops its triggers). Migration 0006 has its own
    copy of this SQL."""
    _sqlite_only(conn)
    for name, body in _SQLITE_TRIGGERS.items():
        conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


def drop_triggers(conn: Connection) -> None:
    """SQLite: drop the queue triggers (tests use it to simulate a table rebuild)."""
    _sqlite_only(conn)
    for name in _SQLITE_TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")


def _triggers_present(session: Session) -> bool:
    if _sqlite(session):
        n = session.execute(
            text(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'report_queue_%'"
            )
        ).scalar_one()
        return int(n) == len(_SQLITE_TRIGGERS)
    n = session.execute(
        text("SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE 'report_queue_%'")
    ).scalar_one()
    return int(n) == len(_PG_TRIGGER_NAMES)


# --------------------------------------------------------------------------- fact tables


@dataclass
class FactTables:
    """The three fact tables: the stored ones, or temporary copies for a one-off build (a
    filter naming a pipeline other than the default)."""

    journeys: Table
    stays: Table
    stalls: Table
    temporary: bool = False

    def drop(self, conn: Connection) -> None:
        if self.temporary:
            for table in (self.journeys, self.stays, self.stalls):
                table.drop(conn, checkfirst=True)


STORED = FactTables(
    type_cast(Table, ReportJourney.__table__),
    type_cast(Table, ReportStay.__table__),
    type_cast(Table, ReportStall.__table__),
)


def _temp_copy(source: Table, name: str, metadata: MetaData) -> Table:
    columns = [Column(c.name, c.type, primary_key=c.primary_key) for c in source.columns]
    return Table(name, metadata, *columns, prefixes=["TEMPORARY"])


def temporary_tables(session: Session) -> FactTables:
    md = MetaData()
    tables = FactTables(
        _temp_copy(STORED.journeys, "tmp_report_journeys", md),
        _temp_copy(STORED.stays, "tmp_report_stays", md),
        _temp_copy(STORED.stalls, "tmp_report_stalls", md),
        temporary=True,
    )
    conn = session.connection()
    _memory_temp(conn)
    for table in (tables.journeys, tables.stays, tables.stalls):
        table.drop(conn, checkfirst=True)
        table.create(conn)
    return tables


def _memory_temp(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return
    # SQLite keeps temporary tables in a file by default; these are scratch space. SQLite
    # refuses the change once this connection's transaction has used temporary storage; the
    # setting is only a speed-up, so the tables then simply stay on disk.
    with suppress(OperationalError):
        conn.exec_driver_sql("PRAGMA temp_store = MEMORY")


# --------------------------------------------------------------------------- building


def _wide_table(st: StageSet) -> Table:
    columns: list[Column[Any]] = [
        Column("lead_id", Integer, primary_key=True),
        Column("pipeline_id", Integer),
        Column("source", String(100)),
        Column("event", String(255)),
        Column("owner_id", Integer),
        Column("first_owner_id", Integer),
        Column("status", String(20)),
        Column("tier", String(20)),
        Column("captured_at", Float),
        Column("first_contacted_at", Float),
        Column("value", Float),
        Column("assigned_at", Float),
        Column("handoff_score", Integer),
        Column("max_rank", Integer),
        Column("qualified_at", Float),
        Column("closed_at", Float),
        Column("won", Integer),
    ]
    for k in range(len(st.open)):
        columns += [Column(f"e{k}", Float), Column(f"x{k}", Float)]
    return Table("tmp_report_wide", MetaData(), *columns, prefixes=["TEMPORARY"])


def _wide_select(session: Session, st: StageSet, leads: Sequence[Any]) -> Select[Any]:
    """ONE pass over the history, grouped by lead: every per-lead fact. leads LEFT JOIN
    history GROUP BY lead: SQLite scans leads in id order and reads each lead's events through
    the (lead_id, at) index, so the grouping streams without a sort. A lead that re-enters a
    stage is measured on its first stay."""
    rank = st.rank_of(_t.c.to_stage_id)
    closing = st.won_ids + st.lost_ids or [-1]

    def first(condition: Any) -> Any:
        return day_number(session, func.min(case((condition, _t.c.at))))

    aggs: list[Any] = [
        func.max(rank),
        first(rank >= 1),
        first(_t.c.to_stage_id.in_(closing)),
        func.max(case((_t.c.to_stage_id.in_(st.won_ids or [-1]), 1), else_=0)),
    ]
    for stage in st.open:
        aggs += [first(_t.c.to_stage_id == stage.id), first(_t.c.from_stage_id == stage.id)]
    return (
        select(
            _l.c.id,
            _l.c.pipeline_id,
            _l.c.source,
            _l.c.event,
            _l.c.owner_id,
            _l.c.first_owner_id,
            _l.c.status,
            func.coalesce(_l.c.tier, UNSCORED),
            day_number(session, _l.c.captured_at),
            day_number(session, _l.c.first_contacted_at),
            func.coalesce(cast(_l.c.deal_value, Float), 0.0),
            day_number(session, _l.c.assigned_at),
            _l.c.handoff_score,
            *aggs,
        )
        .select_from(_l.outerjoin(_t, and_(_t.c.lead_id == _l.c.id, _t.c.kind != "blocked")))
        .where(*leads)
        .group_by(_l.c.id)
    )


def _analyze(session: Session, table: Table) -> None:
    """PostgreSQL: statistics for a freshly filled temporary table (autovacuum never sees
    them); without, the planner guesses and scans whole fact tables to join a few rows."""
    if not _sqlite(session):
        session.connection().exec_driver_sql(f"ANALYZE {table.name}")


def _week(session: Session, day: Any) -> Any:
    return floor_int(session, (day - MONDAY) / 7.0)


def build_facts(
    session: Session, st: StageSet, tables: FactTables, leads: Sequence[Any] = ()
) -> None:
    """Insert the facts of the leads matching `leads` (clauses on the leads table; all leads
    when empty) into `tables`. Callers delete those leads' old rows first."""
    conn = session.connection()
    _memory_temp(conn)
    wide = _wide_table(st)
    wide.drop(conn, checkfirst=True)
    wide.create(conn)
    try:
        session.execute(
            insert(wide).from_select(
                [c.name for c in wide.columns], _wide_select(session, st, leads)
            )
        )
        _analyze(session, wide)
        w = wide.c
        minutes = (w.first_contacted_at - w.captured_at) * 1440.0
        won_cycle = case((w.won == 1, w.closed_at - w.captured_at), else_=0.0)
        j = tables.journeys
        session.execute(
            insert(j).from_select(
                [c.name for c in j.columns],
                select(
                    w.lead_id,
                    w.pipeline_id,
                    w.source,
                    w.event,
                    w.owner_id,
                    w.first_owner_id,
                    w.status,
                    w.tier,
                    w.captured_at,
                    contact_bin(session, minutes, w.first_contacted_at),
                    w.value,
                    w.max_rank,
                    w.qualified_at,
                    w.closed_at,
                    w.won,
                    _week(session, w.qualified_at),
                    _week(session, w.closed_at),
                    won_cycle,
                    contact_bin(session, (w.assigned_at - w.captured_at) * 1440.0, w.assigned_at),
                    w.handoff_score,
                ),
            )
        )
        if st.open:
            parts = []
            for k in range(len(st.open)):
                entered, left = w[f"e{k}"], w[f"x{k}"]
                parts.append(
                    select(
                        w.lead_id,
                        literal(k, Integer),
                        entered,
                        case((left.is_(None), None), else_=stay_bin(session, left - entered)),
                        case((w.max_rank > k, 1), else_=0),
                        case((and_(left.is_not(None), w.max_rank <= k), 1), else_=0),
                        w.pipeline_id,
                        w.source,
                        w.event,
                        w.owner_id,
                    ).where(entered.is_not(None))
                )
            s = tables.stays
            names = [
                "lead_id", "k", "entered", "bin", "advanced", "exited",
                "pipeline_id", "source", "event", "owner_id",
            ]  # fmt: skip
            session.execute(insert(s).from_select(names, union_all(*parts)))
    finally:
        wide.drop(conn, checkfirst=True)
    _build_stalls(session, st, tables.stalls, leads)


def _build_stalls(session: Session, st: StageSet, table: Table, leads: Sequence[Any]) -> None:
    names = [
        "lead_id", "kind", "stage_id", "code", "at", "pipeline_id", "source", "event", "owner_id",
    ]  # fmt: skip
    copied = (_l.c.pipeline_id, _l.c.source, _l.c.event, _l.c.owner_id)
    history = _t.join(_l, _l.c.id == _t.c.lead_id)
    at = day_number(session, _t.c.at)
    label = _json_labels(session, _t.c.unmet)
    attempts = (
        select(_t.c.lead_id, literal("b"), _t.c.to_stage_id, literal(None, String), at, *copied)
        .select_from(history)
        .where(_t.c.kind == "blocked", *leads)
    )
    labels = (
        select(_t.c.lead_id, literal("l"), _t.c.from_stage_id, label.c.value, at, *copied)
        .select_from(history.join(label, literal(True)))
        .where(_t.c.kind == "blocked", *leads)
    )
    exits = (
        select(_t.c.lead_id, literal("x"), _t.c.to_stage_id, _t.c.reason_code, at, *copied)
        .select_from(history)
        .where(_t.c.kind != "blocked", _t.c.to_stage_id.in_(st.lost_ids or [-1]), *leads)
    )
    for part in (attempts, labels, exits):
        session.execute(insert(table).from_select(names, part))


# --------------------------------------------------------------------------- refresh


@dataclass
class RefreshResult:
    full: bool = False
    leads: int = 0  # leads whose facts were rebuilt (all of them on a full rebuild)
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def tune_for_reports(session: Session) -> None:
    """PostgreSQL: enough sort/hash memory for this transaction's report GROUP BYs to stay in
    memory (the default 4 MB spills a ~300k-row aggregate to disk)."""
    if not _sqlite(session):
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def _lock(session: Session) -> None:
    if not _sqlite(session):
        session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))


def _state(session: Session) -> str | None:
    return session.scalar(
        select(ReportJourneyState.signature).where(ReportJourneyState.key == STATE_KEY)
    )


def refresh_journeys(
    session: Session, *, full: bool = False, allow_full: bool = True
) -> RefreshResult:
    """Bring the stored facts up to date with the history this session sees (idempotent; cheap
    when nothing changed: two small reads). Runs in the caller's transaction: commit to keep
    the work. `full=True` rebuilds everything; `allow_full=False` (the timer sweep) folds in
    changed leads only and leaves a full rebuild (seconds on a big store, holding the write
    lock) to the next dashboard, which runs off the UI thread with a busy indicator."""
    st = stage_set(session)
    signature = st.signature()
    stored = _state(session)
    triggers = _triggers_present(session)
    if not full and stored == signature and triggers and _queue_empty(session):
        return RefreshResult(reason="up to date")
    if not allow_full and (full or stored != signature):
        return RefreshResult(reason="full rebuild left to the dashboard")
    _lock(session)
    result = RefreshResult()
    if not triggers:
        # Nothing queued the changes made meanwhile: only a full rebuild is right.
        full, result.reason = True, "queue triggers were missing"
        if _sqlite(session):
            install_triggers(session.connection())
        else:
            result.notes.append(
                "The report queue triggers are missing from this store, so every refresh "
                "rebuilds all facts: ask an admin to run `leadgate db upgrade`."
            )
    stored = _state(session)  # again: a refresher we waited for may have changed it
    if stored != signature:
        full = True
        result.reason = result.reason or ("first build" if stored is None else "stages changed")
    tables = STORED
    if not full:
        claimed = {
            int(i) for i in session.scalars(delete(_q).returning(_q.c.lead_id)) if i is not None
        }
        if not claimed:
            return RefreshResult(reason="up to date")
        big = allow_full and len(claimed) > 1000
        total = (
            session.scalar(select(func.count()).select_from(ReportJourney.__table__)) if big else 0
        )
        if big and len(claimed) > FULL_REBUILD_SHARE * (total or 0):
            full, result.reason = True, f"{len(claimed):,} leads changed"
        else:
            _rebuild_leads(session, st, tables, sorted(claimed))
            result.leads, result.reason = len(claimed), "changed leads"
            return result
    session.execute(delete(_q))
    conn = session.connection()
    # SQLite (a local file the app owns): emptying and filling the tables without their
    # indexes, then building each index in one sorted pass, is several times faster than
    # updating five B-trees row by row. PostgreSQL keeps its indexes: no DDL at run time.
    indexes = (
        [i for t in (tables.journeys, tables.stays, tables.stalls) for i in t.indexes]
        if _sqlite(session)
        else []
    )
    for index in indexes:
        index.drop(conn)
    for table in (tables.journeys, tables.stays, tables.stalls):
        session.execute(delete(table))
    build_facts(session, st, tables)
    for index in indexes:
        index.create(conn)
    if not _sqlite(session) and _owns_fact_tables(session):
        # Fresh statistics, or the planner guesses a few hundred rows and sorts on disk.
        # Only the tables' owner may (an admin's login); a rep's waits for autovacuum.
        conn.exec_driver_sql("ANALYZE report_journeys, report_stays, report_stalls")
        _vacuum_after_commit(session)
    state = session.get(ReportJourneyState, STATE_KEY)
    if state is None:
        session.add(ReportJourneyState(key=STATE_KEY, signature=signature))
    else:
        state.signature = signature
    session.flush()
    result.full = True
    result.leads = int(session.scalar(select(func.count()).select_from(tables.journeys)) or 0)
    return result


_FACT_TABLES = "report_journeys, report_stays, report_stalls, report_journey_queue"


def _owns_fact_tables(session: Session) -> bool:
    """PostgreSQL: whether this login owns the fact tables (may ANALYZE and VACUUM them)."""
    owner = session.execute(
        text(
            "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class "
            "WHERE oid = CAST('report_journeys' AS regclass)"
        )
    ).scalar()
    return bool(owner)


def _vacuum_after_commit(session: Session) -> None:
    """PostgreSQL: once the rebuild is committed, VACUUM the fact tables (on a connection of
    its own: VACUUM cannot run inside a transaction). Until autovacuum gets there the reports
    cannot use index-only scans and run about half as fast again; this saves them the wait."""
    engine = type_cast(Engine, session.get_bind())

    def vacuum(_session: Session) -> None:
        # Best effort: the rebuild is committed already, and autovacuum would get there too.
        with (
            suppress(Exception),
            engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn,
        ):
            conn.exec_driver_sql("SET lock_timeout = '5s'")  # never wait on a busy table
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {_FACT_TABLES}")

    event.listen(session, "after_commit", vacuum, once=True)


def _queue_empty(session: Session) -> bool:
    # In id order: the primary key index skips the dead rows a big claim leaves behind on
    # PostgreSQL until autovacuum, where a plain scan would read every one of them.
    return session.scalar(select(_q.c.id).order_by(_q.c.id).limit(1)) is None


_dirty = Table(
    "tmp_report_dirty",
    MetaData(),
    Column("lead_id", Integer, primary_key=True),
    prefixes=["TEMPORARY"],
)


def _rebuild_leads(session: Session, st: StageSet, tables: FactTables, ids: list[int]) -> None:
    conn = session.connection()
    _memory_temp(conn)
    _dirty.drop(conn, checkfirst=True)
    _dirty.create(conn)
    try:
        session.execute(insert(_dirty), [{"lead_id": i} for i in ids])
        _analyze(session, _dirty)
        dirty = select(_dirty.c.lead_id)
        for table in (tables.journeys, tables.stays, tables.stalls):
            session.execute(delete(table).where(table.c.lead_id.in_(dirty)))
        build_facts(session, st, tables, [_l.c.id.in_(dirty)])
    finally:
        _dirty.drop(conn, checkfirst=True)


__all__ = [
    "STORED",
    "FactTables",
    "RefreshResult",
    "StageSet",
    "build_facts",
    "drop_triggers",
    "install_triggers",
    "refresh_journeys",
    "stage_set",
    "temporary_tables",
]
