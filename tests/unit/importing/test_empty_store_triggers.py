"""An import into an empty SQLite store fills the search index and the reports' queue in one
statement each instead of per-row triggers; the triggers are back afterwards."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from app.clock import SettableClock
from app.services.importing import ImportState, load
from app.services.importing.load import DEFERRABLE_TRIGGERS
from app.services.importing.synth import write_badge_csv
from app.services.leads.queries import LeadFilter, count_leads
from app.store.db import Store
from tests.unit.importing.helpers import do_import, import_until_cancelled, samples_dir, snapshot


def _triggers(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
        }


def _lead_indexes(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        query = "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='leads'"
        return {r[0] for r in conn.execute(text(query))}


SCAN = (
    "SELECT count(*) FROM leads WHERE lower(display_name) LIKE :p OR lower(company) LIKE :p "
    "OR email_normalized LIKE :p OR lower(title) LIKE :p"
)


def _scan_count(session, word: str) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(text(SCAN), {"p": f"%{word}%"}).scalar_one())


def test_first_import_is_searchable_queued_for_reports_and_triggers_return(
    sqlite_store: Store, clock: SettableClock
) -> None:
    before = _triggers(sqlite_store)
    assert set(DEFERRABLE_TRIGGERS) <= before
    result = do_import(sqlite_store, clock, samples_dir() / "standard_utf8.csv")
    assert result.created == 127
    assert _triggers(sqlite_store) == before
    with sqlite_store.session() as s:
        assert count_leads(s, LeadFilter(text="piedpiper")) == _scan_count(s, "piedpiper") > 0
        queued = s.execute(text("SELECT count(DISTINCT lead_id) FROM report_journey_queue"))
        assert queued.scalar_one() == count_leads(s)
    # The next import goes through the triggers again (the store is not empty any more).
    second = do_import(sqlite_store, clock, samples_dir() / "european_semicolon_bom.csv")
    assert second.created > 0
    with sqlite_store.session() as s:
        assert count_leads(s, LeadFilter(text="piedpiper")) == _scan_count(s, "piedpiper")
        indexed = s.execute(text("SELECT count(*) FROM lead_search_docsize")).scalar_one()
        assert indexed == count_leads(s)


@pytest.mark.parametrize("when", ["duplicates", "indexing"])
def test_cancel_while_indexes_are_rebuilt_leaves_the_store_empty_and_whole(
    sqlite_store: Store, clock: SettableClock, tmp_path, when: str, monkeypatch
) -> None:
    """The indexes and the search index are rebuilt on the writer thread while the duplicate
    search runs: a Cancel then (from either side) rolls the whole import back."""
    monkeypatch.setattr(load, "PROGRESS_EVERY_S", 0.0)  # every step reports its progress
    path = write_badge_csv(tmp_path / "badges.csv", 3000, seed=7)
    indexes, triggers = _lead_indexes(sqlite_store), _triggers(sqlite_store)
    before = snapshot(sqlite_store)

    class CancelLate(ImportState):
        late = False
        checks_after = 0

        def check(self) -> None:
            on_writer = threading.current_thread() is not threading.main_thread()
            if self.late and (on_writer if when == "indexing" else not on_writer):
                # "duplicates": the next check of the main thread; "indexing": SQLite's
                # progress callback inside the rebuild on the writer thread.
                self.checks_after += 1
                self.cancel()
            super().check()

        def progress(self, done: int, total: int, text: str = "") -> None:
            if "possible duplicates" in text:
                self.late = True

    state = CancelLate()
    import_until_cancelled(sqlite_store, clock, path, state)
    assert state.late and state.checks_after
    assert snapshot(sqlite_store) == before
    assert _lead_indexes(sqlite_store) == indexes
    assert _triggers(sqlite_store) == triggers
    # The store still takes an import, and finds what it imported.
    result = do_import(sqlite_store, clock, samples_dir() / "standard_utf8.csv")
    assert result.created == 127
    with sqlite_store.session() as s:
        assert count_leads(s, LeadFilter(text="piedpiper")) == _scan_count(s, "piedpiper") > 0
