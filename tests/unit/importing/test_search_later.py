"""An import into an empty store may leave its new leads' search index for after it returns
(issue 17): the leads are there and counted at once, search says how many it still has to
take in, and the background catch-up the API function starts brings it up to date."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from app.models import Lead
from app.services.importing import ImportOptions, api
from app.services.importing.synth import write_badge_csv
from app.store.search import catch_up_search, lead_text_match, search_backlog
from app.store.uow import UnitOfWork
from tests.unit.importing.actors import add_team
from tests.unit.importing.helpers import do_import


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
    for thread in threading.enumerate():
        if thread.name == "leadgate-checkpoint":
            thread.join(30)
    with sqlite_store.session() as s:
        assert search_backlog(s) == 0
    assert _found(sqlite_store, "lovelace") > 0


def test_without_the_option_search_is_complete_when_the_import_returns(store, clock, tmp_path):
    path = write_badge_csv(tmp_path / "b.csv", 200, seed=6)
    result = do_import(store, clock, path)
    assert result.search_backlog == 0
    with store.session() as s:
        assert search_backlog(s) == 0
    assert _found(store, "lovelace") > 0
