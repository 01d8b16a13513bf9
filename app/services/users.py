"""The team: listing users and finding one by id or e-mail."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Role, User


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
