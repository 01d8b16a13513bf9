"""Stage 5: write the file's leads to the store, and undo a batch.

One import is one transaction: the caller commits when `run_import` returns and rolls back on
any exception, so a cancel (or a killed process) leaves the store exactly as it was. Writes
bypass the ORM unit of work: explicit ids (reserved up front) and Core executemany on SQLite,
COPY on PostgreSQL. Rows stream through in chunks; within a chunk repeats merge in memory, and
repeats of earlier leads are filled in with one SELECT and a few UPDATEs per chunk.
"""

from __future__ import annotations

import gc
import json
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Connection, Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EngagementEvent, ImportBatch, ImportChange, Lead
from app.services.errors import ActionError
from app.services.importing.dedup import (
    FILLABLE,
    MAX_LISTED,
    Conflict,
    DuplicateFinder,
    PossibleDuplicate,
    chunks,
    fill_missing,
    identity_key,
)
from app.services.importing.detect import Detected, RowStream, detect
from app.services.importing.mapping import Mapping, resolve_mapping
from app.services.importing.validate import BLANK, REJECTED, Candidate, RowValidator
from app.services.leads import hooks as lead_hooks
from app.services.routing.core import RouteFacts as _RouteFacts
from app.services.scoring.core import EventFact, LeadFacts, ScoreResult
from app.store.db import RESTORE_PRAGMAS

CHUNK = 2000
RELEASE_SLICE = 5000  # objects freed between GIL hand-overs after a Cancel
PROGRESS_EVERY_S = 0.1  # several updates a second
CHECK_EVERY_ROWS = 256  # cancel is noticed within a few milliseconds
EVENT_KIND = "badge_scan"
IMPORT_CACHE_KIB = 64 * 1024
INDEX_SORT_KIB = 4 * 1024

LEAD_COLUMNS = (
    "id", "first_name", "last_name", "display_name", "email", "email_normalized", "phone",
    "phone_normalized", "title", "company", "country", "industry", "headcount", "source",
    "event", "captured_at", "owner_id", "first_owner_id", "pipeline_id", "stage_id",
    "stage_entered_at", "status", "incomplete", "details", "qualifiers", "raw_row",
    "import_batch_id", "score", "fit", "intent", "authority", "timing", "version",
    "created_at", "updated_at", "updated_by_id", "tier", "scored_at", "routing_reason",
)  # fmt: skip
EVENT_COLUMNS = ("lead_id", "kind", "at", "detail", "import_batch_id")
TRANSITION_COLUMNS = ("lead_id", "from_stage_id", "to_stage_id", "kind", "at", "by_user_id")


# Core tables (typed as Table: the ORM declares __table__ as a FromClause).
LEADS = cast(Table, Lead.__table__)
CHANGES = cast(Table, ImportChange.__table__)
EVENTS = cast(Table, EngagementEvent.__table__)

# One encoder for every row: json.dumps with options builds a new encoder on each call.
_to_json = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


def _pause_gc() -> None:
    """Pause Python's cyclic garbage collector while importing. The import keeps millions
    of small objects alive (the in-file dedup keys, the duplicate finder's blocks), and every
    full collection walks all of them: at a million rows that is seconds of stalled progress,
    again and again, and about a fifth of the import's time. Reference counting still frees
    everything; the collector resumes (and catches up) when the last running import ends
    (`_resume_gc`)."""
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1


def _resume_gc() -> None:
    global _gc_holders
    with _gc_lock:
        _gc_holders -= 1
        if _gc_holders == 0 and _gc_was_enabled:
            gc.enable()


def _release_then_resume_gc(tb: Any, containers: list[Any]) -> None:
    """Free a cancelled import's objects, then let the collector run (resumed before, its
    first full pass would walk all of them while they are being freed). The big containers
    are emptied a slice at a time, giving the GIL away in between: freeing a dict of a
    million entries in one go is a single C call that would stall every other thread."""
    try:
        for box in containers:
            while box:
                if isinstance(box, list):
                    del box[-RELEASE_SLICE:]
                else:
                    for _ in range(min(RELEASE_SLICE, len(box))):
                        box.popitem() if isinstance(box, dict) else box.pop()
                time.sleep(0)
        del containers
        traceback.clear_frames(tb)
        del tb
    finally:
        _resume_gc()


class ImportCancelled(Exception):
    """The user cancelled; the caller rolls the transaction back."""


class ProgressState(Protocol):
    """What the import needs from a task handle (app.ui.workers.TaskState fits)."""

    def check(self) -> None: ...

    def progress(self, done: int, total: int, text: str = "") -> None: ...


# Insert triggers an import into an empty SQLite store replaces by one statement each at the
# end (migrations 0006 and 0008 create them).
DEFERRABLE_TRIGGERS = (
    "lead_search_insert",
    "report_queue_lead_insert",
    "report_queue_transition_insert",
)


class ImportState:
    """A plain progress/cancel handle for the CLI, tests and benchmarks."""

    def __init__(self, on_progress: Callable[[int, int, str], None] | None = None) -> None:
        self._cancelled = False
        self._on_progress = on_progress

    def cancel(self) -> None:
        self._cancelled = True

    def check(self) -> None:
        if self._cancelled:
            raise ImportCancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        if self._on_progress is not None:
            self._on_progress(done, total, text)


class _CancelAsImport:
    """The caller's progress handle, its cancel (whatever its check() raises: the app's task
    runner has its own exception) always seen as ImportCancelled inside the import."""

    def __init__(self, state: ProgressState) -> None:
        self._state = state

    def check(self) -> None:
        try:
            self._state.check()
        except ImportCancelled:
            raise
        except Exception as exc:
            raise ImportCancelled() from exc

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._state.progress(done, total, text)


class _PulseState:
    """A _Pulse seen as a ProgressState, for services that report their own progress."""

    def __init__(self, pulse: _Pulse) -> None:
        self._pulse = pulse

    def check(self) -> None:
        self._pulse()

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._pulse(text=text or None)


class _Pulse:
    """Checks for cancel and reports progress at most every PROGRESS_EVERY_S, from anywhere in
    the import (row loop, bulk writes, duplicate search), so updates keep coming."""

    def __init__(self, state: ProgressState, total: int) -> None:
        self.state = state
        self.total = total
        self.done = 0
        self.text = ""
        self._last = 0.0

    def __call__(self, done: int | None = None, text: str | None = None) -> None:
        self.state.check()
        if done is not None:
            self.done = min(done, self.total)
        if text is not None:
            self.text = text
        t = time.monotonic()
        if t - self._last >= PROGRESS_EVERY_S:
            self._last = t
            self.state.progress(self.done, self.total, self.text)


@dataclass
class ImportOptions:
    source: str | None = "Event badge scan"
    event: str | None = None
    event_date: date | None = None
    owner_id: int | None = None  # None: route automatically (when `route`)
    route: bool = True
    tags: list[str] = field(default_factory=list)
    user_id: int | None = None
    phone_region: str | None = None
    dry_run: bool = False


@dataclass
class RejectedRow:
    row: int
    reason: str
    cells: list[str]


@dataclass
class ImportResult:
    file_name: str
    data_rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    rejected: int = 0
    skipped_blank: int = 0
    incomplete: int = 0
    footer_rows: int = 0
    batch_id: int | None = None
    dry_run: bool = False
    detected: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    preset: str | None = None
    warnings: list[str] = field(default_factory=list)
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    # Created leads flagged incomplete: (row, name, e-mail, company, e-mail valid), for review.
    incomplete_rows: list[tuple[int, str, str | None, str | None, bool]] = field(
        default_factory=list
    )
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "data_rows": self.data_rows,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "rejected": self.rejected,
            "skipped_blank": self.skipped_blank,
            "incomplete": self.incomplete,
            "possible_duplicates": len(self.possible_duplicates),
            "conflicts": self.conflict_count,
            "batch_id": self.batch_id,
            "dry_run": self.dry_run,
            "encoding": self.detected.get("encoding"),
            "delimiter": self.detected.get("delimiter"),
            "header_row": self.detected.get("header_row"),
            "sheet": self.detected.get("sheet"),
            "footer_rows": self.footer_rows,
            "mapping": self.mapping,
            "preset": self.preset,
            "warnings": self.warnings,
        }

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("data_rows", "created", "updated", "merged", "rejected", "skipped_blank",
                      "incomplete", "footer_rows")
        } | {"possible_duplicates": len(self.possible_duplicates),
             "conflicts": self.conflict_count}  # fmt: skip


# -- writers ------------------------------------------------------------------------------


def _naive(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


class _Writer:
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

    def start_ids(self) -> None:
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

    def start_restore(self, state: ProgressState) -> None:
        """Rebuild what `_defer_indexes` dropped, on the writer thread, once the last rows are
        stored. SQLite builds the indexes and the search index in C without the GIL, so the
        caller goes on with work that does not touch the store (the duplicate search)
        meanwhile; every other use of the connection waits for it first (`wait`)."""
        self.wait()
        if not self._deferred and not self._deferred_triggers:
            return
        self._pending = self._pool.submit(self._restore, state.check)

    def _restore(self, check: Callable[[], None]) -> None:
        raw: Any = self.conn.connection.dbapi_connection
        cancelled: list[BaseException] = []

        def tick() -> int:
            # SQLite's progress handler: Cancel stops a running build within milliseconds.
            try:
                check()
            except ImportCancelled as exc:
                cancelled.append(exc)
                return 1  # SQLite stops the statement ("interrupted")
            return 0

        raw.set_progress_handler(tick, 20_000)
        # A smaller sorter budget: SQLite sorts each in-memory run in C without calling the
        # progress handler, so runs of the whole table would delay Cancel.
        self.conn.exec_driver_sql(f"PRAGMA cache_size=-{INDEX_SORT_KIB}")
        try:
            for _name, sql in self._deferred:
                self.conn.exec_driver_sql(sql)
            names = {name for name, _sql in self._deferred_triggers}
            if "lead_search_insert" in names:
                self.conn.exec_driver_sql("INSERT INTO lead_search(lead_search) VALUES ('rebuild')")
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
                    pending.result(timeout=PROGRESS_EVERY_S / 2)
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
        naive = _naive(v)
        assert naive is not None
        return naive if self.pg else naive.strftime("%Y-%m-%d %H:%M:%S.%f")

    def write(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Rows already converted (json text, `dt()` datetimes): no per-cell work here."""
        if not rows:
            return
        cols = ", ".join(columns)
        if self.pg:
            raw: Any = self.conn.connection.dbapi_connection  # psycopg 3: it has copy()
            assert raw is not None
            with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            marks = ", ".join("?" for _ in columns)
            self.conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


# -- the import ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Target:
    """An in-file lead that later rows may merge into: pending in this chunk, or written."""

    lead_id: int
    existing: bool  # True: the lead was in the store before this import
    row: dict[str, Any] | None = None  # chunk-local created lead, not yet written


def run_import(
    session: Session,
    clock: Clock,
    path: str | Path,
    *,
    detected: Detected | None = None,
    mapping: Mapping | None = None,
    preset: str | None = None,
    options: ImportOptions | None = None,
    state: ProgressState | None = None,
) -> ImportResult:
    """Import `path` in the session's transaction. The caller commits (or rolls back: dry run,
    cancel, error). `detected`/`mapping` carry the user's overrides from the wizard."""
    _pause_gc()
    try:
        result = _run_import(
            session, clock, path, detected=detected, mapping=mapping, preset=preset,
            options=options, state=_CancelAsImport(state) if state is not None else None,
        )  # fmt: skip
    except ImportCancelled as exc:
        # The traceback's frames hold the import's millions of small objects (dedup keys, the
        # duplicate finder's blocks): freeing them takes a quarter of a second at a million
        # rows. A cancel is no error and nobody reads those locals, so a short-lived thread
        # frees them (and then resumes the collector) while the cancel reaches the caller.
        tb, exc.__traceback__ = exc.__traceback__, None
        containers = getattr(exc, "containers", [])
        threading.Thread(
            target=_release_then_resume_gc, args=(tb, containers), name="import-release",
            daemon=True,
        ).start()  # fmt: skip
        del tb, containers
        raise ImportCancelled() from None
    except BaseException:
        _resume_gc()
        raise
    _resume_gc()
    return result


def _run_import(
    session: Session,
    clock: Clock,
    path: str | Path,
    *,
    detected: Detected | None,
    mapping: Mapping | None,
    preset: str | None,
    options: ImportOptions | None,
    state: ProgressState | None,
) -> ImportResult:
    started = time.perf_counter()
    opts = options or ImportOptions()
    st: ProgressState = state or ImportState()
    path = Path(path)
    det = detected or detect(path)
    if mapping is None:
        mapping = resolve_mapping(session, det.headers, det.preview, preset=preset)
    result = ImportResult(
        file_name=path.name,
        detected=det.describe(),
        mapping=mapping.as_dict(),
        headers=list(det.headers),
        preset=mapping.preset,
        dry_run=opts.dry_run,
        warnings=list(det.warnings),
    )
    now = clock.now()
    batch = ImportBatch(
        file_name=path.name[:500],
        status="running",
        user_id=opts.user_id,
        started_at=now,
        settings={
            **det.describe(),
            "source": opts.source,
            "event": opts.event,
            "event_date": opts.event_date.isoformat() if opts.event_date else None,
            "owner_id": opts.owner_id,
            "route": opts.route,
            "tags": list(opts.tags),
            "preset": mapping.preset,
        },
        mapping=result.mapping,
        counts={},
    )
    session.add(batch)
    session.flush()
    writer = _Writer(session)
    writer.start_ids()
    loader: _Loader | None = None
    try:
        from app.services.pipeline.stages import default_pipeline, ensure_default_pipeline

        pipeline = (
            ensure_default_pipeline(session) if not opts.dry_run else default_pipeline(session)
        )
        first_stage = None
        if pipeline is not None:
            first_stage = min(pipeline.stages, key=lambda s: s.position, default=None)
        total = max(det.size, 1)
        pulse = _Pulse(st, total)
        writer.pulse = pulse
        # Scoring and routing of new leads happen as their rows are built (see NewLeadsInline).
        hooks = lead_hooks.NewLeadsInline(
            session, clock, route=opts.route and opts.owner_id is None, by_user_id=opts.user_id
        )
        loader = _Loader(session, clock, writer, batch.id, opts, result, first_stage, pulse, hooks)
        stream = RowStream(det)
        validator = RowValidator(
            mapping, phone_region=opts.phone_region, delimited=det.kind == "csv"
        )
        st.progress(0, total, "Reading")
        buf: list[Candidate] = []
        for n, (number, cells) in enumerate(stream, start=1):
            if n % CHECK_EVERY_ROWS == 0:
                pulse(stream.position(), f"{n:,} rows")
            result.data_rows += 1
            cand = validator.check(number, cells)
            if cand.status == BLANK:
                result.skipped_blank += 1
            elif cand.status == REJECTED:
                result.rejected += 1
                result.rejected_rows.append(RejectedRow(number, cand.reason or "", cells))
            else:
                buf.append(cand)
                if len(buf) >= CHUNK:
                    loader.load_chunk(buf)
                    buf = []
        if buf:
            loader.load_chunk(buf)
        st.check()
        result.footer_rows = stream.footer_rows
        if stream.nuls.removed:
            result.warnings.append(
                f"Removed {stream.nuls.removed} NUL character(s): the store cannot keep them."
            )
        pulse(total - 1, f"{result.data_rows:,} rows read; looking for possible duplicates")
        writer.start_restore(st)  # indexes are rebuilt while the duplicate search runs
        result.possible_duplicates = loader.find_duplicates()
        result.created_ids = loader.created_ids
        if loader.created_ids:
            st.check()
            pulse(total - 1, "Starting follow-ups")
            hooks.finish(session, clock, sorted(loader.refilled_ids), _PulseState(pulse))
            # Routing moved the new leads past version 1; undo compares against the versions
            # as the import left them, kept as compact id ranges.
            batch.settings = {
                **(batch.settings or {}),
                "created_versions": _version_ranges(session, batch.id, pulse),
            }
        if loader.rescanned_ids:
            # A new scan of a known lead is fresh intent: its score and tier follow now.
            lead_hooks.on_leads_changed(session, clock, sorted(loader.rescanned_ids))
    except BaseException as exc:
        writer.abort()
        if isinstance(exc, ImportCancelled) and loader is not None:
            exc.containers = loader.containers()  # type: ignore[attr-defined]
        raise
    writer.finish()
    result.seconds = time.perf_counter() - started
    batch.status = "done"
    batch.finished_at = clock.now()
    batch.counts = result.counts()
    session.flush()
    result.batch_id = batch.id
    if opts.dry_run:
        session.rollback()
        result.batch_id = None
    st.progress(total, total, "Done")
    return result


class _Loader:
    def __init__(
        self,
        session: Session,
        clock: Clock,
        writer: _Writer,
        batch_id: int,
        opts: ImportOptions,
        result: ImportResult,
        first_stage: Any,
        pulse: Callable[..., None],
        hooks: lead_hooks.NewLeadsInline,
    ) -> None:
        self.session = session
        self.hooks = hooks
        # Leads this import wrote and a later chunk scanned again: rescored at the end.
        self.refilled_ids: set[int] = set()
        self.pulse = pulse
        self.writer = writer
        self.batch_id = batch_id
        self.opts = opts
        self.result = result
        self.now = clock.now()
        self.stage_id = first_stage.id if first_stage is not None else None
        self.pipeline_id = first_stage.pipeline_id if first_stage is not None else None
        self.targets: dict[str, _Target] = {}
        self.created_ids: list[int] = []
        # Leads already in the store that this file scanned again (their intent changes).
        self.rescanned_ids: set[int] = set()
        self.finder = DuplicateFinder()
        when = opts.event_date
        self.default_captured = (
            datetime(when.year, when.month, when.day, 12, tzinfo=UTC) if when else self.now
        )
        self.event_detail = {"event": opts.event, "source": opts.source}
        self.details: dict[str, Any] = {"tags": list(opts.tags)} if opts.tags else {}
        self._seen_existing: set[int] = set()
        self._now_db = writer.dt(self.now)
        self._event_prefix = json.dumps(self.event_detail, ensure_ascii=False)[:-1] + ', "row": '
        self._details_json = json.dumps(self.details, ensure_ascii=False)
        self._row_template = self._template()
        self._fill_idx = [(LEAD_COLUMNS.index(c), c) for c in FILLABLE if c != "display_name"]
        self._i_display = LEAD_COLUMNS.index("display_name")
        self._i_id = LEAD_COLUMNS.index("id")
        self._i_incomplete = LEAD_COLUMNS.index("incomplete")
        self._i_qualifiers = LEAD_COLUMNS.index("qualifiers")
        self._i_raw = LEAD_COLUMNS.index("raw_row")
        self._i_captured = LEAD_COLUMNS.index("captured_at")
        self._i_scores = [
            LEAD_COLUMNS.index(c) for c in ("fit", "intent", "authority", "timing", "score", "tier")
        ]
        self._i_owner = [LEAD_COLUMNS.index(c) for c in ("owner_id", "first_owner_id")]
        self._i_reason = LEAD_COLUMNS.index("routing_reason")
        self._i_version = LEAD_COLUMNS.index("version")
        self._scan = EventFact(EVENT_KIND, cast(datetime, _naive(self.now)))
        self._dt_cache: dict[datetime, Any] = {}
        self._scores: dict[tuple[Any, int], ScoreResult] = {}
        self._conflicts: list[Conflict] = []
        # Into an empty store (the common first import) there is nothing to look up.
        self._store_empty = writer.conn.scalar(select(Lead.id).limit(1)) is None

    def containers(self) -> list[Any]:
        """What holds one small object per row (released a slice at a time on Cancel)."""
        return [
            self.targets, self.created_ids, self._seen_existing, self.refilled_ids,
            self.rescanned_ids, self._dt_cache, self._scores, *self.finder.containers(),
        ]  # fmt: skip

    # -- per chunk ---------------------------------------------------------------------

    def load_chunk(self, cands: list[Candidate]) -> None:
        keys = [identity_key(c.values, c.email_key) for c in cands]
        self.writer.wait()  # the previous chunk is stored before this one reads the store
        self._lookup_store(cands, keys)
        new_rows: list[dict[str, Any]] = []
        repeats: dict[int, list[Candidate]] = {}  # written lead id -> rows merging into it
        events: list[tuple[Any, ...]] = []
        local: list[_Target] = []
        for cand, key in zip(cands, keys, strict=True):
            target = self.targets.get(key) if key else None
            if target is None:
                row = self._new_row(cand)
                new_rows.append(row)
                if key:
                    target = _Target(0, False, row)
                    self.targets[key] = target
                    local.append(target)
                continue
            if target.existing and target.lead_id not in self._seen_existing:
                self._seen_existing.add(target.lead_id)
                self.result.updated += 1
            else:
                self.result.merged += 1
            if target.row is not None:
                fill_missing(
                    target.row, target.row["qualifiers"], cand.values, cand.qualifiers,
                    lead_id=None, row=cand.row_number, conflicts=self._conflicts,
                )  # fmt: skip
                target.row.setdefault("_scans", []).append(cand.row_number)
            else:
                repeats.setdefault(target.lead_id, []).append(cand)
        ids = self.writer.reserve(len(new_rows)) if new_rows else []
        lead_rows, transitions = [], []
        for n, (lead_id, row) in enumerate(zip(ids, new_rows, strict=True), start=1):
            if n % CHECK_EVERY_ROWS == 0:
                self.pulse()  # a chunk's rows take tens of milliseconds: Cancel stays quick
            row["id"] = lead_id
            row["incomplete"] = not row.get("email_normalized") or not row.get("company")
            self.result.created += 1
            if row["incomplete"]:
                self.result.incomplete += 1
                if len(self.result.incomplete_rows) < MAX_LISTED:
                    self.result.incomplete_rows.append(
                        (
                            row["_row"],
                            row.get("display_name") or "",
                            row.get("email"),
                            row.get("company"),
                            row.get("email_normalized") is not None,
                        )
                    )
            self.created_ids.append(lead_id)
            lead_rows.append(self._lead_tuple(row, self._score_and_route(lead_id, row)))
            for scan_row in [row["_row"], *row.get("_scans", [])]:
                events.append(self._event(lead_id, scan_row))
            if self.stage_id is not None:
                transitions.append((lead_id, None, self.stage_id, "created", self._now_db,
                                    self.opts.user_id))  # fmt: skip
            self.finder.add_new(
                self.finder.entry(lead_id, row["_row"], row.get("display_name"),
                                  row.get("company"), row.get("phone_normalized"),
                                  row.get("email_normalized"))
            )  # fmt: skip
        # Rows of this chunk are written; later chunks merge into them by id.
        for t in local:
            assert t.row is not None
            t.lead_id, t.row = t.row["id"], None
        # Repeats of earlier leads first (they read and update what earlier chunks stored),
        # then this chunk's rows go to the writer thread while the next chunk is read.
        events.extend(self._apply_repeats(repeats))
        self.pulse()
        self.writer.submit(
            [
                ("leads", LEAD_COLUMNS, lead_rows),
                ("stage_transitions", TRANSITION_COLUMNS, transitions),
                ("engagement_events", EVENT_COLUMNS, events),
            ]
        )

    def _event(self, lead_id: int, row: int) -> tuple[Any, ...]:
        # The same detail for every scan but the row number: JSON built once, row appended.
        detail = f"{self._event_prefix}{int(row)}}}"
        return (lead_id, EVENT_KIND, self._now_db, detail, self.batch_id)

    def _template(self) -> list[Any]:
        """The lead row with everything the import sets the same for every lead."""
        owner = self.opts.owner_id
        constant = {
            "source": self.opts.source,
            "event": self.opts.event,
            "owner_id": owner,
            "first_owner_id": owner,
            "pipeline_id": self.pipeline_id,
            "stage_id": self.stage_id,
            "stage_entered_at": self._now_db if self.stage_id else None,
            "status": "open",
            "details": self._details_json,
            "import_batch_id": self.batch_id,
            "scored_at": self._now_db,
            "score": 0,
            "fit": 0,
            "intent": 0,
            "authority": 0,
            "timing": 0,
            "version": 1,
            "created_at": self._now_db,
            "updated_at": self._now_db,
            "updated_by_id": self.opts.user_id,
        }
        return [constant.get(c) for c in LEAD_COLUMNS]

    def _score_and_route(self, lead_id: int, row: dict[str, Any]) -> Any:
        """Score and route a new lead from the values about to be written, as rescoring and
        routing would from the stored row: its events are this import's scans."""
        q = row["qualifiers"]
        g = row.get
        facts = LeadFacts(
            lead_id, g("industry"), g("headcount"), g("country"), self.opts.source,
            g("title"), q.get("timeframe"), q.get("budget"), q.get("rating"), q.get("stars"),
        )  # fmt: skip
        scans = 1 + len(row.get("_scans", ()))
        # Every event is this import's scan, so the score depends on the facts (not the id)
        # and the number of scans: a badge file repeats the same few titles, countries and
        # ratings, so most leads share a score already worked out.
        key = (facts[1:], scans)
        res = self._scores.get(key)
        if res is None:
            if len(self._scores) > 200_000:
                self._scores.clear()
            res = self._scores[key] = self.hooks.score(facts, [self._scan] * scans)
        product = q.get("product_interest")
        decision = self.hooks.route(
            _RouteFacts(
                lead_id, self.opts.owner_id, self.opts.owner_id, None, g("company"),
                g("country"), res.tier, self.opts.source, g("industry"), g("headcount"),
                product if product is not None else q.get("interest"), "open",
            )
        )  # fmt: skip
        return res, decision

    def _lead_tuple(self, row: dict[str, Any], scored: Any = None) -> tuple[Any, ...]:
        out = self._row_template.copy()
        if scored is not None:
            res, decision = scored
            for i, v in zip(self._i_scores, res, strict=True):
                out[i] = v
            if decision is not None:
                out[self._i_owner[0]] = out[self._i_owner[1]] = decision.owner_id
                out[self._i_reason] = decision.reason
                out[self._i_version] = 2  # routing is an edit, as route_leads counts it
        for i, col in self._fill_idx:
            out[i] = row.get(col)
        out[self._i_display] = row.get("display_name") or ""
        out[self._i_id] = row["id"]
        out[self._i_incomplete] = row["incomplete"]
        out[self._i_qualifiers] = _to_json(row["qualifiers"])
        out[self._i_raw] = _to_json(row["raw_row"])
        captured = row["captured_at"]
        text = self._dt_cache.get(captured)
        if text is None:
            if len(self._dt_cache) > 100_000:
                self._dt_cache.clear()
            text = self._dt_cache[captured] = self.writer.dt(captured)
        out[self._i_captured] = text
        return tuple(out)

    def _new_row(self, cand: Candidate) -> dict[str, Any]:
        """What differs per lead; merges of later rows fill this dict before it is written."""
        v = cand.values
        row = {k: v.get(k) for k in FILLABLE}
        row["captured_at"] = v.get("captured_at") or self.default_captured
        row["qualifiers"] = dict(cand.qualifiers)
        row["raw_row"] = cand.raw
        row["_row"] = cand.row_number
        return row

    def _lookup_store(self, cands: list[Candidate], keys: list[str | None]) -> None:
        """Find store leads for identity keys this import has not met yet."""
        if self._store_empty:
            return
        emails = {c.email_key for c, k in zip(cands, keys, strict=True)
                  if c.email_key and k not in self.targets}  # fmt: skip
        others = [c for c, k in zip(cands, keys, strict=True)
                  if k and not c.email_key and k not in self.targets]  # fmt: skip
        conn = self.writer.conn
        if emails:
            for part in chunks(sorted(emails), 500):
                self.pulse()
                rows = conn.execute(
                    select(Lead.id, Lead.email_normalized)
                    .where(Lead.email_normalized.in_(part))
                    .where(Lead.import_batch_id.is_distinct_from(self.batch_id))
                    .order_by(Lead.id.desc())
                )
                for lead_id, email in rows:  # lowest id wins: written last
                    if email:
                        self.targets[email] = _Target(lead_id, True)
        if others:
            phones = {c.values["phone_normalized"] for c in others
                      if c.values.get("phone_normalized")}  # fmt: skip
            names = {
                c.values["display_name"]
                for c in others
                if c.values.get("display_name") and not c.values.get("phone_normalized")
            }
            cond = []
            if phones:
                cond.append(Lead.phone_normalized.in_(sorted(phones)))
            if names:
                cond.append(Lead.display_name.in_(sorted(names)))
            found = conn.execute(
                select(Lead.id, Lead.display_name, Lead.company, Lead.phone_normalized)
                .where(Lead.email_normalized.is_(None))
                .where(Lead.import_batch_id.is_distinct_from(self.batch_id))
                .where(or_(*cond))
                .order_by(Lead.id.desc())
            )
            for lead_id, name, company, phone in found:
                key = identity_key(
                    {"display_name": name, "company": company, "phone_normalized": phone}, None
                )
                if key:
                    self.targets[key] = _Target(lead_id, True)

    def _apply_repeats(self, repeats: dict[int, list[Candidate]]) -> list[tuple[Any, ...]]:
        """Fill written leads' empty fields from repeat rows; returns their scan events."""
        events: list[tuple[Any, ...]] = []
        if not repeats:
            return events
        conn = self.writer.conn
        cols = [getattr(Lead, f) for f in FILLABLE]
        changes = []
        for part in chunks(sorted(repeats), 500):
            self.pulse()
            rows = conn.execute(
                select(Lead.id, Lead.version, Lead.import_batch_id, Lead.qualifiers,
                       Lead.incomplete, *cols).where(Lead.id.in_(part))
            )  # fmt: skip
            for r in rows:
                lead_id, version, batch_id, qualifiers, was_incomplete = r[:5]
                current = dict(zip(FILLABLE, r[5:], strict=True))
                quals = dict(qualifiers or {})
                mine = batch_id == self.batch_id
                if not mine:
                    self.rescanned_ids.add(lead_id)
                else:
                    # Scored when written; this scan (and any filled field) changes that.
                    self.refilled_ids.add(lead_id)
                filled_all: dict[str, Any] = {}
                added_all: dict[str, Any] = {}
                for cand in repeats[lead_id]:
                    filled, added = fill_missing(
                        current, quals, cand.values, cand.qualifiers,
                        lead_id=lead_id, row=cand.row_number, conflicts=self._conflicts,
                    )  # fmt: skip
                    for k, old in filled.items():
                        filled_all.setdefault(k, old)
                    for k, old in added.items():
                        added_all.setdefault(k, old)
                    events.append(self._event(lead_id, cand.row_number))
                if not (filled_all or added_all):
                    continue
                incomplete = not current.get("email_normalized") or not current.get("company")
                values: dict[str, Any] = {f: current[f] for f in filled_all}
                if added_all:
                    values["qualifiers"] = quals
                if mine:
                    # A lead this import created: nothing else has seen it, no version bump.
                    values["incomplete"] = incomplete
                    self.result.incomplete -= int(bool(was_incomplete) and not incomplete)
                else:
                    values["version"] = version + 1
                    values["updated_at"] = self.now
                    values["updated_by_id"] = self.opts.user_id
                    if was_incomplete and not incomplete:
                        values["incomplete"] = False
                    changes.append(
                        {
                            "batch_id": self.batch_id,
                            "lead_id": lead_id,
                            "action": "filled",
                            "previous": {
                                "fields": filled_all,
                                "qualifiers": added_all,
                                "incomplete": bool(was_incomplete),
                            },
                            "version_after": version + 1,
                        }
                    )
                # Core, not the ORM: the version column is bumped by hand above.
                conn.execute(update(LEADS).where(LEADS.c.id == lead_id)
                             .values(**values))  # fmt: skip
        if changes:
            conn.execute(insert(CHANGES), changes)
        return events

    # -- after all chunks --------------------------------------------------------------

    def find_duplicates(self) -> list[PossibleDuplicate]:
        """Possible duplicates among the new leads and against the store. Into an empty store
        the search runs in memory while the writer thread rebuilds the indexes."""
        if not self._store_empty:
            self.writer.wait()
        self.result.conflicts = self._conflicts[:MAX_LISTED]
        self.result.conflict_count = len(self._conflicts)
        if not self.created_ids:
            self.writer.wait()
            return []
        check = self.pulse
        # Store leads only join the blocks new leads opened (one streaming pass, no pairs).
        query = select(Lead.id, Lead.display_name, Lead.company, Lead.phone_normalized,
                       Lead.email_normalized).execution_options(yield_per=5000)  # fmt: skip
        if self.writer.pg:
            query = query.where(Lead.import_batch_id.is_distinct_from(self.batch_id))
        else:
            # SQLite: every lead older than this import has a smaller id (a primary-key range,
            # where a filter on the batch would read the new leads too).
            query = query.where(Lead.id <= self.writer.first_id - 1)
        rows: Any = [] if self._store_empty else self.session.execute(query)
        for n, (lead_id, name, company, phone, email) in enumerate(rows):
            if n % 1000 == 0:
                check()
            self.finder.add_existing(self.finder.entry(lead_id, None, name, company, phone, email))
        dups = self.finder.find(check=check)[:MAX_LISTED]
        self.writer.wait()  # the store is read again from here on
        ids = sorted({i for d in dups for i in (d.lead_id, d.other_id) if i is not None})
        names: dict[int, str] = {}
        for part in chunks(ids, 500):
            found = select(Lead.id, Lead.display_name).where(Lead.id.in_(part))
            for lead_id, name in self.session.execute(found):
                names[lead_id] = name
        for d in dups:
            d.name = names.get(d.lead_id or 0, d.name)
            d.other_name = names.get(d.other_id or 0, d.other_name)
        return dups


# -- undo ---------------------------------------------------------------------------------


@dataclass
class UndoResult:
    batch_id: int
    deleted: int = 0
    reverted: int = 0
    skipped: list[int] = field(default_factory=list)  # leads changed since the import

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "deleted": self.deleted,
            "reverted": self.reverted,
            "changed_since": self.skipped,
        }


class UndoError(ActionError):
    pass


def _version_ranges(
    session: Session, batch_id: int, pulse: Callable[..., None] | None = None
) -> list[list[int]]:
    """[[first_id, last_id, version], ...] for the batch's leads, consecutive ids with the
    same version folded into one range (imports create consecutive ids)."""
    rows = session.connection().execute(
        select(LEADS.c.id, LEADS.c.version)
        .where(LEADS.c.import_batch_id == batch_id)
        .order_by(LEADS.c.id)
    )
    ranges: list[list[int]] = []
    for n, (lead_id, version) in enumerate(rows):
        if pulse is not None and n % 20_000 == 0:
            pulse()
        if ranges and ranges[-1][1] == lead_id - 1 and ranges[-1][2] == version:
            ranges[-1][1] = lead_id
        else:
            ranges.append([lead_id, lead_id, version])
    return ranges


def _versions_from_ranges(ranges: list[list[int]]) -> dict[int, int]:
    return {i: version for first, last, version in ranges for i in range(first, last + 1)}


def undo_batch(
    session: Session, clock: Clock, batch_id: int, *, user_id: int | None = None
) -> UndoResult:
    """Remove the leads a batch created and revert the fields it filled in. A lead changed
    after the import (its version moved on) is left alone and reported."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise UndoError(f"There is no import batch {batch_id}.")
    if batch.undone_at is not None:
        raise UndoError(f"Import batch {batch_id} was already undone.")
    conn = session.connection()
    res = UndoResult(batch_id)
    leads = LEADS
    # Created leads: untouched when still at the version the import (and its scoring and
    # routing) left them.
    left_at = _versions_from_ranges((batch.settings or {}).get("created_versions", []))
    created = conn.execute(
        select(leads.c.id, leads.c.version).where(leads.c.import_batch_id == batch_id)
    ).all()
    untouched = [lid for lid, v in created if v == left_at.get(lid, 1)]
    res.skipped.extend(lid for lid, v in created if v != left_at.get(lid, 1))
    for part in chunks(untouched, 1000):
        conn.execute(leads.delete().where(leads.c.id.in_(part)))
    res.deleted = len(untouched)
    # Filled leads: revert when the version is still the one the import left.
    changes = conn.execute(
        select(ImportChange.lead_id, ImportChange.previous, ImportChange.version_after)
        .where(ImportChange.batch_id == batch_id)
        .order_by(ImportChange.id.desc())
    ).all()
    by_lead: dict[int, list[tuple[dict[str, Any], int]]] = {}
    for lead_id, previous, version_after in changes:
        by_lead.setdefault(lead_id, []).append((previous or {}, version_after or 0))
    now = clock.now()
    for lead_id, items in by_lead.items():
        row = conn.execute(
            select(leads.c.version, leads.c.qualifiers).where(leads.c.id == lead_id)
        ).first()
        if row is None:
            continue
        if row.version != max(v for _, v in items):
            res.skipped.append(lead_id)
            continue
        values: dict[str, Any] = {}
        quals = dict(row.qualifiers or {})
        for previous, _ in items:  # newest first, so the oldest value wins
            values.update(previous.get("fields", {}))
            for k, old in previous.get("qualifiers", {}).items():
                if old is None:
                    quals.pop(k, None)
                else:
                    quals[k] = old
            if "incomplete" in previous:
                values["incomplete"] = previous["incomplete"]
        values.update(
            qualifiers=quals, version=row.version + 1, updated_at=now, updated_by_id=user_id
        )
        conn.execute(update(leads).where(leads.c.id == lead_id).values(**values))
        res.reverted += 1
    events = EVENTS
    conds = [events.c.import_batch_id == batch_id]
    if res.skipped:
        conds.append(events.c.lead_id.not_in(res.skipped))
    conn.execute(events.delete().where(*conds))
    batch.undone_at = now
    batch.status = "undone"
    batch.counts = {**(batch.counts or {}), "undo": res.to_dict()}
    session.flush()
    return res


def list_batches(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))
    return [
        {
            "id": b.id,
            "file_name": b.file_name,
            "status": b.status,
            "user_id": b.user_id,
            "started_at": b.started_at.isoformat() if b.started_at else None,
            "counts": b.counts,
        }
        for b in rows
    ]


__all__ = [
    "EVENT_KIND",
    "ImportCancelled",
    "ImportOptions",
    "ImportResult",
    "ImportState",
    "UndoError",
    "UndoResult",
    "list_batches",
    "run_import",
    "undo_batch",
]
