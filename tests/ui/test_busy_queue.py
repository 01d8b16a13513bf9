"""A write refused because an import holds SQLite's write lock waits its turn (issue 16 item 4):
the window retries it and says so in the status bar instead of showing "store is busy"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.changes import Changes, Result
from app.services.errors import StoreBusy, StoreLocked
from app.services.team.users import UserInfo
from app.store.db import Store
from app.ui import ops
from app.ui.app import build_window, ensure_app
from app.ui.context import AppContext
from app.ui.workers import TaskError, TaskRunner


@pytest.fixture
def ctx(
    sqlite_store: Store, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AppContext]:
    monkeypatch.setattr(ops, "RETRY_PAUSE_S", 0.0)
    tasks = TaskRunner(sqlite_store.session_factory)
    user = UserInfo(1, "Olivia Owner", "o@x.example", "owner", None, 0, True)
    yield AppContext(store=sqlite_store, clock=clock, user=user, tasks=tasks)
    tasks.wait()


def _locked_twice(calls: list[int], error: type[StoreBusy] = StoreLocked) -> Any:
    def fn(_uow: object, _actor: object, lead_id: int) -> Result[str]:
        calls.append(lead_id)
        if len(calls) <= 2:
            raise error("The store is busy (another workstation is writing); nothing was changed.")
        return Result("saved", Changes.for_leads([lead_id]))

    return fn


def test_a_write_during_an_import_waits_then_goes_through_and_views_refresh_once(
    qtbot: QtBot, ctx: AppContext
) -> None:
    calls: list[int] = []
    changed: list[Changes] = []
    status: list[str] = []
    done: list[str] = []
    errors: list[TaskError] = []
    ctx.events.changed.connect(changed.append)
    ctx.tasks.notice.connect(status.append)
    ops.run_op(ctx, _locked_twice(calls), 7, on_done=done.append, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(done or errors), timeout=5000)
    assert (done, errors, calls) == (["saved"], [], [7, 7, 7])
    assert changed == [Changes.for_leads([7])]
    assert status and set(status) == {"Waiting for the import to finish…"}


def test_stop_waiting_in_the_status_bar_gives_up_quietly(
    qtbot: QtBot,
    demo_store: Store,
    clock: SettableClock,
    rep: UserInfo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ops, "RETRY_PAUSE_S", 0.01)
    ensure_app()
    window = build_window(demo_store, clock, rep)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    window.ctx.tasks.wait(5000)
    calls: list[int] = []
    errors: list[TaskError] = []

    def always_locked(_uow: object, _actor: object) -> Result[None]:
        calls.append(1)
        raise StoreLocked("The store is busy; nothing was changed.")

    ops.run_op(window.ctx, always_locked, on_error=errors.append)
    button = window.stop_waiting_button
    qtbot.waitUntil(button.isVisible, timeout=5000)
    assert window.waiting_label.text() == "Waiting for the import to finish…"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(errors) and not button.isVisible(), timeout=5000)
    assert errors[0].cancelled and len(calls) >= 2
    window.ctx.tasks.wait(5000)


def test_a_full_disk_is_not_retried(qtbot: QtBot, ctx: AppContext) -> None:
    calls: list[int] = []
    errors: list[TaskError] = []
    ops.run_op(ctx, _locked_twice(calls, StoreBusy), 7, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert calls == [7] and "nothing was changed" in errors[0].message
