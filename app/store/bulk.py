"""Bulk writes for a big import, on one session's connection: no domain logic here.

Rows go in as plain tuples (already converted: JSON text, `dt()` datetimes) through Core
executemany on SQLite and COPY on PostgreSQL (new leads by way of a staging table for a login
under row-level security: PG_STAGE_TABLE), on one writer thread so the caller prepares the
next batch meanwhile. Into an empty SQLite store the leads' indexes and per-row triggers are
dropped for the duration and rebuilt once at the end (in the same transaction: a rollback
brings them back). With `later` the search index and the indexes only the views read are
left to `catch_up_in_background` after the commit instead: the dropped ones are recorded in
the same transaction (setting DEFERRED_INDEXES_KEY), so a crash before the catch-up leaves
a note the next catch-up acts on, never a store that silently lacks them. The caller commits
or rolls back; `finish()` or `abort()` ends the writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.models import Lead, Setting
from app.store.db import RESTORE_PRAGMAS, checkpoint
from app.store.search import SQLITE_REFILL, catch_up_search

log = logging.getLogger(__name__)

IMPORT_CACHE_KIB = 64 * 1024
INDEX_SORT_KIB = 4 * 1024
WAIT_SLICE_S = 0.05  # while waiting for a write, the caller's pulse runs this often

# PostgreSQL: leads have row-level security (migration team_roles), and the server refuses
# COPY into such a table for every login the policies apply to (a member's own login). Their
# new leads are COPYed into this unlogged staging table (migration bulk_import) and moved into
# leads by one INSERT ... SELECT per chunk, which the policies, constraints and triggers check
# like any INSERT. Only rows this transaction wrote are moved (and deleted), never committed.
PG_STAGE_TABLE = "lead_import_rows"

# Insert triggers an import into an empty SQLite store replaces by one statement each at the
# end (migrations 0006 and 0008 create them).
DEFERRABLE_TRIGGERS = (
    "lead_search_insert",
    "report_queue_lead_insert",
    "report_queue_transition_insert",
)


# Indexes of leads an import into an empty store builds before it returns: the ones the import
# itself, the next import's duplicate lookups and an undo read. The others (inbox, board and
# report orderings) only make the views faster; with `BulkWriter.later` they are built after
# the commit (`catch_up_indexes`), and meanwhile the same queries scan the table, as correct.
IMPORT_INDEXES = frozenset(
    {
        "ix_leads_email_normalized",
        "ix_leads_phone_normalized",
        "ix_leads_import_batch_id",
        "ix_leads_account_id",
    }
)
# The setting listing indexes left to build ([[name, CREATE INDEX ...], ...]).
DEFERRED_INDEXES_KEY = "store.deferred_indexes"
SETTINGS = cast(Table, Setting.__table__)


def naive(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


class BulkWriter:
    """Bulk writes on the session's connection: executemany on SQLite, COPY on PostgreSQL."""

    def __init__(self, session: Session) -> None:
        self.conn: Connection = session.connection()
        self.pg = self.conn.dialect.name == "postgresql"
        # One writer thread: the driver releases the GIL while SQLite/PostgreSQL store a
        # chunk, so the next chunk is parsed and validated meanwhile. Never two at once:
        # every other use of the connection waits for the pending write first.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self._pending: Future[None] | None = None
        self._next_id = 0
        self.first_id = 0  # SQLite: the first id this import gives out
        self._old_cache: Any = None
        self.pulse: Callable[..., None] | None = None
        # SQLite, empty store: leads' indexes dropped for the import, rebuilt at the end.
        self._deferred: list[tuple[str, str]] = []
        self._deferred_triggers: list[tuple[str, str]] = []
        self._aborted = False
        self._restore_later: dict[str, int] = {}  # PRAGMAs the pool puts back (app.store.db)
        # Leave the search index's rebuild (`app.store.search.catch_up_search`) and the views'
        # indexes (`catch_up_indexes`) to after the import returns; the caller says so, and
        # must run `catch_up_in_background` after its commit.
        self.later = False
        self.search_left = False  # True: it was (the import's new leads are not in search yet)
        self.indexes_left = 0  # how many of the leads' indexes were left to build
        self._pg_stage = False  # PostgreSQL: leads go through PG_STAGE_TABLE (see there)

    def start_ids(self) -> None:
        if self.pg:
            self._pg_stage = bool(
                self.conn.exec_driver_sql("SELECT row_security_active('leads')").scalar()
            )
        if not self.pg:
            # The batch row was written first, so this transaction holds SQLite's write lock:
            # nobody else can take these ids before we commit.
            self._next_id = int(self.conn.scalar(select(func.coalesce(func.max(Lead.id), 0))) or 0)
            self.first_id = self._next_id + 1
            # A bigger page cache for this connection while importing: the leads table's
            # indexes (e-mail, phone, score...) are updated in random order.
            self._old_cache = self.conn.exec_driver_sql("PRAGMA cache_size").scalar()
            self.conn.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
            # The commit that ends this import would copy the whole write-ahead log into the
            # store's file before returning (a second per 100,000 leads). The caller runs that
            # checkpoint afterwards instead (`app.store.db.checkpoint`), as SQLite's documentation
            # suggests for bulk writers; the pool turns it back on for the next user.
            autocheckpoint = self.conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            self.conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            self._restore_later["wal_autocheckpoint"] = int(autocheckpoint or 1000)
            if self._next_id == 0 and self.conn.scalar(select(Lead.id).limit(1)) is None:
                self._defer_indexes()

    def _defer_indexes(self) -> None:
        """Into an empty store, build the leads' indexes once after the rows are in, instead
        of updating ~18 B-trees in random order for every row (about 3x the table's own write
        cost). Nothing reads them meanwhile: an empty store has nothing to look up, and the
        import's own reads go by primary key. DDL is transactional in SQLite: a cancel, an
        error or a killed process rolls the drop back with the rows."""
        self._deferred = [
            (str(name), str(sql))
            for name, sql in self.conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = 'leads' AND sql IS NOT NULL"
            )
        ]
        for name, _sql in self._deferred:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
        # Per-row triggers that feed the search index and the reports' change queue: for an
        # empty store both can be filled in one statement each at the end instead.
        self._deferred_triggers = [
            (str(name), str(sql))
            for name, sql in self.conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
                f"({', '.join(repr(t) for t in DEFERRABLE_TRIGGERS)})"
            )
        ]
        for name, _sql in self._deferred_triggers:
            self.conn.exec_driver_sql(f'DROP TRIGGER "{name}"')

    def start_restore(self, check: Callable[[], None]) -> None:
        """Rebuild what `_defer_indexes` dropped, on the writer thread, once the last rows are
        stored. SQLite builds the indexes and the search index in C without the GIL, so the
        caller goes on with work that does not touch the store (the duplicate search)
        meanwhile; every other use of the connection waits for it first (`wait`)."""
        self.wait()
        if not self._deferred and not self._deferred_triggers:
            return
        self._pending = self._pool.submit(self._restore, check)

    def _restore(self, check: Callable[[], None]) -> None:
        raw: Any = self.conn.connection.dbapi_connection
        cancelled: list[BaseException] = []

        def tick() -> int:
            # SQLite's progress handler: Cancel stops a running build within milliseconds.
            try:
                check()
            except Exception as exc:  # the caller's cancel, whatever its exception
                cancelled.append(exc)
                return 1  # SQLite stops the statement ("interrupted")
            return 0

        raw.set_progress_handler(tick, 20_000)
        # A smaller sorter budget: SQLite sorts each in-memory run in C without calling the
        # progress handler, so runs of the whole table would delay Cancel.
        self.conn.exec_driver_sql(f"PRAGMA cache_size=-{INDEX_SORT_KIB}")
        left = [(n, sql) for n, sql in self._deferred if self.later and n not in IMPORT_INDEXES]
        try:
            for name, sql in self._deferred:
                if (name, sql) not in left:
                    self.conn.exec_driver_sql(sql)
            if left:
                _note_deferred(self.conn, left)
                self.indexes_left = len(left)
            names = {name for name, _sql in self._deferred_triggers}
            if "lead_search_insert" in names:
                if self.later:
                    self.search_left = True
                else:
                    self.conn.exec_driver_sql(SQLITE_REFILL)
            if names & {"report_queue_lead_insert", "report_queue_transition_insert"}:
                self.conn.exec_driver_sql(
                    "INSERT INTO report_journey_queue (lead_id) SELECT id FROM leads"
                )
            for _name, sql in self._deferred_triggers:
                self.conn.exec_driver_sql(sql)
        except Exception:
            if cancelled:
                raise cancelled[0] from None
            raise
        finally:
            raw.set_progress_handler(None, 0)
            self.conn.exec_driver_sql(f"PRAGMA cache_size=-{IMPORT_CACHE_KIB}")
        self._deferred = []
        self._deferred_triggers = []

    def submit(self, jobs: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]]) -> None:
        """Store these rows in the background (after the previous batch of rows)."""
        self.wait()
        self._pending = self._pool.submit(self._run, jobs)

    def submit_statement(self, sql: str, params: tuple[Any, ...]) -> None:
        """Run one statement in the background (after the pending write)."""
        self.wait()

        def run() -> None:
            self.conn.exec_driver_sql(sql, params)

        self._pending = self._pool.submit(run)

    def _run(self, jobs: list[tuple[str, Sequence[str], list[tuple[Any, ...]]]]) -> None:
        for table, columns, rows in jobs:
            if self._aborted:
                return
            self.write(table, columns, rows)

    def wait(self) -> None:
        """Let the pending background write finish (re-raising its error, if any). While it
        runs, `pulse` keeps progress and Cancel alive (a big transaction's page spills can
        take seconds). A cancel leaves `_pending` set, so `finish` still waits for the write
        before the caller rolls back on this connection."""
        pending = self._pending
        if pending is None:
            return
        if self.pulse is not None:
            while True:
                try:
                    pending.result(timeout=WAIT_SLICE_S)
                    break
                except FutureTimeout:
                    self.pulse()
        self._pending = None
        pending.result()

    def finish(self) -> None:
        """The import is done: wait for the last write (re-raising its error)."""
        self.pulse = None
        try:
            self.wait()
        finally:
            self._close()

    def abort(self) -> None:
        """A cancel or an error: stop the write in progress now rather than let it finish
        (a chunk into a big store spills pages for a quarter of a second); the caller rolls
        the transaction back. SQLite's interrupt is made for this and is safe from any thread;
        on PostgreSQL the write in progress finishes and nothing after it starts."""
        self.pulse = None
        self._aborted = True
        pending, self._pending = self._pending, None
        try:
            if pending is not None and not pending.done() and not self.pg:
                raw: Any = self.conn.connection.dbapi_connection
                raw.interrupt()
            if pending is not None:
                pending.exception()  # waits; its error (interrupted) is the abort's own doing
        finally:
            self._close(aborted=True)

    def _close(self, *, aborted: bool = False) -> None:
        self._pool.shutdown(wait=True)
        if self.pg:
            return
        if self._old_cache is not None:
            if aborted:  # the pool puts the size back after the caller's rollback
                self._restore_later["cache_size"] = int(self._old_cache)
            else:
                self.conn.exec_driver_sql(f"PRAGMA cache_size={int(self._old_cache)}")
        if self._restore_later:
            self.conn.connection.info[RESTORE_PRAGMAS] = dict(self._restore_later)

    def reserve(self, n: int) -> list[int]:
        if self.pg:
            rows = self.conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('leads', 'id')) "
                f"FROM generate_series(1, {int(n)})"
            )
            return [r[0] for r in rows]
        first = self._next_id + 1
        self._next_id += n
        return list(range(first, first + n))

    def dt(self, v: datetime | None) -> Any:
        """A datetime as the driver takes it: naive UTC (SQLAlchemy's text format on SQLite)."""
        if v is None:
            return None
        value = naive(v)
        assert value is not None
        return value if self.pg else value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Rows already converted (json text, `dt()` datetimes): no per-cell work here."""
        if not rows:
            return
        cols = ", ".join(columns)
        if self.pg:
            if table == "leads" and self._pg_stage:
                self._write_pg_staged(columns, rows)
                return
            raw: Any = self.conn.connection.dbapi_connection  # psycopg 3: it has copy()
            assert raw is not None
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            marks = ", ".join("?" for _ in columns)
            self.conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)

    def _write_pg_staged(self, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """New leads through PG_STAGE_TABLE: COPY there, then one INSERT ... SELECT into leads
        of exactly the rows this transaction just wrote there (their ids were reserved from
        the leads' sequence by this import), deleting them from the staging table."""
        cols = ", ".join(columns)
        i = list(columns).index("id")
        ids = [r[i] for r in rows]
        raw: Any = self.conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cur:
            with cur.copy(f"COPY {PG_STAGE_TABLE} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            cur.execute(
                f"WITH moved AS (DELETE FROM {PG_STAGE_TABLE} "
                "WHERE id BETWEEN %s AND %s AND xmin = pg_current_xact_id()::xid "
                f"RETURNING {cols}) INSERT INTO leads ({cols}) SELECT {cols} FROM moved",
                (min(ids), max(ids)),
            )
            if cur.rowcount != len(rows):  # only this chunk's rows can be there
                raise RuntimeError(
                    f"import staging moved {cur.rowcount} leads instead of {len(rows)}"
                )


def _noted(conn: Connection) -> dict[str, str]:
    """The note of indexes left to build: name -> CREATE INDEX statement ({} when none)."""
    value = conn.execute(
        select(SETTINGS.c.value).where(SETTINGS.c.key == DEFERRED_INDEXES_KEY)
    ).scalar()
    return {str(name): str(sql) for name, sql in (value or [])}


def _note_deferred(conn: Connection, left: list[tuple[str, str]]) -> None:
    """Record the indexes left to build, in the import's transaction (with any earlier note)."""
    listed = _noted(conn) | dict(left)
    conn.execute(delete(SETTINGS).where(SETTINGS.c.key == DEFERRED_INDEXES_KEY))
    conn.execute(
        insert(SETTINGS).values(
            key=DEFERRED_INDEXES_KEY, value=[[n, sql] for n, sql in sorted(listed.items())]
        )
    )


def deferred_indexes(session: Session) -> list[str]:
    """Names of the leads' indexes an import left to build (`BulkWriter.later`); [] when none."""
    return list(_noted(session.connection()))


def catch_up_indexes(session: Session) -> int:
    """Build the indexes an import left (the note DEFERRED_INDEXES_KEY), then drop the note;
    returns how many were built. Nothing to do when there is no note. The caller commits."""
    conn = session.connection()
    noted = _noted(conn)
    if not noted:
        return 0
    present = {
        str(name)
        for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
    }
    missing = [sql for name, sql in noted.items() if name not in present]
    for sql in missing:
        conn.exec_driver_sql(sql)
    conn.execute(delete(SETTINGS).where(SETTINGS.c.key == DEFERRED_INDEXES_KEY))
    return len(missing)


def catch_up_in_background(session_factory: sessionmaker[Session]) -> threading.Thread:
    """After an import's commit, on a thread of its own session: build the views' indexes it
    left (`catch_up_indexes`), catch the search index up if it is behind (`BulkWriter.later`,
    or an earlier catch-up cut short), then the checkpoint (`app.store.db.checkpoint`). Each
    step commits on its own. Not a daemon: a command-line import prints its report first, then
    the process waits for this before it exits."""

    def run() -> None:
        try:
            with session_factory() as session:
                if session.get_bind().dialect.name == "sqlite":
                    catch_up_indexes(session)
                    session.commit()
                catch_up_search(session)
                session.commit()
                checkpoint(session)
        except Exception:  # the next import, or the next start of the app, tries again
            log.warning("Background indexing or checkpoint failed", exc_info=True)

    thread = threading.Thread(target=run, name="leadgate-checkpoint")
    thread.start()
    return thread


__all__ = [
    "DEFERRABLE_TRIGGERS",
    "DEFERRED_INDEXES_KEY",
    "IMPORT_INDEXES",
    "PG_STAGE_TABLE",
    "BulkWriter",
    "catch_up_in_background",
    "catch_up_indexes",
    "deferred_indexes",
    "naive",
]
