"""Engines, sessions and schema versioning for the SQLite and PostgreSQL stores.

Start-up must stay fast, so Alembic is only imported when a migration actually has to run;
the schema check compares the stored revision with `HEAD_REVISION` (a test keeps that constant
equal to the migration scripts' head).
"""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.migrations import HEAD_REVISION
from app.store.files import (
    is_writable,
    private_file,
    private_folder,
    problem_with,
    safe_copy,
    store_lock,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class StoreError(Exception):
    """A store problem explained in one sentence a user can act on."""


class SchemaState(enum.StrEnum):
    EMPTY = "empty"  # no Leadgate tables yet
    CURRENT = "current"
    BEHIND = "behind"  # the store needs `leadgate db upgrade`
    AHEAD = "ahead"  # the store was upgraded by a newer Leadgate
    UNVERSIONED = "unversioned"  # tables but no alembic_version: not a Leadgate store


@dataclass(frozen=True)
class SchemaStatus:
    state: SchemaState
    store_revision: str | None
    app_revision: str

    def message(self, url: URL) -> str:
        where = describe_url(url)
        if self.state is SchemaState.BEHIND:
            return (
                f"The database at {where} is at schema {self.store_revision}, older than this "
                f"Leadgate ({self.app_revision}). Ask an admin to run `leadgate db upgrade`."
            )
        if self.state is SchemaState.AHEAD:
            return (
                f"The database at {where} was upgraded by a newer Leadgate (schema "
                f"{self.store_revision}); this version knows up to {self.app_revision}. "
                "Update Leadgate on this workstation."
            )
        if self.state is SchemaState.UNVERSIONED:
            return f"The database at {where} has tables but is not a Leadgate store."
        if self.state is SchemaState.EMPTY:
            return f"The database at {where} is empty. Run `leadgate db upgrade` to create it."
        return f"The database at {where} is up to date ({self.app_revision})."


def describe_url(url: URL | str) -> str:
    """The URL as safe to show: never with a password."""
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"'{url}' is not a database URL. Use sqlite:///path/to/file.sqlite3 or "
            "postgresql+psycopg://user@host/dbname."
        ) from exc
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"Leadgate stores data in SQLite or PostgreSQL, not '{backend}'.")
    if backend == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


WAL_SIZE_LIMIT = 64 * 1024 * 1024
BUSY_TIMEOUT_MS = 15_000


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    from app.store.fold import SQLITE_FUNCTION, fold

    dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # A writer waits this long for SQLite's one write lock (another workstation's import holds
    # it until its commit) before it gives up with StoreBusy ("try again"), never a traceback.
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # After a big import the write-ahead log has grown to the size of everything it wrote;
    # once checkpointed and reused, SQLite cuts it back to this instead of keeping gigabytes.
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


def _sqlite_on_connect_ro(dbapi_connection: Any, _record: Any) -> None:
    from app.store.fold import SQLITE_FUNCTION, fold

    dbapi_connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
    dbapi_connection.execute("PRAGMA busy_timeout=5000")


# PRAGMA values to put back on a SQLite connection when it returns to the pool, i.e. after the
# commit or rollback that ends its transaction: {pragma: value}. The import sets them: its
# bigger page cache is shrunk only once the rollback of a cancel discarded the dirty pages
# (shrinking first writes them out), and the checkpoint it held back from its own commit is
# allowed again for the connection's next user.
RESTORE_PRAGMAS = "leadgate.restore_pragmas"


def _sqlite_on_checkin(dbapi_connection: Any, record: Any) -> None:
    pragmas = record.info.pop(RESTORE_PRAGMAS, None) if record is not None else None
    if pragmas and dbapi_connection is not None:
        for name, value in pragmas.items():
            dbapi_connection.execute(f"PRAGMA {name}={int(value)}")


def checkpoint(session: Session) -> None:
    """Copy what the write-ahead log holds into a SQLite store's file (a passive checkpoint:
    it never waits for readers or writers). SQLite does this at the end of every commit that
    leaves the log over 1,000 pages; a bulk import holds it back so its commit returns at once
    and calls this afterwards, off the user's path. Nothing to do on PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").all()


def checkpoint_in_background(session_factory: sessionmaker[Session]) -> threading.Thread:
    """Run `checkpoint` on a thread of its own session, off the caller's wait.

    Not a daemon: a command-line import prints its report first, then the process waits for
    the copy before it exits; the window simply carries on while it runs.
    """

    def run() -> None:
        try:
            with session_factory() as session:
                checkpoint(session)
        except Exception:  # the next commit's automatic checkpoint does it instead
            log.warning("Background checkpoint failed", exc_info=True)

    thread = threading.Thread(target=run, name="leadgate-checkpoint")
    thread.start()
    return thread


def make_engine(
    url: str | URL, *, password: str | None = None, read_only: bool = False, **kwargs: Any
) -> Engine:
    """An engine for the store at `url`, set up for its dialect. A read-only SQLite engine
    opens the file with `mode=ro`: SQLite itself refuses every write."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if password is not None and parsed.password is None:
        parsed = parsed.set(password=password)
    if parsed.get_backend_name() == "sqlite":
        if read_only and parsed.database:
            path = Path(parsed.database).expanduser().resolve()
            parsed = parsed.set(database=f"{path.as_uri()}?mode=ro").update_query_dict(
                {"uri": "true"}
            )
        elif parsed.database and parsed.database != ":memory:":
            private_folder(Path(parsed.database).expanduser().parent)
        engine = create_engine(parsed, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect_ro if read_only else _sqlite_on_connect)
        event.listen(engine, "checkin", _sqlite_on_checkin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"connect_timeout": 5, "application_name": "leadgate"})
    try:
        return create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:  # pragma: no cover - psycopg is a hard dependency
        raise StoreError("The PostgreSQL driver (psycopg 3) is not installed.") from exc


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the store's schema stands relative to this version of Leadgate."""
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            store_rev = None
            if "alembic_version" in tables:
                store_rev = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as exc:
        raise StoreError(connection_error_message(engine.url, exc)) from exc
    if store_rev is None:
        state = SchemaState.UNVERSIONED if tables - {"alembic_version"} else SchemaState.EMPTY
    elif store_rev == HEAD_REVISION:
        state = SchemaState.CURRENT
    elif store_rev in known_revisions():
        state = SchemaState.BEHIND
    else:
        state = SchemaState.AHEAD
    return SchemaStatus(state, store_rev, HEAD_REVISION)


def connection_error_message(url: URL, exc: DBAPIError) -> str:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
    if url.get_backend_name() == "sqlite":
        return f"Cannot open the SQLite store {describe_url(url)}: {detail}"
    return f"Cannot reach the PostgreSQL server at {describe_url(url)}: {detail}"


def known_revisions() -> set[str]:
    """Revision ids of every migration script this Leadgate ships (no Alembic import)."""
    revs = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for line in script.read_text(encoding="utf-8").splitlines():
            if line.startswith("revision"):
                revs.add(line.split("=", 1)[1].strip().strip("\"'"))
                break
    return revs


def alembic_config(connection: Any = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


UPGRADE_LOCK = 7_341_905_226  # pg_advisory_xact_lock key: one schema upgrade at a time


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema. On PostgreSQL an advisory lock makes concurrent upgrades take turns
    (the later one then finds nothing to do); SQLite callers hold `files.store_lock`."""
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        command.upgrade(alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), revision)


def backup_sqlite(path: Path, when: datetime) -> Path:
    """Copy the SQLite store aside before migrating it: written to a temporary name, checked,
    then renamed (`files.safe_copy`). StoreError, and no upgrade, when the copy fails."""
    stamp = when.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.backup-{stamp}{path.suffix}")
    try:
        return safe_copy(path, target)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(
            f"Could not back up {path} before upgrading it ({exc}); it was not upgraded. "
            "Free some disk space and try again."
        ) from exc


@dataclass
class Store:
    url: URL
    engine: Engine
    session_factory: sessionmaker[Session]
    # Held in memory only, for the live-update listener's own connection; never written.
    password: str | None = field(default=None, repr=False)
    # A local file this process cannot write: opened with mode=ro, every write refused.
    read_only: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def label(self) -> str:
        if self.is_sqlite:
            suffix = " (read-only)" if self.read_only else ""
            return f"Local file {describe_url(self.url)}{suffix}"
        return f"Team database {self.url.database} on {self.url.host}"

    def session(self) -> Session:
        return self.session_factory()

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(
    url: str | URL,
    *,
    password: str | None = None,
    now: datetime | None = None,
    migrate_sqlite: bool = True,
    require_current: bool = True,
    create: bool = True,
    check: str = "header",
) -> Store:
    """Open a store, upgrading a local SQLite file (after a backup) when it is behind.

    A local file is checked first (`files.problem_with` at depth `check`: empty, not SQLite,
    damaged, naming the backup to restore; the window asks for `quick`). A missing one is
    created only with `create` (the CLI and the window pass it only when asked: `db init`,
    `demo`, the window's dialog). One this process cannot write opens read-only. Creating
    and upgrading hold `<store>.lock`, so processes starting together take turns.

    A PostgreSQL store is never upgraded here: the schema is shared by the whole team, so that
    is an admin's `leadgate db upgrade`.
    """
    parsed = parse_url(url) if isinstance(url, str) else url
    path = sqlite_path(parsed)
    if path is None:
        return _open(parsed, password, now, migrate_sqlite, require_current)
    parsed = parsed.set(database=str(path))
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a Leadgate store file.")
    if not path.exists():
        if not create:
            raise StoreError(
                f"There is no Leadgate store at {path}. Create one with "
                f"`leadgate --db sqlite:///{path} db init`, or check the path."
            )
        private_folder(path.parent)
    elif not is_writable(path):
        problem = problem_with(path, check)
        if problem:
            raise StoreError(problem)
        return _open(parsed, password, now, False, require_current, read_only=True)
    with store_lock(path):
        if path.exists() and (path.stat().st_size > 0 or not create):
            problem = problem_with(path, check)
            if problem:
                raise StoreError(problem)
        elif not path.exists():
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        store = _open(parsed, password, now, migrate_sqlite, require_current)
    private_file(path)
    return store


def sqlite_path(url: URL) -> Path | None:
    """The absolute path of a SQLite store file; None for PostgreSQL, memory or a file: URI."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().absolute()


def _open(
    parsed: URL,
    password: str | None,
    now: datetime | None,
    migrate_sqlite: bool,
    require_current: bool,
    *,
    read_only: bool = False,
) -> Store:
    engine = make_engine(parsed, password=password, read_only=read_only)
    status = schema_status(engine)
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite and migrate_sqlite and status.state in (SchemaState.EMPTY, SchemaState.BEHIND):
        if status.state is SchemaState.BEHIND and parsed.database and now is not None:
            try:
                backup_sqlite(Path(parsed.database), now)
            except StoreError:
                engine.dispose()
                raise
        upgrade(engine)
        status = schema_status(engine)
    if read_only and status.state is not SchemaState.CURRENT:
        engine.dispose()
        raise StoreError(
            f"The store {describe_url(parsed)} is read-only and needs an upgrade this "
            "workstation cannot write. Make it writable, or open a copy."
        )
    if require_current and status.state is not SchemaState.CURRENT:
        engine.dispose()
        raise StoreError(status.message(parsed))
    return Store(parsed, engine, make_session_factory(engine), password, read_only=read_only)


def build_pg_url(host: str, port: int, database: str, user: str, sslmode: str = "prefer") -> URL:
    """A PostgreSQL URL without a password (passwords go to the keyring, never a file)."""
    query = {"sslmode": sslmode} if sslmode and sslmode != "prefer" else {}
    return URL.create(
        "postgresql+psycopg",
        username=user or None,
        host=host or None,
        port=port or None,
        database=database or None,
        query=query,
    )


def try_connection(url: URL, password: str | None = None) -> tuple[bool, str]:
    """Try the store once: (ok, a sentence for the user)."""
    try:
        engine = make_engine(url, password=password)
    except StoreError as exc:
        return False, str(exc)
    try:
        status = schema_status(engine)
    except StoreError as exc:
        return False, str(exc)
    finally:
        engine.dispose()
    if status.state is SchemaState.CURRENT:
        return True, f"Connected. The team database is ready (schema {status.store_revision})."
    return status.state is not SchemaState.UNVERSIONED, "Connected. " + status.message(url)
