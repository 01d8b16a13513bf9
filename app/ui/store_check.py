"""SQLite's `quick_check` of a local store, run after the window is shown (about a second per
GB, too slow for the start-up path; the header check at open stays synchronous). A damaged
store is explained in a dialog naming the backup to restore."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger(__name__)

TITLE = "Leadgate's store is damaged"


class StoreCheck(QObject):
    """Checks the window's store file on a thread of its own; `checked` gives the problem
    ('' when none) on the UI thread once the dialog, if any, is closed."""

    checked = Signal(str)
    _found = Signal(str)

    def __init__(self, window: QWidget, path: str) -> None:
        super().__init__(window)
        self._window = window
        self._path = path
        self._found.connect(self._report)

    def start(self) -> None:
        threading.Thread(target=self._run, name="store-check", daemon=True).start()

    def _run(self) -> None:
        from pathlib import Path

        from app.store.files import problem_with

        try:
            problem = problem_with(Path(self._path), "quick") or ""
        except Exception as exc:  # never let the check itself take the window down
            log.warning("Store check failed: %s", exc)
            problem = ""
        try:
            self._found.emit(problem)
        except RuntimeError:  # the window closed meanwhile: no one to tell
            log.debug("Store check finished after its window closed")

    @Slot(str)
    def _report(self, problem: str) -> None:
        if problem:
            QMessageBox.critical(
                self._window,
                TITLE,
                f"{problem}\n\nChanges made now may be lost: close Leadgate and restore the "
                "backup, or run `leadgate db check` for the full check.",
            )
        self.checked.emit(problem)


def check_store_later(window: QWidget, store_path: str | None) -> StoreCheck | None:
    """Start the background check of a local store file (None for a team database)."""
    if not store_path:
        return None
    check = StoreCheck(window, store_path)
    check.start()
    return check
