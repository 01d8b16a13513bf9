"""The team: listing users and finding one by id or e-mail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Role, User, UserAbsence
from app.services.auth import Actor
from app.services.validation import bounded_int, column_text


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    email: str
    role: str
    territory: str | None
    capacity: int
    available: bool
    active: bool = True
    timezone: str | None = None
    work_hours: str | None = None
    db_login: str | None = None
    absences: tuple[tuple[date, date], ...] = ()  # out-of-office ranges, both days included

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["absences"] = [f"{a:%Y-%m-%d}:{b:%Y-%m-%d}" for a, b in self.absences]
        return data

    def away_on(self, day: date) -> tuple[date, date] | None:
        """The out-of-office range covering `day`, if any."""
        return next((r for r in self.absences if r[0] <= day <= r[1]), None)

    def as_actor(self) -> Actor:
        return Actor(self.id, self.name, self.role)


def _info(user: User, absences: tuple[tuple[date, date], ...] = ()) -> UserInfo:
    return UserInfo(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        territory=user.territory,
        capacity=user.capacity,
        available=user.available,
        active=user.active is not False,
        timezone=user.timezone,
        work_hours=user.work_hours,
        db_login=user.db_login,
        absences=absences,
    )


def _absences(
    session: Session, user_ids: list[int] | None = None
) -> dict[int, list[tuple[date, date]]]:
    query = select(UserAbsence.user_id, UserAbsence.starts, UserAbsence.ends).order_by(
        UserAbsence.starts
    )
    if user_ids is not None:
        query = query.where(UserAbsence.user_id.in_(user_ids))
    out: dict[int, list[tuple[date, date]]] = {}
    for uid, starts, ends in session.execute(query):
        out.setdefault(int(uid), []).append((starts, ends))
    return out


ROLE_ORDER = {Role.OWNER: 0, Role.MANAGER: 1, Role.REP: 2}


def list_users(session: Session, *, include_inactive: bool = False) -> list[UserInfo]:
    """The team, owner first; deactivated members only when asked (the Team page)."""
    query = select(User)
    if not include_inactive:
        query = query.where(User.active.is_not(False))
    users = session.scalars(query).all()
    away = _absences(session)
    return sorted(
        (_info(u, tuple(away.get(u.id, ()))) for u in users),
        key=lambda u: (not u.active, ROLE_ORDER.get(Role(u.role), 9), u.name),
    )


def get_user(session: Session, user_id: int) -> UserInfo | None:
    user = session.get(User, user_id)
    return _info(user, tuple(_absences(session, [user_id]).get(user_id, ()))) if user else None


def find_user(session: Session, ref: str) -> UserInfo | None:
    """A user by e-mail (case-insensitive), id, or exact name."""
    ref = ref.strip()
    user = session.scalar(select(User).where(func.lower(User.email) == ref.lower()))
    if user is None and ref.isdigit():
        user = session.get(User, int(ref))
    if user is None:
        user = session.scalar(select(User).where(User.name == ref))
    return _info(user) if user else None


def find_user_by_login(session: Session, login: str | None) -> UserInfo | None:
    """The user a database login belongs to: e-mail, or e-mail local part, matching `login`."""
    if not login:
        return None
    mapped = session.scalar(select(User).where(User.db_login == login))
    if mapped is not None:
        return _info(mapped)
    found = find_user(session, login)
    if found:
        return found
    user = session.scalar(select(User).where(func.lower(User.email).like(f"{login.lower()}@%")))
    return _info(user) if user else None


def create_user(
    session: Session,
    *,
    name: str,
    email: str,
    role: str = Role.REP,
    territory: str | None = None,
    capacity: int = 50,
    now: datetime | None = None,
) -> UserInfo:
    """Add a team member. Raises ValueError with a message a user can act on."""
    name, email = name.strip(), email.strip()
    if not name:
        raise ValueError("A name is required.")
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise ValueError(f"'{email}' is not an e-mail address.")
    if role not in {r.value for r in Role}:
        raise ValueError(f"Role must be owner, manager or rep, not '{role}'.")
    column_text("name", name, User.__table__.c.name)
    column_text("e-mail", email, User.__table__.c.email)
    if territory is not None:
        column_text("territory", territory, User.__table__.c.territory)
    bounded_int("capacity", capacity, 0, 100_000)
    if find_user(session, email) is not None:
        raise ValueError(f"{email} is already on the team.")
    user = User(
        name=name,
        email=email,
        role=role,
        territory=territory,
        capacity=capacity,
        available=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return _info(user)


@dataclass(frozen=True)
class TeamRow:
    """One row of the Team page: the member and how many open leads they hold."""

    user: UserInfo
    open_leads: int


def team_rows(session: Session) -> list[TeamRow]:
    """Everyone, deactivated members last, with their open-lead counts (one query each)."""
    from app.services.routing.core import open_lead_counts

    team = list_users(session, include_inactive=True)
    counts = open_lead_counts(session, [u.id for u in team])
    return [TeamRow(u, int(counts.get(u.id, 0))) for u in team]
