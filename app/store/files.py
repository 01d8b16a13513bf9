"""The local store's file: checked before it is opened, copied safely, kept private, locked.

- `problem_with(path)`: why a file is not a usable SQLite store (empty, not SQLite, damaged),
  or None. `PRAGMA quick_check` at open is fast; `integrity_check` (`leadgate db check`) is the
  full one.
- `safe_copy`: SQLite's online backup to a temporary name, checked, made private, then renamed:
  a half-written copy (a full disk) never carries a backup's name.
- `private_file` / `private_folder`: 0600 / 0700 on systems with POSIX permissions.
- `store_lock`: an exclusive lock on `<store>.lock`, held while a store is created or upgraded,
  so several processes starting at once take turns instead of racing.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
# `<stem>.<kind>-YYYYmmdd-HHMMSS<suffix>` beside the store (app/backup.py writes them).
BACKUP_NAME = re.compile(r"^\.(?P<kind>backup|manual|before-restore)-(?P<stamp>\d{8}-\d{6})$")


def backups_of(store: Path) -> list[Path]:
    """The store's backups beside it, newest first (by the time in their names)."""
    found: list[tuple[str, Path]] = []
    if not store.suffix or not store.parent.is_dir():
        return []
    for path in store.parent.iterdir():
        name = path.name
        if not (name.startswith(store.stem + ".") and name.endswith(store.suffix)):
            continue
        match = BACKUP_NAME.match(name[len(store.stem) : len(name) - len(store.suffix)])
        if match and path.is_file():
            found.append((match["stamp"], path))
    return [p for _stamp, p in sorted(found, reverse=True)]


def restore_hint(store: Path) -> str:
    """Which backup to restore, as a sentence ('' when there is none)."""
    for backup in backups_of(store):
        if check_sqlite(backup, "quick") is None:
            return f" Restore the newest backup, {backup} (File > Restore, or copy it over)."
    return " No backup of it was found beside it."


CHECKS = ("header", "quick", "full")  # how deep `check_sqlite` looks, fastest first


def check_sqlite(path: Path, check: str = "quick") -> str | None:
    """What is wrong with the SQLite file at `path`, or None. Opened read-only: never changed.

    `header`: the file's first bytes and its schema (instant, at every open); `quick`: SQLite's
    `quick_check` (window start-up, about a second per GB); `full`: `integrity_check`.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            magic = f.read(16)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if size == 0:
        return "is empty (0 bytes), not a Leadgate store"
    if magic != SQLITE_MAGIC:
        return "is not a SQLite database"
    pragma = {"quick": "PRAGMA quick_check", "full": "PRAGMA integrity_check"}.get(check)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            rows = [str(r[0]) for r in conn.execute(pragma).fetchmany(5)] if pragma else ["ok"]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return f"is damaged ({' '.join(str(exc).split())})"
    if rows != ["ok"]:
        said = " ".join("; ".join(rows).split())  # one line, however SQLite words it
        return f"is damaged (SQLite's check says: {said[:300]})"
    return None


def problem_with(path: Path, check: str = "quick") -> str | None:
    """One sentence on why the store file cannot be used, naming a backup to restore; None
    if it looks fine."""
    problem = check_sqlite(path, check)
    if problem is None:
        return None
    return f"The store {path} {problem}.{restore_hint(path)}"


def is_writable(path: Path) -> bool:
    """Can this process write the store (and the folder its log files go in)?"""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def private_file(path: Path) -> None:
    """Only the owner may read or write `path` (no-op where permissions do not apply)."""
    with contextlib.suppress(OSError, NotImplementedError):
        path.chmod(0o600)


def private_folder(path: Path) -> None:
    """Create `path` (and its parents) if missing, owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError, NotImplementedError):
        path.chmod(0o700)


def safe_copy(source: Path, target: Path) -> Path:
    """Copy a SQLite store (with what its log holds) to `target`, checked, owner-only.

    Written to a temporary name beside `target` first; only a copy that opens and passes
    `quick_check` is renamed into place. Raises OSError or sqlite3.Error otherwise (the
    temporary file is removed).
    """
    temp = target.with_name(f".{target.name}.partial")
    temp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(temp)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        problem = check_sqlite(temp, "quick")
        if problem is not None:
            raise sqlite3.DatabaseError(f"the copy {problem}")
        private_file(temp)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


@contextlib.contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<store>.lock` (waits for another process holding it)."""
    lock_path = store.with_name(store.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
