"""Damaged, missing and read-only stores, and bad input, as the window shows them: a dialog or a
banner, never a silent quit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Lead
from app.services.leads import api as leads_api
from app.services.team.users import UserInfo, list_users
from app.store.db import Store, make_session_factory
from app.ui import app as ui_app
from app.ui.app import build_window, ensure_app
from app.ui.ops import run_op


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []

    def critical(_parent: Any, title: str, text: str, *_a: Any) -> Any:
        shown.append((title, text))
        return QMessageBox.StandardButton.Ok

    def question(_parent: Any, title: str, text: str, *_a: Any) -> Any:
        shown.append((title, text))
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.delenv("LEADGATE_EXIT_WHEN_SHOWN", raising=False)
    monkeypatch.delenv("LEADGATE_USER", raising=False)
    return shown


def test_a_damaged_store_is_explained_in_a_dialog_with_the_backup_to_restore(
    tmp_path: Path, dialogs: list[tuple[str, str]], qtbot: QtBot
) -> None:
    ensure_app()
    store = tmp_path / "team.sqlite3"
    store.write_bytes(b"this is a spreadsheet, not a database" * 100)
    backup = tmp_path / "team.backup-20260301-090000.sqlite3"
    import sqlite3

    conn = sqlite3.connect(backup)
    conn.execute("create table t (x)")
    conn.commit()
    conn.close()

    assert ui_app.run_gui(f"sqlite:///{store}") == 1
    assert len(dialogs) == 1
    title, text = dialogs[0]
    assert title == "Leadgate cannot open its database"
    assert "is not a SQLite database" in text and str(backup) in text


def test_a_missing_store_is_created_only_when_the_user_says_so(
    tmp_path: Path, dialogs: list[tuple[str, str]], qtbot: QtBot
) -> None:
    ensure_app()
    missing = tmp_path / "new" / "leadgate.sqlite3"
    assert ui_app.run_gui(f"sqlite:///{missing}") == 1
    assert [t for t, _ in dialogs] == ["Create a new store?", "Leadgate cannot open its database"]
    assert not missing.exists()


def test_a_read_only_store_shows_a_banner(
    qtbot: QtBot, demo_store: Store, clock: SettableClock, rep: UserInfo
) -> None:
    ensure_app()
    read_only = Store(
        demo_store.url, demo_store.engine, make_session_factory(demo_store.engine), read_only=True
    )
    window = build_window(read_only, clock, rep)
    qtbot.addWidget(window)
    window.show()
    banner = window.statusBar().findChild(QLabel, "readOnlyBanner")
    assert banner is not None and banner.isVisible()
    assert "Read-only" in banner.text()
    window.ctx.tasks.wait(5000)


def test_bad_input_in_the_window_is_one_dialog(
    qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    ensure_app()
    with demo_store.session() as s:
        owner = next(u for u in list_users(s) if u.role == "owner")
    window = build_window(demo_store, clock, owner)
    qtbot.addWidget(window)
    window.show()
    # The window's first loads (and its first sweep) go before the edit on the task runner.
    qtbot.waitUntil(lambda: not window.ctx.tasks.busy, timeout=30000)
    with demo_store.session() as s:
        lead = s.scalars(select(Lead).order_by(Lead.id)).first()
        assert lead is not None
        lead_id, version = lead.id, lead.version
    run_op(window.ctx, leads_api.update_lead, lead_id, {"deal_value": "Infinity"}, version)

    def box() -> QMessageBox | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        return next((b for b in found if b.isVisible()), None)

    qtbot.waitUntil(lambda: box() is not None, timeout=15000)
    shown = box()
    assert shown is not None
    assert shown.text().startswith("deal_value must be a number between")
    assert shown.detailedText() == ""  # an expected refusal: no traceback behind Details
    shown.close()
    window.ctx.tasks.wait(5000)


def test_a_damaged_page_is_reported_after_the_window_is_shown(
    qtbot: QtBot, demo_store: Store, clock: SettableClock, rep: UserInfo, dialogs: list[Any]
) -> None:
    """quick_check is off the start-up path: it runs behind the shown window, and a damaged
    store gets its dialog from there."""
    from app.ui.store_check import TITLE, check_store_later

    ensure_app()
    window = build_window(demo_store, clock, rep)
    qtbot.addWidget(window)
    window.show()
    window.ctx.tasks.wait(5000)
    path = Path(str(demo_store.url.database))
    check = check_store_later(window, str(path))
    assert check is not None
    with qtbot.waitSignal(check.checked, timeout=10000) as healthy:
        pass
    assert healthy.args == [""] and dialogs == []

    with demo_store.engine.connect() as conn:  # everything into the main file, then damage it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(3 * page + 100, len(data) - page, 7 * page):
        data[i : i + 64] = bytes(b ^ 0xFF for b in data[i : i + 64])
    path.write_bytes(bytes(data))
    check = check_store_later(window, str(path))
    assert check is not None
    qtbot.waitUntil(lambda: bool(dialogs), timeout=10000)
    title, text = dialogs[0]
    assert title == TITLE and "is damaged" in text and "restore" in text.lower()
    assert window.isVisible()
