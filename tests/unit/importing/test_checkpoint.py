"""A big import's commit returns without copying the write-ahead log into the store's file;
the copy (SQLite's checkpoint) runs afterwards, and the connection behaves as usual again."""

from __future__ import annotations

from pathlib import Path

from app.clock import SettableClock
from app.services.importing.synth import write_badge_csv
from app.services.leads.queries import count_leads
from app.store.db import Store, checkpoint
from tests.unit.importing.helpers import do_import


def test_import_commit_leaves_the_checkpoint_for_afterwards(
    sqlite_store: Store, clock: SettableClock, tmp_path: Path
) -> None:
    database = sqlite_store.engine.url.database
    assert database
    store_file = Path(database)
    with sqlite_store.session() as s:
        checkpoint(s)
    size_before = store_file.stat().st_size
    path = write_badge_csv(tmp_path / "badges.csv", 3000, seed=9)
    result = do_import(sqlite_store, clock, path)
    assert result.created > 2500  # several megabytes: over SQLite's 1,000-page threshold
    # Committed and readable, though still only in the write-ahead log.
    assert store_file.stat().st_size == size_before
    with sqlite_store.session() as s:
        assert count_leads(s) == result.created
        checkpoint(s)
    assert store_file.stat().st_size > size_before + 2_000_000
    # The connection the import used checkpoints its own commits again.
    with sqlite_store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000


def test_the_write_ahead_log_shrinks_back_after_a_big_import(
    sqlite_store: Store, clock: SettableClock, tmp_path: Path, monkeypatch
) -> None:
    """A big import grows the log to the size of what it wrote; after the checkpoint, the next
    write cuts it back to the limit instead of leaving that much disk taken."""
    from sqlalchemy import text

    monkeypatch.setattr("app.store.db.WAL_SIZE_LIMIT", 1024 * 1024)  # 1 MiB: a small file suffices
    sqlite_store.engine.dispose()  # new connections take the (patched) limit
    database = sqlite_store.engine.url.database
    assert database
    wal = Path(database + "-wal")
    do_import(sqlite_store, clock, write_badge_csv(tmp_path / "badges.csv", 3000, seed=11))
    assert wal.stat().st_size > 4_000_000
    with sqlite_store.session() as s:
        checkpoint(s)
    with sqlite_store.session() as s:  # the next write starts the log over, cut to the limit
        s.execute(text("UPDATE leads SET title = 'CTO' WHERE id = 1"))
        s.commit()
    assert wal.stat().st_size <= 1024 * 1024
