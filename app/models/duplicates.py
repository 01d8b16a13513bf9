"""Merged-away lead ids and possible duplicates a person dismissed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class LeadRedirect(Base):
    """A lead merged into another: its old id opens the kept lead."""

    __tablename__ = "lead_redirects"

    old_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    old_name: Mapped[str | None] = mapped_column(String(400))
    merged_at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class DuplicateDismissal(Base):
    """Two leads a person said are not the same (lead_a_id < lead_b_id)."""

    __tablename__ = "duplicate_dismissals"
    __table_args__ = (Index("ux_duplicate_dismissals_pair", "lead_a_id", "lead_b_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_a_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    lead_b_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    dismissed_at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
