"""A big import's commit returns without copying the write-ahead log into the store's file;
the copy (SQLite's checkpoint) runs afterwards, and the connection behaves as usual again."""

from __future__ import annotations

from pathlib import Path

from app.clock import SettableClock
from app.db import Store, checkpoint
from app.services.importing.synth import write_badge_csv
from app.services.leads import count_leads
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
