"""Pipelines, their ordered stages, the exit criteria (gates), and the stage history."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class StageKind(enum.StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class TransitionKind(enum.StrEnum):
    CREATED = "created"  # entered the pipeline
    FORWARD = "forward"
    BACK = "back"
    OVERRIDE = "override"  # forward past an unmet gate, by a manager, with a reason
    BLOCKED = "blocked"  # an attempt the gates refused (to_stage is where it was headed)
    EXIT = "exit"  # to Lost / Disqualified / Nurture, with a reason code
    REOPEN = "reopen"  # back into the pipeline from an exit


class Pipeline(Base):
    __tablename__ = "pipelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="pipeline", order_by="Stage.position", cascade="all, delete-orphan"
    )


class Stage(Base):
    __tablename__ = "stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default=StageKind.OPEN)
    # For exits: the lead status this stage sets (lost / disqualified / nurture / won).
    exit_status: Mapped[str | None] = mapped_column(String(20))
    stale_hours: Mapped[int | None] = mapped_column(Integer)
    win_probability: Mapped[float] = mapped_column(Float, default=0.0)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")
    criteria: Mapped[list[GateCriterion]] = relationship(
        back_populates="stage", order_by="GateCriterion.position", cascade="all, delete-orphan"
    )

    __table_args__ = (Index("ix_stages_pipeline_position", "pipeline_id", "position"),)


class GateCriterion(Base):
    """One exit criterion of a stage: a lead leaves the stage forward only when all hold."""

    __tablename__ = "gate_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    stage: Mapped[Stage] = relationship(back_populates="criteria")


class StageTransition(Base):
    """The stage history every funnel metric is computed from (append-only)."""

    __tablename__ = "stage_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    to_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default=TransitionKind.FORWARD)
    at: Mapped[datetime]
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    override_reason: Mapped[str | None] = mapped_column(Text)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    # For blocked attempts: the labels of the criteria that refused the move.
    unmet: Mapped[list[Any] | None] = mapped_column(JSON)

    __table_args__ = (
        Index("ix_stage_transitions_lead_at", "lead_id", "at"),
        Index("ix_stage_transitions_at", "at"),
        Index("ix_stage_transitions_to_stage", "to_stage_id", "kind"),
    )
