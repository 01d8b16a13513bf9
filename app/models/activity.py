"""Activities (follow-ups, calls, meetings), engagement events, cadences and alerts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class ActivityType(enum.StrEnum):
    EMAIL = "email"
    CALL = "call"
    LINKEDIN = "linkedin"
    MEETING = "meeting"
    TASK = "task"


class ActivityStatus(enum.StrEnum):
    PLANNED = "planned"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class Activity(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ActivityStatus.PLANNED)
    subject: Mapped[str | None] = mapped_column(String(255))
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(100))
    cadence_step_id: Mapped[int | None] = mapped_column(
        ForeignKey("cadence_steps.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_activities_lead_due", "lead_id", "due_at"),
        Index("ix_activities_owner_due", "owner_id", "due_at"),
        Index("ix_activities_status_due", "status", "due_at"),
        # The sweep's nurture rule looks up the last steps of cadences.
        Index("ix_activities_cadence_step", "cadence_step_id"),
    )


class EngagementEvent(Base):
    """Something the lead did (badge scan, demo request, pricing visit...): scoring's intent."""

    __tablename__ = "engagement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE")
    )

    __table_args__ = (Index("ix_engagement_events_lead_at", "lead_id", "at"),)


class Cadence(Base):
    __tablename__ = "cadences"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    tier: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    steps: Mapped[list[CadenceStep]] = relationship(
        back_populates="cadence", order_by="CadenceStep.position", cascade="all, delete-orphan"
    )


class CadenceStep(Base):
    __tablename__ = "cadence_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    cadence_id: Mapped[int] = mapped_column(ForeignKey("cadences.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    offset_days: Mapped[float] = mapped_column(Float)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(255))
    template: Mapped[str | None] = mapped_column(Text)

    cadence: Mapped[Cadence] = relationship(back_populates="steps")


class Alert(Base):
    """A fired timer rule. `key` is unique: the same alert can only ever fire once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    level: Mapped[str] = mapped_column(String(10), default="warning")
    message: Mapped[str] = mapped_column(Text)
    fired_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_alerts_user_read", "user_id", "read_at"),
        # The sweep asks "was this lead already alerted for this rule since X?" every tick.
        Index("ix_alerts_lead_kind", "lead_id", "kind", "fired_at"),
    )
