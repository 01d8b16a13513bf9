"""An import into an empty store may leave its new leads' search index, and the leads'
indexes only the views read, for after it returns (issue 17): the leads are there and counted
at once, search says how many it still has to take in, and the background catch-up the API
function starts (or the app's next start, after a crash) brings both up to date."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.models import Lead
from app.services.importing import ImportOptions, api
from app.services.importing.synth import write_badge_csv
from app.services.leads.inbox import chip_counts
from app.services.leads.queries import LeadFilter
from app.store.bulk import IMPORT_INDEXES, catch_up_in_background, deferred_indexes
from app.store.db import open_store
from app.store.search import catch_up_search, lead_text_match, search_backlog
from app.store.uow import UnitOfWork
from tests.unit.importing.actors import add_team
from tests.unit.importing.helpers import do_import


def _lead_indexes(store) -> dict[str, str]:
    with store.engine.connect() as conn:
        return {
            str(name): str(sql)
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'leads' AND sql IS NOT NULL"
            )
        }


def _join_catch_up() -> None:
    for thread in threading.enumerate():
        if thread.name == "leadgate-checkpoint":
            thread.join(30)


def _found(store, text: str) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Lead).where(lead_text_match(text))))


def test_new_leads_are_counted_at_once_and_searchable_after_the_catch_up(
    sqlite_store, clock, tmp_path
):
    path = write_badge_csv(tmp_path / "b.csv", 400, seed=3)
    result = do_import(sqlite_store, clock, path, search_later=True)
    assert result.created > 350 and result.search_backlog == result.created
    with sqlite_store.session() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == result.created
        assert search_backlog(s) == result.created
    assert _found(sqlite_store, "lovelace") == 0  # not in search yet (the accepted gap)
    with sqlite_store.session() as s:
        assert catch_up_search(s) == result.created
        s.commit()
        assert search_backlog(s) == 0
        expected = s.scalar(
            select(func.count()).select_from(Lead).where(func.lower(Lead.display_name).like(
                "%lovelace%"))
        )  # fmt: skip
    assert expected and _found(sqlite_store, "lovelace") == expected


def test_the_import_action_catches_search_up_in_the_background(sqlite_store, clock, tmp_path):
    _manager, rep = add_team(sqlite_store)
    path = write_badge_csv(tmp_path / "b.csv", 300, seed=5)
    done = api.run_import(UnitOfWork(sqlite_store.session_factory, clock), rep, path,
                          options=ImportOptions(search_later=True))  # fmt: skip
    assert done.value.search_backlog == done.value.created > 250
    assert done.value.indexes_later > 0
    _join_catch_up()
    with sqlite_store.session() as s:
        assert search_backlog(s) == 0
        assert deferred_indexes(s) == []
    assert _found(sqlite_store, "lovelace") > 0


def test_the_views_indexes_are_built_after_the_import_even_after_a_crash(
    sqlite_store, clock, tmp_path
):
    complete = _lead_indexes(sqlite_store)
    assert complete.keys() > IMPORT_INDEXES
    path = write_badge_csv(tmp_path / "b.csv", 400, seed=4)
    result = do_import(sqlite_store, clock, path, search_later=True)
    # What the import and the next one read is there at once; the views' orderings wait.
    left = _lead_indexes(sqlite_store)
    assert IMPORT_INDEXES <= left.keys() < complete.keys()
    with sqlite_store.session() as s:
        noted = deferred_indexes(s)
        assert noted == sorted(complete.keys() - left.keys())
        assert result.indexes_later == len(noted)
        # The inbox is right meanwhile, only slower: counts over the whole table.
        counts = chip_counts(s, LeadFilter(status="open"), None)
        assert sum(counts[t] for t in ("Urgent", "High", "Medium", "Low")) == result.created
    # The app closed (or crashed) before the catch-up ran: its next start finds the note.
    sqlite_store.dispose()
    reopened = open_store(sqlite_store.url)
    try:
        catch_up_in_background(reopened.session_factory).join(30)
        assert _lead_indexes(reopened) == complete  # the same definitions as the migrations'
        with reopened.session() as s:
            assert deferred_indexes(s) == []
            assert search_backlog(s) == 0
    finally:
        reopened.dispose()


def test_a_search_during_indexing_says_how_many_leads_it_may_miss(sqlite_store, clock, tmp_path):
    path = write_badge_csv(tmp_path / "b.csv", 300, seed=8)
    result = do_import(sqlite_store, clock, path, search_later=True)
    with sqlite_store.session() as s:
        assert chip_counts(s, LeadFilter(status="open", text="lovelace"), None)["indexing"] == (
            result.created
        )
        assert chip_counts(s, LeadFilter(status="open"), None)["indexing"] == 0  # no search
        catch_up_search(s)
        s.commit()
        assert chip_counts(s, LeadFilter(status="open", text="lovelace"), None)["indexing"] == 0


def test_without_the_option_search_is_complete_when_the_import_returns(store, clock, tmp_path):
    path = write_badge_csv(tmp_path / "b.csv", 200, seed=6)
    result = do_import(store, clock, path)
    assert result.search_backlog == 0
    with store.session() as s:
        assert search_backlog(s) == 0
    assert _found(store, "lovelace") > 0
