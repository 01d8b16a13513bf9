"""The unit of work every API function runs in: one session, the clock, commit or roll back.

with uow:
    ...            # uow.session, uow.clock
    uow.commit()   # anything not committed is rolled back on exit

A store failure that is really a refusal (a row another workstation changed meanwhile, a
store busy with someone else's import) leaves the block as the one-line error the
`translators` make of it, for every API function alike (app.services.errors installs them).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import ClassVar

from sqlalchemy import event, inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock

# (the failure, the still-open session) -> the error to raise instead, or None to keep it.
Translator = Callable[[BaseException, Session], BaseException | None]

# session.info key: {(mapped class, primary key): version} of the version-checked rows the
# session's latest flush wrote, as it had read them (a failed flush expires them).
VERSIONED_WRITES = "leadgate.versioned_writes"


def _note_versioned_writes(session: Session, _ctx: object, _instances: object) -> None:
    seen: dict[tuple[type, int], int] = {}
    for obj in [*session.dirty, *session.deleted]:
        state = inspect(obj)
        column = state.mapper.version_id_col
        if column is not None and state.identity and len(state.identity) == 1:
            version = state.dict.get(state.mapper.get_property_by_column(column).key)
            if version is not None:
                seen[(type(obj), int(state.identity[0]))] = int(version)
    session.info[VERSIONED_WRITES] = seen


class UnitOfWork:
    translators: ClassVar[list[Translator]] = []

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
        event.listen(self._session, "before_flush", _note_versioned_writes)
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
            better = self._translate(exc, session) if exc is not None else None
            session.rollback()  # whatever was not committed
        finally:
            session.close()
        refused = server_refusal(exc)  # the team database's own refusal comes first
        if refused is not None:
            raise refused from exc
        if better is not None:
            raise better from exc

    @classmethod
    def _translate(cls, exc: BaseException, session: Session) -> BaseException | None:
        for translate in cls.translators:
            better = translate(exc, session)
            if better is not None:
                return better
        return None

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
