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
from dataclasses import dataclass
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
        self._signals: _RunnerSignals | None = None
        self._task_id = 0

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
            _emit(self._signals.progress, self._task_id, done, total, text)

    def notify(self, text: str) -> None:
        """A line for the status bar (the runner's `notice`), from any thread."""
        if self._signals is not None:
            _emit(self._signals.notice, text)

    def pause(self, seconds: float) -> None:
        """Wait `seconds` (or less, when cancelled meanwhile), then `check`."""
        self._cancel.wait(seconds)
        self.check()


class _RunnerSignals(QObject):
    """The one channel from the pool threads to the UI thread, each signal tagged with its
    task's id. One object for the runner's life, not one per task: an object made per task
    would lose its last reference in whichever thread finished last, and a QObject deleted
    from a pool thread while the UI thread delivers its signals crashes the process."""

    done = Signal(int, object)
    failed = Signal(int, object)  # TaskError
    progress = Signal(int, int, int, str)
    notice = Signal(str)
    finished = Signal(int)


class TaskError:
    def __init__(self, exc: BaseException) -> None:
        self.exception = exc
        self.message = str(exc) or type(exc).__name__
        self.details = "".join(traceback.format_exception(exc))

    @property
    def cancelled(self) -> bool:
        return isinstance(self.exception, Cancelled)


def _emit(signal: Any, *args: Any) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:
        # The runner was destroyed (window closed, interpreter shutting down): nobody is
        # left to deliver the result to.
        log.debug("Task finished after its owner was deleted")


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _RunnerSignals, task_id: int) -> None:
        super().__init__()
        self._fn = fn
        self._signals = signals
        self._task_id = task_id

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:
            _emit(self._signals.failed, self._task_id, TaskError(exc))
        else:
            _emit(self._signals.done, self._task_id, result)
        finally:
            _emit(self._signals.finished, self._task_id)


@dataclass(slots=True)
class _Task:
    """What the UI thread keeps of a submitted task until it finishes."""

    key: str | None
    on_done: Callable[[Any], None] | None
    on_error: Callable[[TaskError], None] | None
    on_progress: Callable[[int, int, str], None] | None


def _call_receiver(callback: Callable[..., None], *values: Any) -> None:
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
        callback(*values)
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
        self._signals = _RunnerSignals(self)
        self._signals.done.connect(self._deliver)
        self._signals.failed.connect(self._fail)
        self._signals.progress.connect(self._progress)
        self._signals.notice.connect(self.notice)
        self._signals.finished.connect(self._finish)
        self._live: dict[int, _Task] = {}
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
        state._signals = self._signals
        state._task_id = task_id
        if key is not None:
            old = self._states.get(key)
            if old is not None:
                old.cancel()
            self._latest[key] = task_id
            self._states[key] = state
        self._live[task_id] = _Task(key, on_done, on_error, on_progress)
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

        self._pool.start(_Runnable(call, self._signals, task_id))
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

    def _current(self, task_id: int) -> _Task | None:
        """The task, when its result is still wanted: no newer task under its key."""
        task = self._live.get(task_id)
        if task is None or (task.key is not None and self._latest.get(task.key) != task_id):
            return None
        return task

    def _deliver(self, task_id: int, result: Any) -> None:
        task = self._current(task_id)
        if task is not None and task.on_done is not None:
            _call_receiver(task.on_done, result)

    def _fail(self, task_id: int, error: TaskError) -> None:
        task = self._current(task_id)
        if task is None:
            return
        if task.on_error is not None:
            _call_receiver(task.on_error, error)
        elif not error.cancelled:
            log.error("Background task failed: %s", error.details)

    def _progress(self, task_id: int, done: int, total: int, text: str) -> None:
        task = self._live.get(task_id)
        if task is not None and task.on_progress is not None:
            _call_receiver(task.on_progress, done, total, text)

    def _finish(self, task_id: int) -> None:
        task = self._live.pop(task_id, None)
        if task is not None and task.key is not None and self._latest.get(task.key) == task_id:
            self._states.pop(task.key, None)
        if not self._live:
            self.busy_changed.emit(False)

    @property
    def busy(self) -> bool:
        return bool(self._live)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until all tasks end (shutdown and tests only)."""
        return self._pool.waitForDone(msecs)
