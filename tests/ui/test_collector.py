"""Garbage in reference cycles is collected on the UI thread, never in a task's thread."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QApplication

from app.services import collection
from app.ui.collector import collect_on_ui_thread


class _Cycle:
    """A Qt object kept only by a reference cycle, noting the thread that destroys it."""

    def __init__(self, seen: list[bool]) -> None:
        self.me = self
        self.obj = QObject()
        self.obj.destroyed.connect(lambda *_: seen.append(QThread.currentThread() is main))


main = QThread.currentThread()


def _allocate_in_thread(count: int) -> None:
    def churn() -> None:
        keep = [[i] for i in range(count)]  # far over Python's threshold for a collection
        del keep

    thread = threading.Thread(target=churn)
    thread.start()
    thread.join()


def test_cycles_wait_for_the_ui_thread_then_go():
    app = QApplication.instance()
    collector = collect_on_ui_thread(app)
    assert collect_on_ui_thread(app) is collector  # installed once
    assert not gc.isenabled()
    collector.check()
    seen: list[bool] = []
    _Cycle(seen)
    _allocate_in_thread(200_000)
    assert seen == []  # nothing was collected in the worker thread
    for _ in range(3):  # at most one generation a tick; the cycle may have aged
        collector.check()
    gc.collect()  # whatever generation it reached, it is freed here, on the UI thread
    assert seen == [True]


def test_a_due_generation_is_collected_on_the_tick(qtbot):
    collector = collect_on_ui_thread(QApplication.instance())
    gc.collect()
    before = collector.collections
    seen: list[bool] = []
    _Cycle(seen)
    junk = [[i] for i in range(5000)]  # young objects: generation 0 is over its threshold
    qtbot.waitUntil(lambda: seen == [True], timeout=5000)  # the timer ran, on the UI thread
    assert collector.collections > before
    del junk


def test_an_import_pauses_the_collector_and_resuming_keeps_it_manual():
    collector = collect_on_ui_thread(QApplication.instance())
    junk = [[i] for i in range(5000)]
    collection.pause()
    try:
        assert collector.check() == -1  # due, but an import holds its rows
        assert not gc.isenabled()
    finally:
        collection.resume()
    assert not gc.isenabled()  # still the UI thread's job, not Python's automatic one
    assert collector.check() >= 0
    del junk
