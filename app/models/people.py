"""Users of Leadgate: the owner, managers and reps."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Role(enum.StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    REP = "rep"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(20), default=Role.REP)
    territory: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int] = mapped_column(Integer, default=50)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    # Round-robin position: the sequence number of the last lead routed to this user.
    # Kept per user so that adding a rep never resets fairness for the others.
    last_assigned_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime | None]

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)
