"""One small API for background work: submit a function, get its result on the UI thread.

Every task runs on a QThreadPool thread with its own Session. Tasks submitted under the same
`key` supersede each other: only the newest one's result is delivered ("newest request wins"),
and the older one is asked to cancel. Long work takes a `TaskState` for progress and cancel.
"""

from __future__ import annotations

import itertools
import logging
import threading
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a task when its TaskState was cancelled."""


class TaskState:
    """Progress and cancellation handle passed to long tasks. Thread-safe."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._signals: _TaskSignals | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def progress(self, done: int, total: int, text: str = "") -> None:
        if self._signals is not None:
            self._signals.progress.emit(done, total, text)

    def notify(self, text: str) -> None:
        """A line for the status bar (the runner's `notice`), from any thread."""
        if self._signals is not None:
            self._signals.notice.emit(text)

    def pause(self, seconds: float) -> None:
        """Wait `seconds` (or less, when cancelled meanwhile), then `check`."""
        self._cancel.wait(seconds)
        self.check()


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(object)  # TaskError
    progress = Signal(int, int, str)
    notice = Signal(str)
    finished = Signal()


class TaskError:
    def __init__(self, exc: BaseException) -> None:
        self.exception = exc
        self.message = str(exc) or type(exc).__name__
        self.details = "".join(traceback.format_exception(exc))

    @property
    def cancelled(self) -> bool:
        return isinstance(self.exception, Cancelled)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _TaskSignals) -> None:
        super().__init__()
        self._fn = fn
        self._signals = signals

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:
            self._emit(self._signals.failed, TaskError(exc))
        else:
            self._emit(self._signals.done, result)
        finally:
            self._emit(self._signals.finished)

    @staticmethod
    def _emit(signal: Any, *args: Any) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:
            # The receiver side was destroyed (window closed, interpreter shutting down):
            # nobody is left to deliver the result to.
            log.debug("Task finished after its owner was deleted")


def _call_receiver(callback: Callable[[Any], None], value: Any) -> None:
    """Hand a result to its callback, unless the widgets it updates are gone.

    A dialog closed (and deleted) while its task ran leaves a callback that would touch
    deleted C++ objects; shiboken then raises "Internal C++ object ... already deleted".
    The user closed that window: the result has nowhere to go, so it is dropped. Any
    other error still propagates.
    """
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, QObject) and not shiboken6.isValid(owner):
        return
    try:
        callback(value)
    except RuntimeError as exc:
        if "already deleted" not in str(exc):
            raise
        log.debug("Dropped a task result: its window was closed (%s)", exc)


class TaskRunner(QObject):
    """Runs database work off the UI thread. Results arrive on the UI thread."""

    busy_changed = Signal(bool)
    notice = Signal(str)  # a task's status-bar line (TaskState.notify), on the UI thread
    # Whether some task is waiting its turn for the store (`wait_turn`); `stop_waiting` ends it.
    waiting_changed = Signal(bool)

    def __init__(
        self, session_factory: sessionmaker[Session], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory = session_factory
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(3)
        self._live: dict[int, _TaskSignals] = {}
        self._latest: dict[str, int] = {}
        self._states: dict[str, TaskState] = {}
        self._ids = itertools.count(1)
        self._waiting: set[TaskState] = set()
        self._waiting_lock = threading.Lock()

    @property
    def session_factory(self) -> sessionmaker[Session]:
        return self._factory

    def submit(
        self,
        fn: Callable[..., Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskError], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        key: str | None = None,
        with_session: bool = True,
        with_state: bool = False,
    ) -> TaskState:
        """Run `fn(session[, state])` in the pool; a session is opened, committed, closed."""
        task_id = next(self._ids)
        state = TaskState()
        signals = _TaskSignals()
        state._signals = signals
        if key is not None:
            old = self._states.get(key)
            if old is not None:
                old.cancel()
            self._latest[key] = task_id
            self._states[key] = state

        def current() -> bool:
            return key is None or self._latest.get(key) == task_id

        def deliver(result: Any) -> None:
            if current() and on_done is not None:
                _call_receiver(on_done, result)

        def fail(error: TaskError) -> None:
            if not current():
                return
            if on_error is not None:
                _call_receiver(on_error, error)
            elif not error.cancelled:
                log.error("Background task failed: %s", error.details)

        signals.done.connect(deliver)
        signals.failed.connect(fail)
        if on_progress is not None:
            signals.progress.connect(on_progress)
        signals.notice.connect(self.notice)
        signals.finished.connect(lambda: self._finish(task_id, key))
        self._live[task_id] = signals
        if len(self._live) == 1:
            self.busy_changed.emit(True)

        def call() -> Any:
            args: list[Any] = []
            if not with_session:
                if with_state:
                    args.append(state)
                return fn(*args)
            session = self._factory()
            try:
                args.append(session)
                if with_state:
                    args.append(state)
                result = fn(*args)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

        self._pool.start(_Runnable(call, signals))
        return state

    def wait_turn(self, state: TaskState, text: str, seconds: float) -> None:
        """From inside a task: wait `seconds` before trying again (another writer holds the
        store), saying `text` in the status bar; raises Cancelled after `stop_waiting`. The
        task counts as waiting until `end_wait`."""
        with self._waiting_lock:
            first = not self._waiting
            self._waiting.add(state)
        if first:
            self.waiting_changed.emit(True)
        state.notify(text)
        state.pause(seconds)

    def end_wait(self, state: TaskState) -> None:
        """The task that waited its turn is through (done, failed or cancelled)."""
        with self._waiting_lock:
            if state not in self._waiting:
                return
            self._waiting.discard(state)
            last = not self._waiting
        if last:
            self.waiting_changed.emit(False)

    def stop_waiting(self) -> None:
        """Give up every task waiting its turn (their callers see a cancel, not an error)."""
        with self._waiting_lock:
            waiting = list(self._waiting)
        for state in waiting:
            state.cancel()

    def _finish(self, task_id: int, key: str | None) -> None:
        if not shiboken6.isValid(self):
            # The window that owned this runner closed while the task ran: no one is left to
            # tell that the runner went idle.
            return
        self._live.pop(task_id, None)
        if key is not None and self._latest.get(key) == task_id:
            self._states.pop(key, None)
        if not self._live:
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until all tasks end (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)
