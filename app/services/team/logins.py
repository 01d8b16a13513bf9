"""`leadgate team grant`: make a team member's own PostgreSQL login (run by the admin).

The login is created when missing (LOGIN, a password only when one is given: trust or peer
authentication need none), made a member of exactly one of the group roles the team-roles
migration creates, and mapped to the member (`users.db_login`), whose role follows. The
password travels only as a quoted literal of one ALTER ROLE statement, never in a log line.
The defaults the app seeds on first use (pipeline, cadences) are seeded here, by the admin:
an app login may not write configuration.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.models import Role, User
from app.services.errors import ActionError, NotFound
from app.services.followups.templates import ensure_default_cadences
from app.services.pipeline.stages import ensure_default_pipeline

GROUPS = {Role.REP: "leadgate_rep", Role.MANAGER: "leadgate_manager", Role.OWNER: "leadgate_owner"}
_LOGIN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Grant:
    user_id: int
    name: str
    email: str
    login: str
    role: str
    created: bool  # a new login (else an existing one was mapped)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def login_for(email: str) -> str:
    """The default login for an e-mail: its local part, lower case, [a-z0-9_] only."""
    local = re.sub(r"[^a-z0-9_]", "_", email.split("@", 1)[0].lower())
    return local if local and not local[0].isdigit() else f"u_{local}"


def grant_login(
    session: Session,
    email: str,
    role: str,
    *,
    login: str | None = None,
    password: str | None = None,
) -> Grant:
    """Create or map `email`'s login with `role` (the caller commits). Needs an admin login."""
    if session.get_bind().dialect.name != "postgresql":
        raise ActionError("Logins exist only on a team database (PostgreSQL).")
    if role not in GROUPS:
        raise ActionError(f"Role must be owner, manager or rep, not '{role}'.")
    user = session.scalar(select(User).where(User.email.ilike(email.strip())))
    if user is None:
        raise NotFound(f"{email} is not on the team: add them first with `leadgate users add`.")
    name = login or user.db_login or login_for(user.email)
    if not _LOGIN.match(name):
        raise ActionError(f"'{name}' is not a usable login name (a-z, 0-9 and _).")
    clash = session.scalar(select(User).where(User.db_login == name, User.id != user.id))
    if clash is not None:
        raise ActionError(f"The login {name} already belongs to {clash.name}.")
    exists = session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    created = exists.first() is None
    raw = session.connection().connection.dbapi_connection
    assert isinstance(raw, psycopg.Connection)
    with raw.cursor() as cur:
        ident = sql.Identifier(name)
        if created:
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident))
        if password:
            cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(password)))
        for group in GROUPS.values():
            cur.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), ident))
        cur.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS[Role(role)]), ident))
    user.db_login = name
    user.role = role
    # What the app seeds on first use (the default pipeline and cadences) is configuration an
    # app login may not write: the admin seeds it now.
    ensure_default_pipeline(session)
    ensure_default_cadences(session)
    session.flush()
    return Grant(user.id, user.name, user.email, name, role, created)
