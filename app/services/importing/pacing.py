"""Progress, cancel and the garbage collector during an import.

The import takes the app's one progress/cancel handle (`app.services.progress.Progress`); the
CLI, tests and benchmarks pass an `ImportState`, the app its task runner's `TaskState`. Inside
the import a `_Pulse` checks for cancel and reports progress at most every PROGRESS_EVERY_S
from wherever the work is; any cancel is seen as `ImportCancelled`.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

from app.services import collection
from app.services.progress import Progress

RELEASE_SLICE = 5000  # objects freed between GIL hand-overs after a Cancel
PROGRESS_EVERY_S = 0.1  # several updates a second


def _release_then_resume_gc(tb: Any, containers: list[Any]) -> None:
    """Free a cancelled import's objects, then let the collector run (resumed before, its
    first full pass would walk all of them while they are being freed). The big containers
    are emptied a slice at a time, giving the GIL away in between: freeing a dict of a
    million entries in one go is a single C call that would stall every other thread."""
    try:
        for box in containers:
            while box:
                if isinstance(box, list):
                    del box[-RELEASE_SLICE:]
                else:
                    for _ in range(min(RELEASE_SLICE, len(box))):
                        box.popitem() if isinstance(box, dict) else box.pop()
                time.sleep(0)
        del containers
        traceback.clear_frames(tb)
        del tb
    finally:
        collection.resume()


class ImportCancelled(Exception):
    """The user cancelled; the caller rolls the transaction back."""


# The handle the import takes: the app's one progress/cancel type.
ProgressState = Progress


class ImportState:
    """A plain progress/cancel handle for the CLI, tests and benchmarks."""

    def __init__(self, on_progress: Callable[[int, int, str], None] | None = None) -> None:
        self._cancelled = False
        self._on_progress = on_progress

    def cancel(self) -> None:
        self._cancelled = True

    def check(self) -> None:
        if self._cancelled:
            raise ImportCancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        if self._on_progress is not None:
            self._on_progress(done, total, text)


class _CancelAsImport:
    """The caller's progress handle, its cancel (whatever its check() raises: the app's task
    runner has its own exception) always seen as ImportCancelled inside the import."""

    def __init__(self, state: Progress) -> None:
        self._state = state

    def check(self) -> None:
        try:
            self._state.check()
        except ImportCancelled:
            raise
        except Exception as exc:
            raise ImportCancelled() from exc

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._state.progress(done, total, text)


class _PulseState:
    """A _Pulse seen as a ProgressState, for services that report their own progress."""

    def __init__(self, pulse: _Pulse) -> None:
        self._pulse = pulse

    def check(self) -> None:
        self._pulse()

    def progress(self, done: int, total: int, text: str = "") -> None:
        self._pulse(text=text or None)


class _Pulse:
    """Checks for cancel and reports progress at most every PROGRESS_EVERY_S, from anywhere in
    the import (row loop, bulk writes, duplicate search), so updates keep coming."""

    def __init__(self, state: Progress, total: int) -> None:
        self.state = state
        self.total = total
        self.done = 0
        self.text = ""
        self._last = 0.0

    def __call__(self, done: int | None = None, text: str | None = None) -> None:
        self.state.check()
        if done is not None:
            self.done = min(done, self.total)
        if text is not None:
            self.text = text
        t = time.monotonic()
        if t - self._last >= PROGRESS_EVERY_S:
            self._last = t
            self.state.progress(self.done, self.total, self.text)
