"""Back up and restore a local SQLite store, safely. No Qt: the File menu's dialogs call this.

A backup is written with SQLite's online backup API (a consistent copy even while the app is
using the store) to a temporary name beside its target, checked (`PRAGMA quick_check`, and
that it is a Leadgate store), and only then renamed into place: a half-written or damaged
backup never carries a backup's name.

A restore first checks the chosen file on a private copy: a SQLite file, undamaged, holding a
Leadgate schema revision this version knows (an older one is upgraded when the store is
reopened, after the usual pre-upgrade copy). Then it keeps a safety copy of the current store,
asks the caller to close every connection, removes the store's write-ahead log and puts the
checked copy in its place. The caller reopens the store.

Backups live beside the store and are named `<store>.<kind>-YYYYmmdd-HHMMSS<suffix>`:
`backup` for the automatic copy made before a schema upgrade (app.store.db.backup_sqlite), `manual`
for File > Back up store, `before-restore` for the safety copy a restore keeps.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.migrations import HEAD_REVISION
from app.store.db import known_revisions
from app.store.files import private_file

SQLITE_MAGIC = b"SQLite format 3\x00"
KIND_LABELS = {
    "backup": "Before an upgrade",
    "manual": "Backed up by hand",
    "before-restore": "Before a restore",
}
_NAME = re.compile(r"^\.(?P<kind>backup|manual|before-restore)-(?P<stamp>\d{8}-\d{6})$")
_STAMP = "%Y%m%d-%H%M%S"


class BackupError(Exception):
    """Why a backup or a restore cannot be done, in one sentence a user can act on."""


@dataclass(frozen=True)
class BackupInfo:
    """One backup of a store found beside it."""

    path: Path
    kind: str  # backup (before an upgrade), manual, before-restore
    taken: datetime  # from the name: when it was taken (UTC, as the app's clock gives it)
    size: int  # bytes, with its write-ahead log if it has one
    revision: str | None  # the schema revision inside, None if unreadable

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    revision: str  # the schema revision of the restored store (before any upgrade)
    safety_copy: Path | None  # the store as it was before the restore


def backup_name(store_path: Path, kind: str, when: datetime) -> Path:
    """Where a backup of `kind` taken at `when` goes: beside the store."""
    stamp = when.strftime(_STAMP)
    return store_path.with_name(f"{store_path.stem}.{kind}-{stamp}{store_path.suffix}")


def list_backups(store_path: Path) -> list[BackupInfo]:
    """The store's backups beside it (automatic, manual and safety copies), newest first."""
    found = []
    if not store_path.parent.is_dir():
        return []
    for path in store_path.parent.glob(f"{glob_escape(store_path.stem)}.*{store_path.suffix}"):
        middle = path.name[len(store_path.stem) : len(path.name) - len(store_path.suffix)]
        match = _NAME.match(middle) if store_path.suffix else None
        if match is None or not path.is_file():
            continue
        wal = path.with_name(path.name + "-wal")
        size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        taken = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
        found.append(BackupInfo(path, match["kind"], taken, size, peek_revision(path)))
    return sorted(found, key=lambda b: (b.taken, b.path.name), reverse=True)


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def peek_revision(path: Path) -> str | None:
    """The schema revision recorded in a SQLite file, without changing it; None if there is
    none or the file cannot be read (for listing only: restore() checks properly)."""
    try:
        with path.open("rb") as f:
            if f.read(16) != SQLITE_MAGIC:
                return None
        # A copy taken with its write-ahead log (app.store.db.backup_sqlite) may hold its revision
        # only in the log, which immutable mode ignores; plain read-only mode reads it.
        has_log = path.with_name(path.name + "-wal").exists()
        mode = "mode=ro" if has_log else "mode=ro&immutable=1"
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{mode}", uri=True)
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return None
    return str(row[0]) if row else None


def check_store_file(path: Path, name: str | None = None) -> str:
    """The schema revision of a Leadgate store file this version can open; BackupError if it
    is not one (not SQLite, damaged, not Leadgate's, or from a newer Leadgate). The file is
    opened read-write: check a copy, never the original (opening may replay its log).
    `name` is the file the user picked, for the messages (default: the file's own name)."""
    name = name or path.name
    try:
        with path.open("rb") as f:
            magic = f.read(16)
    except OSError as exc:
        raise BackupError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    if magic != SQLITE_MAGIC:
        raise BackupError(f"{name} is not a Leadgate store (not a SQLite database).")
    try:
        conn = sqlite3.connect(path)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise BackupError(f"{name} is damaged (SQLite's check says: {problems[0]}).")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" not in tables:
                raise BackupError(f"{name} is not a Leadgate store (it has no schema revision).")
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{name} is damaged or not a SQLite database ({exc}).") from exc
    if row is None:
        raise BackupError(f"{name} is not a Leadgate store (its schema revision is empty).")
    revision = str(row[0])
    if revision not in known_revisions():
        raise BackupError(
            f"{name} was written by a newer Leadgate (schema {revision}); this version opens "
            f"stores up to schema {HEAD_REVISION}. Update Leadgate to restore it."
        )
    return revision


def backup_store(store_path: Path, target: Path) -> Path:
    """Copy the live store to `target` (consistent even while it is in use), verified."""
    if not store_path.is_file():
        raise BackupError(f"There is no store at {store_path} to back up.")
    if target.resolve() == store_path.resolve():
        raise BackupError("A backup cannot replace the store it is a copy of.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    _remove(tmp)
    try:
        _sqlite_copy(store_path, tmp)
        check_store_file(tmp)
        private_file(tmp)  # a copy of the store is as private as the store
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    return target


def restore_store(
    source: Path,
    store_path: Path,
    *,
    now: datetime,
    close_store: Callable[[], None],
) -> RestoreResult:
    """Replace the store at `store_path` by the backup `source`, keeping a safety copy.

    `close_store` must close every connection to the store (Store.dispose); it is called only
    once the backup has passed its checks, so a refused restore leaves the app as it was.
    """
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    if store_path.exists() and source.resolve() == store_path.resolve():
        raise BackupError("That file is the store itself; pick a backup of it.")
    staged = store_path.with_name(store_path.name + ".restoring")
    try:
        revision = _stage(source, staged)
        safety = None
        if store_path.exists():
            safety = backup_name(store_path, "before-restore", now)
            _sqlite_copy(store_path, safety)
        close_store()
        try:
            for leftover in ("-wal", "-shm", "-journal"):
                store_path.with_name(store_path.name + leftover).unlink(missing_ok=True)
            os.replace(staged, store_path)
        except OSError as exc:
            raise BackupError(
                f"Cannot put {source.name} in place of the store: {exc.strerror or exc}."
            ) from exc
    finally:
        _remove(staged)
    return RestoreResult(source, revision, safety)


def check_copy(source: Path) -> str:
    """check_store_file() on a private copy of `source` (the original is never opened)."""
    with tempfile.TemporaryDirectory(prefix="leadgate-check-") as tmp:
        return _stage(source, Path(tmp) / "candidate.sqlite3")


def _stage(source: Path, staged: Path) -> str:
    """Copy `source` (with its log, if any) to `staged`, check it and fold its log in: one
    self-contained, checked file. Its revision is returned; on any failure nothing is left."""
    _remove(staged)
    try:
        shutil.copyfile(source, staged)
        source_wal = source.with_name(source.name + "-wal")
        if source_wal.exists():
            shutil.copyfile(source_wal, staged.with_name(staged.name + "-wal"))
        revision = check_store_file(staged, source.name)
        _fold_log(staged)
    except OSError as exc:
        _remove(staged)
        raise BackupError(f"Cannot read {source.name}: {exc.strerror or exc}.") from exc
    except BaseException:
        _remove(staged)
        raise
    return revision


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup of `source` into a new single file `target` (no log beside)."""
    _remove(target)
    # Not read-only: a store in WAL mode whose -shm is gone can only be opened read-write.
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    except sqlite3.Error as exc:
        _remove(target)
        raise BackupError(f"Cannot copy {source.name}: {exc}.") from exc
    finally:
        src.close()


def _fold_log(path: Path) -> None:
    """Write a copied store's log into its file, leaving one self-contained file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
