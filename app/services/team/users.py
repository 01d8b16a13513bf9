"""The team: listing users and finding one by id or e-mail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Role, User
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

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_actor(self) -> Actor:
        return Actor(self.id, self.name, self.role)


def _info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        name=user.name,
        email=user.email,
        role=user.role,
        territory=user.territory,
        capacity=user.capacity,
        available=user.available,
    )


ROLE_ORDER = {Role.OWNER: 0, Role.MANAGER: 1, Role.REP: 2}


def list_users(session: Session) -> list[UserInfo]:
    users = session.scalars(select(User)).all()
    return sorted(
        (_info(u) for u in users), key=lambda u: (ROLE_ORDER.get(Role(u.role), 9), u.name)
    )


def get_user(session: Session, user_id: int) -> UserInfo | None:
    user = session.get(User, user_id)
    return _info(user) if user else None


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
