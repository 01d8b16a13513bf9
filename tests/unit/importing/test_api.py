"""The import's user actions as API calls: who may do them, what they change, what they say
changed. On both stores."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import ImportBatch, ImportMappingPreset
from app.services.auth import PermissionDenied
from app.services.changes import NOTHING
from app.services.importing import ImportCancelled, ImportOptions, ImportState, Mapping, api
from app.services.importing.synth import write_badge_csv
from app.services.progress import Progress
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.workers import TaskState
from tests.unit.importing.actors import add_team
from tests.unit.importing.helpers import lead_count, snapshot


def _uow(store: Store, clock: SettableClock) -> UnitOfWork:
    return UnitOfWork(store.session_factory, clock)


@pytest.fixture
def badges(tmp_path: Path) -> Path:
    return write_badge_csv(tmp_path / "badges.csv", 60, seed=3)


def test_a_rep_imports_and_the_batch_records_who(store, clock, badges) -> None:
    _manager, rep = add_team(store)
    done = api.run_import(_uow(store, clock), rep, badges, options=ImportOptions(event="Expo"))
    assert done.value.created > 40
    assert lead_count(store) == done.value.created
    assert done.changes == api.IMPORT_CHANGES
    assert done.changes.all_leads and done.changes.imports and done.changes.followups
    with store.session() as s:
        batch = s.get(ImportBatch, done.value.batch_id)
        assert batch is not None and batch.user_id == rep.user_id


def test_a_rep_cannot_undo_an_import_and_nothing_changes(store, clock, badges) -> None:
    manager, rep = add_team(store)
    batch_id = api.run_import(_uow(store, clock), manager, badges).value.batch_id
    assert batch_id is not None
    before = snapshot(store)
    with pytest.raises(PermissionDenied, match="Only a manager or the owner can undo an import"):
        api.undo_import(_uow(store, clock), rep, batch_id)
    assert snapshot(store) == before
    with store.session() as s:
        batch = s.get(ImportBatch, batch_id)
        assert batch is not None and batch.undone_at is None and batch.status == "done"
    # The manager may; the leads go and every view hears about it.
    undone = api.undo_import(_uow(store, clock), manager, batch_id)
    assert undone.value.deleted == before["leads"].__len__()
    assert undone.changes == api.IMPORT_CHANGES
    assert lead_count(store) == 0


def test_a_dry_run_changes_nothing_and_says_so(store, clock, badges) -> None:
    _manager, rep = add_team(store)
    before = snapshot(store)
    review = api.run_import(_uow(store, clock), rep, badges, options=ImportOptions(dry_run=True))
    assert review.value.created > 40 and review.value.batch_id is None
    assert review.changes == NOTHING
    assert snapshot(store) == before


def test_saving_a_preset_with_the_import_keeps_both_or_neither(store, clock, tmp_path) -> None:
    _manager, rep = add_team(store)
    path = tmp_path / "odd.csv"
    path.write_text("Kontakt,Adresse,Haus\r\nAda Lovelace,ada@engine.org,Analytical\r\n",
                    encoding="utf-8")  # fmt: skip
    mapping = Mapping(["Kontakt", "Adresse", "Haus"], ["full_name", "email", "company"])
    done = api.run_import(_uow(store, clock), rep, path, mapping=mapping, save_preset_as="Fair")
    assert done.value.created == 1
    with store.session() as s:
        saved = s.scalars(select(ImportMappingPreset.name)).all()
    assert saved == ["Fair"]
    info = api.save_mapping_preset(_uow(store, clock), rep, "Fair 2", mapping)
    assert info.value.name == "Fair 2" and info.changes.imports


def test_an_unknown_preset_is_one_sentence_and_no_batch(store, clock, badges) -> None:
    _manager, rep = add_team(store)
    with pytest.raises(ValueError, match="No mapping preset named 'nope'"):
        api.run_import(_uow(store, clock), rep, badges, preset="nope")
    assert snapshot(store)["batches"] == 0


def test_the_import_api_copies_the_log_into_the_store_file(sqlite_store, clock, tmp_path) -> None:
    """Unlike the session-level import (test_checkpoint), the action as the window and the
    CLI run it brings the store file up to date: it starts the held-back checkpoint, which
    runs after the import returns (the user does not wait for it)."""
    _manager, rep = add_team(sqlite_store)
    database = sqlite_store.engine.url.database
    assert database
    size_before = Path(database).stat().st_size
    path = write_badge_csv(tmp_path / "badges.csv", 3000, seed=9)
    done = api.run_import(_uow(sqlite_store, clock), rep, path)
    assert done.value.created > 2500
    _wait_for_checkpoint()
    assert Path(database).stat().st_size > size_before + 2_000_000


def _wait_for_checkpoint() -> None:
    for thread in threading.enumerate():
        if thread.name == "leadgate-checkpoint":
            thread.join(30)


def _as_progress(state: Progress) -> Progress:
    return state


def test_the_app_task_handle_cancels_an_import_and_nothing_is_kept(store, clock, badges) -> None:
    """The task runner's TaskState is the one progress/cancel type the import takes."""
    _manager, rep = add_team(store)
    before = snapshot(store)
    state = TaskState()
    state.cancel()
    with pytest.raises(ImportCancelled):
        api.run_import(_uow(store, clock), rep, badges, state=_as_progress(state))
    assert snapshot(store) == before


def test_progress_reaches_the_caller_from_reading_to_done(store, clock, badges) -> None:
    _manager, rep = add_team(store)
    seen: list[tuple[int, int, str]] = []
    state = ImportState(on_progress=lambda done, total, text: seen.append((done, total, text)))
    api.run_import(_uow(store, clock), rep, badges, state=_as_progress(state))
    assert seen[0][2] == "Reading"
    assert seen[-1][2] == "Done"
