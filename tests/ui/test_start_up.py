"""A returning user's start: the window's frame first, then the store behind it."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.team.users import UserInfo
from app.store.db import Store
from app.ui import theme
from app.ui.app import SYSTEM_DARK_KEY, build_window, ensure_app, finish_app
from app.ui.main_window import MainWindow


def _menu_items(window: MainWindow) -> dict[str, list[str]]:
    return {
        action.text(): [item.text() for item in action.menu().actions()]
        for action in window.menuBar().actions()
    }


def test_the_frame_shows_menus_toolbar_and_rail_and_becomes_the_full_window(
    qtbot: QtBot, demo_store: Store, clock: SettableClock, rep: UserInfo
) -> None:
    ensure_app()
    shell = MainWindow()
    qtbot.addWidget(shell)
    shell.show()
    assert list(_menu_items(shell)) == ["&File", "&View", "&Help"]
    assert [a.text() for a in shell.toolbar.actions()] == ["New lead…", "Import badge file…"]
    assert not any(a.isEnabled() for a in shell.toolbar.actions())  # no store yet
    assert [b.text() for b in shell.nav_buttons.values()] == [s.title for s in shell.specs]
    assert shell.statusBar().isVisible()

    shell.finish_frame()
    items = _menu_items(shell)
    assert items["&File"][:2] == ["New lead…", "Import badge file…"]
    assert "Quit" in items["&File"] and "About Leadgate" in items["&Help"]
    assert [a.text() for a in shell.actions()] == [s.title for s in shell.specs] + ["Find"]

    window = build_window(demo_store, clock, rep, shell)
    assert window is shell
    assert _menu_items(window) == items  # attaching does not add the menus twice
    assert all(a.isEnabled() for a in window.toolbar.actions())
    assert rep.name in window.user_label.text()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    from app.ui.leads.new_lead import NewLeadDialog

    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, NewLeadDialog)]
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].close()
    window.ctx.tasks.wait(5000)


def test_the_first_frame_uses_the_scheme_seen_last_time_then_follows_the_system(
    qtbot: QtBot,
) -> None:
    """As run_gui does for a returning user. Offscreen, the system is never dark."""
    ensure_app()
    QSettings().setValue(SYSTEM_DARK_KEY, True)  # dark at the last start
    app = ensure_app(first_frame=True)
    try:
        shell = MainWindow()
        qtbot.addWidget(shell)
        shell.show()
        assert shell.palette().window().color().name() == theme.DARK.window
        finish_app(app)
        assert shell.palette().window().color().name() == theme.LIGHT.window
        assert QSettings().value(SYSTEM_DARK_KEY, type=bool) is False
    finally:
        theme.apply_theme(app, "light")
