"""The background timer: a worker QObject on its own QThread runs the sweep every N seconds.

The worker runs the sweep action (services/timers/api.run_sweep, as the system actor) in its own
unit of work per sweep (the UI thread never waits on it) and hands the Result back through a
queued signal; its changes go out once on the change broadcast (ui/ops.publish). Its QTimer
lives in the worker thread; stopping asks the worker to stop the timer and quit its own
thread, then waits for the sweep in flight.

On a team database the workstations take turns (services/timers/team.py): a round another
workstation is sweeping, or the team swept within half an interval, comes back skipped (the
Result says why; nothing fired) and the alerts the other one raised arrive as change
notifications.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, QTimer, Signal, Slot
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.services.auth import Actor
from app.services.changes import Result
from app.services.followups.settings import load_settings
from app.services.timers.api import run_sweep
from app.services.timers.sweep import SweepResult
from app.store.uow import UnitOfWork
from app.ui.context import AppContext
from app.ui.ops import publish

log = logging.getLogger(__name__)


class SweepWorker(QObject):
    swept = Signal(object)  # Result[SweepResult]
    failed = Signal(str)

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Clock, interval_ms: int | None
    ) -> None:
        super().__init__()
        self._factory = session_factory
        self._clock = clock
        self._interval_ms = interval_ms
        self._timer: QTimer | None = None
        self._last: datetime | None = None
        self._last_full: datetime | None = None
        self._full_every = timedelta(minutes=5)
        self._fresh_for = timedelta(0)

    @Slot()
    def begin(self) -> None:
        interval = self._interval_ms
        try:
            with self._factory() as session:
                cfg = load_settings(session)
            self._full_every = timedelta(minutes=cfg.full_sweep_minutes)
            if interval is None:
                interval = cfg.sweep_interval_seconds * 1000
        except Exception:  # the first sweep reports the store problem; keep the defaults
            interval = interval or 30_000
        # On a team database a sweep the team made within half an interval is recent enough:
        # about two sweeps per interval for the whole team (services/timers/team.py).
        self._fresh_for = timedelta(milliseconds=int(interval) / 2)
        self._timer = QTimer(self)
        # A sweep computes everything from timestamps, so a coarse timer is enough and a late
        # tick after sleep simply catches up.
        self._timer.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self._timer.timeout.connect(self.run_once)
        self._timer.start(max(int(interval), 1000))
        self.run_once()

    @Slot()
    def run_once(self) -> None:
        now = self._clock.now()
        # Incremental between full sweeps; a full one first, every few minutes, and whenever
        # the clock went backwards. (On a team database the team's record decides instead.)
        full = (
            self._last is None
            or self._last_full is None
            or now < self._last
            or now - self._last_full >= self._full_every
        )
        try:
            result = run_sweep(
                UnitOfWork(self._factory, self._clock),
                Actor.system("Timers"),
                now,
                None if full else self._last,
                fresh_for=self._fresh_for,
            )
        except Exception as exc:
            log.exception("Timer sweep failed")
            self.failed.emit(str(exc) or type(exc).__name__)
            return
        if result.value.skipped is None:
            # A skipped round (another workstation swept) leaves `since` where it was: the
            # next sweep covers the gap (alerts have unique keys, so nothing fires twice).
            self._last = now
            if result.value.full:
                self._last_full = now
        self.swept.emit(result)

    @Slot()
    def halt(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        thread = QThread.currentThread()
        if thread is not None:
            thread.quit()


class TimerThread(QObject):
    """Owns the sweep thread. Lives on the UI thread; its signals arrive there."""

    swept = Signal(object)  # SweepResult, after every sweep
    alerts_fired = Signal(list)  # [FiredAlert], when a sweep fired anything
    failed = Signal(str)
    _request_sweep = Signal()
    _request_halt = Signal()

    def __init__(
        self,
        ctx: AppContext,
        parent: QObject | None = None,
        *,
        interval_seconds: float | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        interval_ms = int(interval_seconds * 1000) if interval_seconds is not None else None
        self._thread = QThread()
        self._thread.setObjectName("leadgate-timers")
        self._worker = SweepWorker(ctx.store.session_factory, ctx.clock, interval_ms)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.begin)
        self._request_sweep.connect(self._worker.run_once)
        self._request_halt.connect(self._worker.halt)
        self._worker.swept.connect(self._on_swept)
        self._worker.failed.connect(self.failed)
        self._thread.finished.connect(self._worker.deleteLater)
        self.last_result: SweepResult | None = None
        self._stopped = False
        if parent is not None:
            parent.installEventFilter(self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def start(self) -> None:
        if not self._thread.isRunning() and not self._stopped:
            self._thread.start(QThread.Priority.LowPriority)

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def sweep_now(self) -> None:
        """Ask for a sweep now (queued to the worker thread; the result comes as `swept`)."""
        if self._thread.isRunning():
            self._request_sweep.emit()

    def stop(self, timeout_ms: int = 15000) -> bool:
        """Stop the timer and end the thread, waiting for a sweep in flight."""
        self._stopped = True
        if not self._thread.isRunning():
            return True
        self._request_halt.emit()
        return bool(self._thread.wait(timeout_ms))

    def _on_swept(self, outcome: Result[SweepResult]) -> None:
        result = outcome.value
        self.last_result = result
        publish(self.ctx, outcome)  # reopened, nurtured, decayed leads, new alerts: once
        self.swept.emit(result)
        if result.fired:
            self.alerts_fired.emit(list(result.fired))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close and watched is self.parent():
            self.stop()
        return False


def start_timer_thread(
    ctx: AppContext, parent: QObject | None = None, *, interval_seconds: float | None = None
) -> TimerThread:
    """Start the background sweep (interval: settings' sweep_interval_seconds, default 30 s).

    It stops by itself when `parent` (the main window) closes or the application quits.
    """
    timer = TimerThread(ctx, parent, interval_seconds=interval_seconds)
    timer.start()
    return timer
