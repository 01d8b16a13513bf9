"""The one base of every error an action reports to its user as one sentence.

Kept apart from `app.services.errors` (which translates store failures and so imports
SQLAlchemy) for code that must start fast without the store: the import's file-reading
worker process (`app.services.importing.reading`).
"""

from __future__ import annotations


class ActionError(Exception):
    """An action that cannot be done as asked; the message says why and what to do."""

    exit_code = 1


__all__ = ["ActionError"]
