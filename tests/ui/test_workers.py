from __future__ import annotations

import threading

import shiboken6
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.store.db import Store
from app.ui.workers import TaskError, TaskRunner


def test_results_arrive_on_the_ui_thread_and_newest_request_wins(
    qtbot: QtBot, sqlite_store: Store
) -> None:
    runner = TaskRunner(sqlite_store.session_factory)
    gate = threading.Event()
    results: list[tuple[str, bool]] = []

    def slow(_session: object) -> str:
        gate.wait(5)
        return "stale"

    runner.submit(
        slow,
        on_done=lambda r: results.append(
            (r, threading.current_thread() is threading.main_thread())
        ),
        key="search",
    )
    runner.submit(
        lambda _s: "fresh",
        on_done=lambda r: results.append(
            (r, threading.current_thread() is threading.main_thread())
        ),
        key="search",
    )
    qtbot.waitUntil(lambda: results == [("fresh", True)], timeout=5000)
    gate.set()
    runner.wait()
    qtbot.wait(50)
    assert results == [("fresh", True)]


def test_failures_reach_on_error_with_a_message(qtbot: QtBot, sqlite_store: Store) -> None:
    runner = TaskRunner(sqlite_store.session_factory)
    errors: list[TaskError] = []

    def boom(_session: object) -> None:
        raise ValueError("The file is not a badge export.")

    runner.submit(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors[0].message == "The file is not a badge export."
    assert "ValueError" in errors[0].details


def test_a_result_for_a_closed_window_is_dropped_quietly(qtbot: QtBot, sqlite_store: Store) -> None:
    runner = TaskRunner(sqlite_store.session_factory)
    gate = threading.Event()
    label = QLabel()

    def work(_session: object) -> str:
        gate.wait(5)
        return "done"

    runner.submit(work, on_done=lambda text: label.setText(text))
    runner.submit(work, on_done=label.setText)
    label.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(label), timeout=2000)
    gate.set()
    with qtbot.waitSignal(runner.busy_changed, timeout=5000):
        pass
    runner.wait()
