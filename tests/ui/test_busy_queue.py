"""A write refused because an import holds SQLite's write lock waits its turn (issue 16 item 4):
the window retries it and says so in the status bar instead of showing "store is busy"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.changes import Changes, Result
from app.services.errors import StoreBusy, StoreLocked
from app.services.team.users import UserInfo
from app.store.db import Store
from app.ui import ops
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
    ctx.events.status_message.connect(status.append)
    ops.run_op(ctx, _locked_twice(calls), 7, on_done=done.append, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(done or errors), timeout=5000)
    assert (done, errors, calls) == (["saved"], [], [7, 7, 7])
    assert changed == [Changes.for_leads([7])]
    assert status and set(status) == {"Waiting for the import to finish…"}


def test_waiting_stops_when_cancelled(qtbot: QtBot, ctx: AppContext) -> None:
    calls: list[int] = []
    errors: list[TaskError] = []

    def always_locked(_uow: object, _actor: object) -> Result[None]:
        calls.append(1)
        raise StoreLocked("The store is busy; nothing was changed.")

    state = ops.run_op(ctx, always_locked, on_error=errors.append)
    qtbot.waitUntil(lambda: len(calls) >= 2, timeout=5000)
    state.cancel()
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors[0].cancelled


def test_a_full_disk_is_not_retried(qtbot: QtBot, ctx: AppContext) -> None:
    calls: list[int] = []
    errors: list[TaskError] = []
    ops.run_op(ctx, _locked_twice(calls, StoreBusy), 7, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert calls == [7] and "nothing was changed" in errors[0].message
