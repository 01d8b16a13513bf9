"""Turns PostgreSQL change notifications into Qt signals on the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.services.changes import NOTHING, Changes
from app.store.listener import Change, ChangeListener
from app.ui.context import AppContext


class LiveUpdates(QObject):
    """Listens for changes from other workstations and re-emits them, throttled.

    Notifications arrive on the listener's thread; `_received` is a queued signal, so the
    throttling and the app events happen on the UI thread. A change after a quiet spell goes
    out at once and opens a window of COALESCE_MS; changes arriving within it go out together
    when it ends (which opens the next window). So one move from another workstation reaches
    the views without waiting, and a busy team's stream still refreshes them at most once per
    window (a trailing-only window delayed every change by up to its full length).
    """

    _received = Signal(object)
    _failed = Signal(str)
    COALESCE_MS = 250

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._pending: dict[str, set[int] | None] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.COALESCE_MS)
        self._timer.timeout.connect(self._window_ended)
        self._received.connect(self._collect)
        self._failed.connect(ctx.events.status_message)
        self.listener = ChangeListener(
            ctx.store.url,
            self._received.emit,
            password=ctx.store.password,
            on_error=self._failed.emit,
        )

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()

    def _collect(self, change: Change) -> None:
        known = self._pending.get(change.table, set())
        if change.ids is None or known is None:
            self._pending[change.table] = None
        else:
            known.update(change.ids)
            self._pending[change.table] = known
        if not self._timer.isActive():
            self._flush()
            self._timer.start()

    def _window_ended(self) -> None:
        if self._pending:
            self._flush()
            self._timer.start()

    def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        changes = NOTHING
        for table, ids in pending.items():
            changes = changes | Changes.from_table(table, ids)
        if changes:
            self.ctx.events.changed.emit(changes)
