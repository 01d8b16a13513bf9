"""Errors an action reports to its user as one clear sentence (never a traceback).

Every service error the user can cause or act on derives from ActionError; the CLI prints it
as one line and exits non-zero, the UI shows it in one dialog without "Details".
"""

from __future__ import annotations

from datetime import datetime


class ActionError(Exception):
    """An action that cannot be done as asked; the message says why and what to do."""

    exit_code = 1


class NotFound(ActionError):
    """The thing named does not exist (a lead id, a user, a stage...)."""


class StaleError(ActionError):
    """The record changed since the caller read it: refuse rather than overwrite."""

    def __init__(
        self,
        what: str,
        expected: int,
        current: int,
        changed_by: str | None,
        changed_at: datetime | None,
        change: str | None = None,  # what the last change was ("Updated title"), if known
    ) -> None:
        who = changed_by or "someone"
        when = f" at {changed_at:%Y-%m-%d %H:%M} UTC" if changed_at else ""
        last = f"{change}; " if change else ""
        super().__init__(
            f"{what} was changed by {who}{when} ({last}version {current}, you had {expected}). "
            "Refresh it and try again."
        )
        self.change = change
        self.expected = expected
        self.current = current
        self.changed_by = changed_by
        self.changed_at = changed_at
