"""Accounts (companies) and leads (people in the funnel)."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class LeadStatus(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    DISQUALIFIED = "disqualified"
    NURTURE = "nurture"


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str] = mapped_column(String(255), index=True)
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    size_band: Mapped[str | None] = mapped_column(String(20))
    headcount: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(100))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime | None]


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(200))
    last_name: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(400), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    email_normalized: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(100))
    phone_normalized: Mapped[str | None] = mapped_column(String(40), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    company: Mapped[str | None] = mapped_column(String(255))
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    industry: Mapped[str | None] = mapped_column(String(100))
    headcount: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(100), index=True)
    event: Mapped[str | None] = mapped_column(String(255))
    captured_at: Mapped[datetime | None] = mapped_column(index=True)
    first_contacted_at: Mapped[datetime | None]
    last_touch_at: Mapped[datetime | None]
    # Indexed by ix_leads_owner_status_score (owner_id first), also for the foreign key.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    first_owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The hand-off: when the lead first got an owner, and its score then (reports).
    assigned_at: Mapped[datetime | None]
    handoff_score: Mapped[int | None] = mapped_column(Integer)
    routing_reason: Mapped[str | None] = mapped_column(Text)
    pipeline_id: Mapped[int | None] = mapped_column(ForeignKey("pipelines.id"))
    # Indexed by ix_leads_stage_entered (stage_id first).
    stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    stage_entered_at: Mapped[datetime | None]
    # Its own index too: `status = ? ORDER BY id` keyset passes (rescoring open leads) walk it
    # in id order, which no (status, x) index gives.
    status: Mapped[str] = mapped_column(String(20), default=LeadStatus.OPEN, index=True)
    disqualify_reason: Mapped[str | None] = mapped_column(String(255))
    revisit_at: Mapped[datetime | None]
    deal_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    # Facts the gates ask about (tech stack, decision maker, signed date, checklist...), keyed
    # by field name. Typed columns above hold what every lead has; this holds the rest.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Qualifier answers from a badge scan or form (rating, timeframe, budget, interest...).
    qualifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    raw_row: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[str | None] = mapped_column(String(10))
    fit: Mapped[int] = mapped_column(Integer, default=0)
    intent: Mapped[int] = mapped_column(Integer, default=0)
    authority: Mapped[int] = mapped_column(Integer, default=0)
    timing: Mapped[int] = mapped_column(Integer, default=0)
    scored_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # Every index costs each inserted lead (an import writes 100,000s): migration 0007
        # removed the ones another index covers. (status) and (status, stage_id) stay: after
        # the equality they are in id order, which the board's and rescoring's id-keyset
        # pages need (a longer index would sort all matching leads for each page).
        Index("ix_leads_score", "score"),
        Index("ix_leads_status_stage", "status", "stage_id"),
        # The kanban: a column's top cards and its totals from the index alone (issue 3).
        Index("ix_leads_board", "status", "stage_id", "score", "deal_value"),
        # The timer sweep's incremental stale and dormant checks read narrow time ranges.
        Index("ix_leads_stage_entered", "stage_id", "stage_entered_at"),
        Index("ix_leads_last_touch", "last_touch_at"),
        Index("ix_leads_first_contacted", "first_contacted_at"),
        # The inbox: open leads sorted/counted by index (migration 0004).
        Index("ix_leads_status_score", "status", "score"),
        Index("ix_leads_status_captured", "status", "captured_at"),
        Index("ix_leads_status_name", "status", "display_name"),
        Index("ix_leads_status_tier", "status", "tier", "score"),
        # A rep's leads: open-lead counts, and their inbox sorted by score.
        Index("ix_leads_owner_status_score", "owner_id", "status", "score"),
    )

    def full_name(self) -> str:
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.display_name or name
