"""Users of Leadgate: the owner, managers and reps."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, true
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
    # The PostgreSQL login that is this member on a team database (`leadgate team grant`).
    db_login: Mapped[str | None] = mapped_column(String(63))
    # A deactivated member keeps their history but gets no leads and cannot be chosen.
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA name, e.g. Europe/Berlin
    work_hours: Mapped[str | None] = mapped_column(String(11))  # "09:00-17:30"

    __table_args__ = (Index("ix_users_db_login", "db_login", unique=True),)

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)


class UserAbsence(Base):
    """An out-of-office range (both days included): routing skips the member meanwhile."""

    __tablename__ = "user_absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
