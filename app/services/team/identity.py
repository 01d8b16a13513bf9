"""Who is at the keyboard, and how that was decided.

On a team database (PostgreSQL) the member IS the database login: `session_user` matched to a
user (their `db_login`, else e-mail or e-mail local part). Nobody can act as someone else there
(the server enforces the login's roles anyway); only the database admin login, which the server
does not restrict, may name a member to act as (scripts, the demo). On a local SQLite store
(one workstation) the member is chosen at start-up or with --as, and may be switched.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.services.team.users import UserInfo, find_user, find_user_by_login

ADMIN = "admin"  # a login in no leadgate group role (or a superuser): the server's admin


@dataclass(frozen=True)
class ServerLogin:
    name: str
    role: str  # admin | owner | manager | rep (its group role on the server)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def server_login(session: Session) -> ServerLogin:
    """The PostgreSQL login of this connection and the group role the server gives it."""
    row = session.execute(text("SELECT session_user, leadgate_login_role()")).one()
    return ServerLogin(str(row[0]), str(row[1]))


def pinned_member(session: Session, ref: str | None) -> tuple[UserInfo | None, ServerLogin]:
    """On a team database: the member this login is, refusing `ref` (--as) unless it names
    that member; the admin login may name anyone. Raises ValueError with the one-line reason."""
    login = server_login(session)
    if login.is_admin:
        return (find_user(session, ref) if ref else find_user_by_login(session, login.name)), login
    me = find_user_by_login(session, login.name)
    if me is None:
        raise ValueError(
            f"The database login '{login.name}' is no team member: an admin maps it with "
            "`leadgate team grant EMAIL --role ROLE`."
        )
    if not me.active:
        raise ValueError(
            f"{me.name} (login {login.name}) is deactivated on this team; ask a manager."
        )
    if ref:
        other = find_user(session, ref)
        if other is None or other.id != me.id:
            raise ValueError(
                f"--as {ref}: on a team database you act as your own login "
                f"({login.name} = {me.name}), never as someone else."
            )
    return me, login


def restricted_to(session: Session) -> int | None:
    """On a team database whose server restricts this login to its own leads (a rep's): the
    member id it may act for (0 when the login is mapped to no member: unassigned leads only).
    None where nothing restricts it (SQLite, a manager's, the owner's or the admin's login)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    row = session.execute(text("SELECT leadgate_login_role(), leadgate_user_id()")).one()
    return int(row[1] or 0) if row[0] == "rep" else None
