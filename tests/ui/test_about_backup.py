"""Help > About Leadgate, File > Back up store… and File > Restore from backup…"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app import __version__
from app.backup import backup_name, backup_store, list_backups
from app.migrations import HEAD_REVISION
from app.models import Lead
from app.store.db import Store, backup_sqlite, unit_of_work
from app.ui.about import AboutDialog, AboutInfo, store_text
from app.ui.backup_dialog import RestoreDialog, restore_into
from app.ui.main_window import MainWindow


def store_file(store: Store) -> Path:
    assert store.url.database
    return Path(store.url.database)


def leads_in(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Lead)) or 0)


def test_about_names_version_store_schema_and_where_backups_are(
    qtbot: QtBot, window: MainWindow
) -> None:
    window._about()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.text()
    assert f"Leadgate {__version__}" in text
    assert str(store_file(window.ctx.store)) in dialog.fields["store"].text()
    assert dialog.fields["schema"].text() == f"{HEAD_REVISION} (current)"
    assert dialog.fields["backups"].text() == str(store_file(window.ctx.store).parent.resolve())
    dialog.close()


def test_about_never_shows_a_team_databases_password() -> None:
    url = make_url("postgresql+psycopg://maria:s3cret-pw@db.example.com:5432/sales")
    assert "s3cret-pw" not in store_text(url)
    assert "db.example.com" in store_text(url)


def test_the_file_menu_offers_back_up_and_restore(window: MainWindow) -> None:
    titles = [a.text() for a in window.file_menu.actions()]
    assert "Back up store…" in titles and "Restore from backup…" in titles
    assert window.backup_action.isEnabled() and window.restore_action.isEnabled()


@pytest.fixture
def restore_dialog(qtbot: QtBot, window: MainWindow) -> RestoreDialog:
    path = store_file(window.ctx.store)
    backup_sqlite(path, datetime(2026, 2, 1, 9, 30, 0, tzinfo=UTC))  # as an upgrade leaves it
    dialog = RestoreDialog(path, window.ctx.clock.now, window)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_restore_lists_the_backups_made_before_upgrades(
    restore_dialog: RestoreDialog, qtmodeltester: Any
) -> None:
    model = restore_dialog.model
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert [model.index(0, c).data() for c in range(3)] == [
        "2026-02-01 09:30:00",
        "Before an upgrade",
        HEAD_REVISION,
    ]
    assert restore_dialog.restore_button.isEnabled()
    assert not restore_dialog.empty.isVisible()


def test_back_up_now_adds_a_checked_backup_to_the_list(
    restore_dialog: RestoreDialog, window: MainWindow
) -> None:
    target = backup_name(
        store_file(window.ctx.store), "manual", datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
    )
    assert restore_dialog.back_up_to(target)
    assert target.exists()
    assert restore_dialog.model.rowCount() == 2
    assert restore_dialog.model.index(0, 1).data() == "Backed up by hand"
    assert "checked" in restore_dialog.status.text()


def test_a_file_from_another_program_is_refused_with_one_line(
    qtbot: QtBot, restore_dialog: RestoreDialog, tmp_path: Path
) -> None:
    other = tmp_path / "photos.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with qtbot.assertNotEmitted(restore_dialog.restore_requested):
        restore_dialog.request_restore(other, confirm=False)
    assert restore_dialog.error.isVisible()
    assert restore_dialog.error.text() == (
        "photos.sqlite3 is not a Leadgate store (it has no schema revision)."
    )


def test_a_store_from_a_newer_leadgate_is_refused(
    qtbot: QtBot, restore_dialog: RestoreDialog, window: MainWindow, tmp_path: Path
) -> None:
    newer = backup_store(store_file(window.ctx.store), tmp_path / "newer.sqlite3")
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '9001'")
    conn.commit()
    conn.close()
    with qtbot.assertNotEmitted(restore_dialog.restore_requested):
        restore_dialog.request_restore(newer, confirm=False)
    assert "newer Leadgate (schema 9001)" in restore_dialog.error.text()


def test_restoring_reopens_the_window_on_the_backup(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    store = window.ctx.store
    path = store_file(store)
    backup = backup_store(path, tmp_path / "monday.sqlite3")
    before = leads_in(store)
    with unit_of_work(store.session_factory) as session:
        session.add(Lead(display_name="Added later", email="later@example.com", company="X"))
    dialog = RestoreDialog(path, window.ctx.clock.now, window)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.restore_requested) as requested:
        dialog.request_restore(backup, confirm=False)

    new_window = restore_into(window, requested.args[0], dialog)

    assert isinstance(new_window, MainWindow) and new_window is not window
    qtbot.addWidget(new_window)
    assert new_window.isVisible() and not window.isVisible()
    assert new_window.ctx.user.email == window.ctx.user.email
    assert leads_in(new_window.ctx.store) == before
    assert "Restored from monday.sqlite3" in new_window.statusBar().currentMessage()
    kinds = [b.kind for b in list_backups(path)]
    assert "before-restore" in kinds  # the replaced store is kept
    new_window.ctx.tasks.wait(5000)
    new_window.close()
    new_window.ctx.store.dispose()


def test_about_info_without_a_store() -> None:
    info = AboutInfo.for_store(None)
    assert info.store == "No store open"
