"""File → Import history: batches with who, counts and routing; undo from the list."""

from __future__ import annotations

import shutil

from PySide6.QtWidgets import QMessageBox
from sqlalchemy import func, select

from app.models import Lead
from app.services.importing import api as importing_api
from app.services.team.users import get_user
from app.store.uow import UnitOfWork
from app.ui.context import AppContext
from app.ui.importing.history_dialog import ImportHistoryDialog
from app.ui.workers import TaskRunner
from tests.unit.importing.actors import add_team
from tests.unit.importing.helpers import samples_dir


def test_history_lists_the_batch_and_undoes_it(sqlite_store, clock, qtbot, tmp_path, monkeypatch):
    manager, rep = add_team(sqlite_store)
    path = tmp_path / "standard.csv"
    shutil.copyfile(samples_dir() / "standard_utf8.csv", path)
    done = importing_api.run_import(UnitOfWork(sqlite_store.session_factory, clock), rep, path)
    batch_id = done.value.batch_id
    with sqlite_store.session() as s:
        user = get_user(s, manager.user_id)
        created = int(s.scalar(select(func.count()).select_from(Lead)))
    assert user is not None and created > 0
    tasks = TaskRunner(sqlite_store.session_factory)
    ctx = AppContext(sqlite_store, clock, user, tasks)
    dialog = ImportHistoryDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    row = [dialog.model.index(0, c).data() for c in range(dialog.model.columnCount())]
    assert row[0] == str(batch_id) and row[1] == "standard.csv" and row[2] == "Raj Rep"
    assert row[4] == f"{created:,}"
    assert "Raj Rep" in row[7] or "Mia Manager" in row[7]  # where the leads went, by owner
    assert dialog.undo_button.isVisible() and dialog.undo_button.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.undo_button.click()
    qtbot.waitUntil(lambda: dialog.model.index(0, 8).data() == "undone", timeout=10000)
    with sqlite_store.session() as s:
        assert int(s.scalar(select(func.count()).select_from(Lead))) == 0
    assert not dialog.undo_button.isEnabled()
    tasks.wait()


def test_duplicates_review_merges_one_pair_and_dismisses_another(
    sqlite_store, clock, qtbot, qtmodeltester
):
    from app.services.duplicates.core import resolve_lead_id
    from app.services.importing.dedup import PossibleDuplicate
    from app.store.db import unit_of_work
    from app.ui.importing.duplicates_dialog import DuplicatesDialog
    from tests.helpers.pipeline import make_lead

    manager, _rep = add_team(sqlite_store)
    with unit_of_work(sqlite_store.session_factory) as s:
        a, b, c, d = (make_lead(s, clock, name=n).id for n in ("Ann", "Ann B", "Bob", "Rob"))
    with sqlite_store.session() as s:
        user = get_user(s, manager.user_id)
    tasks = TaskRunner(sqlite_store.session_factory)
    ctx = AppContext(sqlite_store, clock, user, tasks)
    pairs = [
        PossibleDuplicate(b, 2, a, None, "similar name and company", 92, "Ann B", "Ann"),
        PossibleDuplicate(d, 3, c, None, "same phone", 100, "Rob", "Bob"),
    ]
    dialog = DuplicatesDialog(ctx, pairs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtmodeltester.check(dialog.model)
    assert dialog.model.rowCount() == 2
    assert dialog.model.index(1, 0).data() == f"#{d} Rob (row 3)"
    dialog.table.selectRow(1)
    dialog.dismiss_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)
    assert dialog.selected() == pairs[0]  # the pair left is selected, ready for the next
    dialog.merge_button.click()
    merge = dialog.merge_dialog
    assert merge is not None
    qtbot.waitUntil(lambda: merge.merge_button.isEnabled(), timeout=5000)
    merge.merge_button.click()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=5000)
    with sqlite_store.session() as s:
        assert resolve_lead_id(s, b) == a
    # Opened again, the dismissed pair is not offered.
    again = DuplicatesDialog(ctx, [pairs[1]])
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.model.rowCount() == 0, timeout=5000)
    tasks.wait()
