"""Backing up and restoring a local store (app.backup): what a user would notice."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.backup import (
    BackupError,
    backup_name,
    backup_store,
    check_store_file,
    list_backups,
    restore_store,
)
from app.clock import SettableClock
from app.demo import generator as demo
from app.migrations import HEAD_REVISION
from app.models import Lead
from app.store.db import Store, backup_sqlite, downgrade, make_engine, open_store, unit_of_work

NOON = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def store_path(store: Store) -> Path:
    assert store.url.database
    return Path(store.url.database)


def lead_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM leads").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def demo_store(sqlite_store: Store, clock: SettableClock) -> Store:
    with unit_of_work(sqlite_store.session_factory) as session:
        demo.generate(session, clock, leads=40, accounts=10, days=30)
    return sqlite_store


def add_lead(store: Store, name: str) -> None:
    with unit_of_work(store.session_factory) as session:
        session.add(Lead(display_name=name, email=f"{name}@example.com", company="Later GmbH"))


def leads_in(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def test_a_backup_is_a_checked_copy_of_the_store_in_use(demo_store: Store) -> None:
    path = store_path(demo_store)
    target = backup_name(path, "manual", NOON)

    written = backup_store(path, target)

    assert written == target
    assert lead_count(target) == leads_in(demo_store) == 40
    assert check_store_file(target) == HEAD_REVISION
    assert not list(path.parent.glob("*.partial*"))  # the temporary name is gone
    assert not target.with_name(target.name + "-wal").exists()  # one self-contained file


def test_backups_beside_the_store_are_listed_newest_first(demo_store: Store) -> None:
    path = store_path(demo_store)
    backup_sqlite(path, datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC))  # what an upgrade leaves behind
    backup_store(path, backup_name(path, "manual", NOON))
    (path.parent / "holiday-photos.sqlite3").write_bytes(b"not ours")
    (path.parent / f"{path.stem}.notes.sqlite3").write_bytes(b"not a backup")

    found = list_backups(path)

    assert [(b.kind, b.taken) for b in found] == [
        ("manual", NOON),
        ("backup", datetime(2026, 1, 5, 8, 0, 0, tzinfo=UTC)),
    ]
    assert found[1].kind_label == "Before an upgrade"
    assert all(b.revision == HEAD_REVISION and b.size > 0 for b in found)


def test_a_pre_upgrade_copy_whose_revision_is_still_in_its_log_is_listed_with_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leadgate.sqlite3"
    store = open_store(f"sqlite:///{path}")  # migrated; the revision may sit in the -wal
    try:
        with store.engine.connect() as conn:  # hold the log open, as a running app does
            conn.exec_driver_sql("SELECT 1").all()
            backup_sqlite(path, NOON)
    finally:
        store.dispose()
    [found] = list_backups(path)
    assert found.revision == HEAD_REVISION


def test_restore_brings_the_backup_back_and_keeps_the_store_it_replaced(
    demo_store: Store,
) -> None:
    path = store_path(demo_store)
    backup = backup_store(path, backup_name(path, "manual", NOON))
    add_lead(demo_store, "after-the-backup")
    assert leads_in(demo_store) == 41
    closed: list[bool] = []

    def close() -> None:
        demo_store.dispose()
        closed.append(True)

    result = restore_store(
        backup, path, now=datetime(2026, 3, 2, 13, 0, 0, tzinfo=UTC), close_store=close
    )

    assert closed == [True]
    assert result.revision == HEAD_REVISION
    reopened = open_store(f"sqlite:///{path}")
    try:
        assert leads_in(reopened) == 40
    finally:
        reopened.dispose()
    assert result.safety_copy is not None
    assert lead_count(result.safety_copy) == 41
    assert result.safety_copy in [b.path for b in list_backups(path)]
    assert not list(path.parent.glob("*.restoring*"))


def _refused(store: Store, candidate: Path, message: str) -> None:
    path = store_path(store)
    before = leads_in(store)

    def must_not_close() -> None:
        raise AssertionError("a refused restore must not close the store")

    with pytest.raises(BackupError, match=message) as info:
        restore_store(candidate, path, now=NOON, close_store=must_not_close)
    assert "\n" not in str(info.value)  # one line for the dialog
    assert leads_in(store) == before
    assert not list(path.parent.glob("*.restoring*"))
    assert not list(path.parent.glob("*before-restore*"))


def test_a_file_that_is_not_sqlite_is_refused(demo_store: Store, tmp_path: Path) -> None:
    notes = tmp_path / "notes.sqlite3"
    notes.write_text("Call Maria back on Tuesday\n")
    _refused(demo_store, notes, "not a Leadgate store \\(not a SQLite database\\)")


def test_another_programs_database_is_refused(demo_store: Store, tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    conn.commit()
    conn.close()
    _refused(demo_store, other, "not a Leadgate store \\(it has no schema revision\\)")


def test_a_store_from_a_newer_leadgate_is_refused(demo_store: Store, tmp_path: Path) -> None:
    newer = backup_store(store_path(demo_store), tmp_path / "newer.sqlite3")
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9001'")
    conn.commit()
    conn.close()
    _refused(demo_store, newer, "written by a newer Leadgate \\(schema 9001\\)")


def test_a_damaged_backup_is_refused(demo_store: Store, tmp_path: Path) -> None:
    damaged = backup_store(store_path(demo_store), tmp_path / "damaged.sqlite3")
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[page * 2 : page * 6] = b"\xa5" * (page * 4)  # scribble over a few pages
    damaged.write_bytes(bytes(data))
    _refused(demo_store, damaged, "damaged")


def test_a_backup_from_before_an_upgrade_is_restored_then_upgraded(
    demo_store: Store, tmp_path: Path
) -> None:
    path = store_path(demo_store)
    old = backup_store(path, tmp_path / "old.sqlite3")
    engine = make_engine(f"sqlite:///{old}")
    downgrade(engine, "0006")
    engine.dispose()

    result = restore_store(old, path, now=NOON, close_store=demo_store.dispose)

    assert result.revision == "0006"
    reopened = open_store(f"sqlite:///{path}", now=NOON)  # upgrades, after its own copy
    try:
        assert leads_in(reopened) == 40
    finally:
        reopened.dispose()
    assert check_store_file(path) == HEAD_REVISION
    assert "backup" in [b.kind for b in list_backups(path)]


def test_the_store_itself_cannot_be_restored_over_itself(demo_store: Store) -> None:
    path = store_path(demo_store)
    with pytest.raises(BackupError, match="the store itself"):
        restore_store(path, path, now=NOON, close_store=demo_store.dispose)
    with pytest.raises(BackupError, match="cannot replace the store"):
        backup_store(path, path)
