from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.demo import generator as demo
from app.services.team.users import UserInfo, list_users
from app.store.db import Store
from app.ui.app import build_window, ensure_app
from app.ui.main_window import MainWindow


@pytest.fixture
def demo_store(sqlite_store: Store, clock: SettableClock) -> Store:
    with sqlite_store.session() as s:
        demo.generate(s, clock, leads=300, seed=9, accounts=40)
        s.commit()
    return sqlite_store


@pytest.fixture
def rep(demo_store: Store) -> UserInfo:
    with demo_store.session() as s:
        return next(u for u in list_users(s) if u.role == "rep")


@pytest.fixture
def window(
    qtbot: QtBot, demo_store: Store, clock: SettableClock, rep: UserInfo
) -> Iterator[MainWindow]:
    ensure_app()
    win = build_window(demo_store, clock, rep)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    yield win
    win.ctx.tasks.wait(5000)
