"""The unit of work every API function runs in: one session, the clock, commit or roll back.

with uow:
    ...            # uow.session, uow.clock
    uow.commit()   # anything not committed is rolled back on exit
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("The unit of work is not open (use `with uow:`).")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("This unit of work is already open.")
        self._session = self.session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            session.rollback()  # whatever was not committed
        finally:
            session.close()
        refused = server_refusal(exc)
        if refused is not None:
            raise refused from exc

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


class ServerRefused(PermissionError):
    """The team database refused a write this login may not make (its roles, row-level
    security or a trigger): the message says so in one sentence."""

    exit_code = 4


# SQLSTATE 42501 insufficient_privilege: a missing GRANT, a row-level security policy, or
# one of the team-roles migration's triggers (their messages start with "leadgate: ").
_REFUSED = {"42501"}


def server_refusal(exc: BaseException | None) -> ServerRefused | None:
    """The one-line refusal for a database error the server raised on permission grounds."""
    if not isinstance(exc, DBAPIError):
        return None
    if getattr(exc.orig, "sqlstate", None) not in _REFUSED:
        return None
    diag = getattr(exc.orig, "diag", None)
    primary = str(getattr(diag, "message_primary", None) or exc.orig).strip()
    if primary.startswith("leadgate: "):
        reason = primary.removeprefix("leadgate: ")
        return ServerRefused(f"The team database refused this: {reason}.")
    return ServerRefused(
        f"The team database refused this: your login is not allowed to do it ({primary})."
    )
