"""Runs one API function for one user action, off the UI thread, and broadcasts its changes.

    run_op(ctx, leads_api.move_lead, lead_id, stage_id, version, on_done=self._moved)

The function is called as `fn(uow, actor, *args, **kwargs)` on the task runner and returns a
`Result`; on the UI thread its `changes` go out once through `ctx.events.changed` (every view
refreshes from that), then `on_done(result.value)` runs. A refusal or any other failure shows
one clear dialog unless `on_error` handles it.

On a local (SQLite) store an import holds the one write lock until its commit; a call refused
with StoreLocked meanwhile is queued: the status bar says so and the call is retried until it
goes through (or the user clicks "Stop waiting": `TaskRunner.stop_waiting`), instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.services.changes import Result
from app.ui.context import AppContext
from app.ui.workers import TaskError, TaskState

WAITING_TEXT = "Waiting for the import to finish…"
RETRY_PAUSE_S = 0.5  # between attempts (each one already waits the store's busy timeout)

# Failures a user caused or can act on: their message is the whole story (no "Details").
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (ValueError, LookupError, PermissionError)


def _expected(exc: BaseException) -> bool:
    from app.services.auth import PermissionDenied
    from app.services.errors import ActionError

    return isinstance(exc, (PermissionDenied, ActionError, *EXPECTED_ERRORS))


def show_error(parent: QWidget | None, error: TaskError, title: str = "Could not do that") -> None:
    """One clear line in a dialog; the traceback only behind Details for unexpected failures."""
    if error.cancelled:
        return
    box = QMessageBox(parent or QApplication.activeWindow())
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(error.message)
    if not _expected(error.exception):
        box.setDetailedText(error.details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open()


def publish(ctx: AppContext, result: Result[Any]) -> None:
    """Broadcast what an action changed (once) to every view."""
    if result.changes:
        ctx.events.changed.emit(result.changes)


def run_op(
    ctx: AppContext,
    fn: Callable[..., Result[Any]],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[TaskError], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    parent: QWidget | None = None,
    key: str | None = None,
    with_state: bool = False,
    **kwargs: Any,
) -> TaskState:
    """Call `fn(uow, actor, *args[, state=state], **kwargs)` in the background (see module)."""
    from app.services.errors import StoreLocked

    actor = ctx.actor

    def call(state: TaskState) -> Result[Any]:
        extra = {"state": state} if with_state else {}
        try:
            while True:
                try:
                    return fn(ctx.uow(), actor, *args, **kwargs, **extra)
                except StoreLocked:
                    ctx.tasks.wait_turn(state, WAITING_TEXT, RETRY_PAUSE_S)
        finally:
            ctx.tasks.end_wait(state)

    def done(result: Result[Any]) -> None:
        publish(ctx, result)
        if on_done is not None:
            on_done(result.value)

    def failed(error: TaskError) -> None:
        if on_error is not None:
            on_error(error)
        else:
            show_error(parent, error)

    return ctx.tasks.submit(
        call,
        on_done=done,
        on_error=failed,
        on_progress=on_progress,
        key=key,
        with_session=False,
        with_state=True,
    )
