"""Errors an action reports to its user as one clear sentence (never a traceback).

Every service error the user can cause or act on derives from ActionError; the CLI prints it
as one line and exits non-zero, the UI shows it in one dialog without "Details".

Some store failures are such refusals too, whichever API function meets them: a write refused
by a lead's version column (another workstation committed it first), a store too busy (or its
disk too full) to take the write, a row for a lead deleted meanwhile. The unit of work turns
them into StaleError / StoreBusy (StoreLocked) / NotFound (its `translators`, installed below).
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.services.action_error import ActionError as ActionError  # every error's base
from app.store.uow import UnitOfWork


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


class StoreBusy(ActionError):
    """The store could not take the write now (SQLite's write lock held by an import, a
    PostgreSQL deadlock or serialisation failure, a full disk): nothing was changed."""


class StoreLocked(StoreBusy):
    """Another writer holds SQLite's one write lock (an import commits in one transaction):
    the same call succeeds once it is done, so the window and the CLI wait and retry."""


def _store_refused(exc: BaseException, _session: Session) -> StoreBusy | None:
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig if exc.orig is not None else exc).lower()
    if "database is locked" in text or "database is busy" in text:
        return StoreLocked(
            "The store is busy (another workstation is writing, e.g. an import is running); "
            "nothing was changed. Try again in a moment."
        )
    if "disk is full" in text or "no space left" in text or "disk full" in text:
        return StoreBusy(
            "The disk holding the store is full; nothing was changed. Free some space and try "
            "again."
        )
    if "deadlock detected" in text or "could not serialize" in text:
        return StoreBusy(
            "Another workstation was changing the same records at the same moment; nothing "
            "was changed. Try again."
        )
    return None


def _gone(exc: BaseException, _session: Session) -> NotFound | None:
    """A row written for a lead (a move's history, an activity) whose lead another
    workstation deleted meanwhile (an import undo): the foreign key refuses it."""
    if not isinstance(exc, IntegrityError):
        return None
    text = str(exc.orig if exc.orig is not None else exc)
    if "foreign key" not in text.lower():
        return None
    lead = re.search(r"Key \(lead_id\)=\((\d+)\) is not present", text)
    if lead is not None:
        return NotFound(f"Lead {lead.group(1)} was deleted meanwhile; nothing was changed.")
    if "FOREIGN KEY constraint failed" in text:  # SQLite does not say which
        return NotFound(
            "What this refers to was deleted meanwhile (e.g. a lead, by an import undo); "
            "nothing was changed. Refresh and try again."
        )
    return None


UnitOfWork.translators.extend([_store_refused, _gone])  # (leads.transitions adds its own)
