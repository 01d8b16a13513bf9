from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.config import Preferences
from app.store.db import Store
from app.ui.app import remember_user, remembered_user
from app.ui.connect_dialog import ConnectDialog
from app.ui.startup import UserPickerDialog
from app.ui.workers import TaskRunner
from tests.helpers.stores import pg_admin_url


def test_user_picker_returns_the_chosen_member_and_is_remembered(
    qtbot: QtBot, demo_store: Store
) -> None:
    from app.services.team.users import list_users

    with demo_store.session() as s:
        team = list_users(s)
    dialog = UserPickerDialog(team)
    qtbot.addWidget(dialog)
    dialog.combo.setCurrentIndex(3)
    chosen = dialog.selected()
    assert chosen == team[3]
    remember_user(demo_store, chosen)
    assert remembered_user(demo_store) == chosen


def test_connect_dialog_tests_a_real_server_and_never_stores_the_password(
    qtbot: QtBot, sqlite_store: Store, pg_url
) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner(sqlite_store.session_factory)
    dialog = ConnectDialog(runner)
    qtbot.addWidget(dialog)
    admin = pg_admin_url()
    dialog.host.setText(admin.host or "127.0.0.1")
    dialog.port.setValue(admin.port or 5432)
    dialog.database.setText(pg_url.database)
    dialog.user.setText(admin.username or "postgres")
    dialog.password.setText("not-needed-here")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.tested_ok is not None, timeout=10000)
    assert dialog.tested_ok is True
    assert dialog.result_label.text().startswith("Connected.")
    url = dialog.url()
    assert url.password is None
    assert "not-needed-here" not in url.render_as_string(hide_password=False)
    assert "not-needed-here" not in str(Preferences.load().read())
    runner.wait()


def test_connect_dialog_reports_an_unreachable_server(qtbot: QtBot, sqlite_store: Store) -> None:
    runner = TaskRunner(sqlite_store.session_factory)
    dialog = ConnectDialog(runner)
    qtbot.addWidget(dialog)
    dialog.host.setText("127.0.0.1")
    dialog.port.setValue(1)
    dialog.database.setText("sales")
    dialog.user.setText("maria")
    dialog.test_button.click()
    qtbot.waitUntil(lambda: dialog.tested_ok is not None, timeout=10000)
    assert dialog.tested_ok is False
    assert "Cannot reach the PostgreSQL server" in dialog.result_label.text()
    runner.wait()


def test_connect_dialog_asks_for_missing_fields(qtbot: QtBot, sqlite_store: Store) -> None:
    runner = TaskRunner(sqlite_store.session_factory)
    dialog = ConnectDialog(runner)
    qtbot.addWidget(dialog)
    dialog.host.setText("")
    dialog.connect_button.click()
    assert dialog.result_label.text() == "Enter the server."
    assert dialog.tested_ok is False and dialog.result() == 0  # not accepted
