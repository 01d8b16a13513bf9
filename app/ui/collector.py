"""Python's cyclic garbage collector, run on the UI thread only.

CPython collects in whichever thread crosses an allocation threshold. In this app that is
often a task-runner thread: a collection there frees widgets, models and signal objects caught
in reference cycles from the wrong thread, which Qt does not survive (a test worker crashed so
mid-import). So the GUI turns automatic collection off and a UI-thread timer collects instead,
by the same per-generation thresholds Python uses. Reference counting still frees everything
that is not in a cycle at once, in whatever thread.

An import pauses collection while it holds its millions of rows (`app.services.collection`);
the timer leaves it alone meanwhile and catches up after.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from app.services import collection

INTERVAL_MS = 500  # often enough that garbage never piles up, rare enough to cost nothing


class MainThreadCollector(QObject):
    """Collects each generation whose count is over Python's threshold, on a UI-thread timer."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = 0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        """Collect what is due now; returns the generation collected, or -1 for none."""
        if collection.paused():
            return -1
        counts = gc.get_count()
        for generation in (2, 1, 0):
            threshold = self.thresholds[generation]
            if threshold and counts[generation] > threshold:
                gc.collect(generation)
                self.collections += 1
                return generation
        return -1


def collect_on_ui_thread(app: QCoreApplication) -> MainThreadCollector:
    """Install the collector on `app` (once; later calls return the same one)."""
    existing = app.findChild(MainThreadCollector)
    if isinstance(existing, MainThreadCollector):
        return existing
    return MainThreadCollector(app)
