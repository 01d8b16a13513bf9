"""Per-lead report facts kept up to date from the stage history (see
app/services/report_journeys.py): derived data, rebuilt at will, never edited by hand."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

# Lead columns every fact table copies, so a filter on them needs no join.
_SCOPE = ("owner_id", "source", "event", "pipeline_id")


class ReportJourney(Base):
    """One row per lead: its fields as the reports filter and group them, and its journey
    through the default pipeline. Times are day numbers (days since 1970, UTC)."""

    __tablename__ = "report_journeys"

    lead_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    pipeline_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(100))
    event: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int | None] = mapped_column(Integer)
    first_owner_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(20))
    tier: Mapped[str | None] = mapped_column(String(20))  # "Unscored" when the lead has none
    captured_at: Mapped[float | None] = mapped_column(Float)
    contact_bin: Mapped[int | None] = mapped_column(Integer)  # capture -> contact, minutes bin
    value: Mapped[float | None] = mapped_column(Float)
    max_rank: Mapped[int | None] = mapped_column(Integer)  # furthest funnel position reached
    qualified_at: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float)
    won: Mapped[int | None] = mapped_column(Integer)
    qualified_week: Mapped[int | None] = mapped_column(Integer)  # Monday-based week numbers
    closed_week: Mapped[int | None] = mapped_column(Integer)
    won_cycle: Mapped[float | None] = mapped_column(Float)  # capture -> won, days (0 if not won)
    assign_bin: Mapped[int | None] = mapped_column(Integer)  # capture -> first owner, minutes bin
    handoff_score: Mapped[int | None] = mapped_column(Integer)  # score when first assigned

    # Covering indexes whose leading columns are a chart's GROUP BY: SQLite then streams the
    # groups out of the index instead of sorting ~300k rows per chart.
    __table_args__ = (
        Index(
            "ix_report_journeys_reach",
            "source",
            "event",
            "max_rank",
            "captured_at",
            "owner_id",
            "pipeline_id",
        ),
        Index(
            "ix_report_journeys_speed",
            "owner_id",
            "tier",
            "contact_bin",
            "captured_at",
            "source",
            "event",
            "pipeline_id",
        ),
        Index(
            "ix_report_journeys_velocity",
            "qualified_week",
            "closed_week",
            "won",
            "value",
            "won_cycle",
            *_SCOPE,
        ),
        Index("ix_report_journeys_open", "status", *_SCOPE),
        Index("ix_report_journeys_routed", "first_owner_id", "captured_at", *_SCOPE),
        # The playbook charts (app/services/reports/lifecycle.py ...) and the hand-off ones.
        Index(
            "ix_report_journeys_playbook",
            "source",
            "tier",
            "max_rank",
            "status",
            "won",
            "value",
            "contact_bin",
            "captured_at",
            "owner_id",
            "event",
            "pipeline_id",
        ),
        Index(
            "ix_report_journeys_handoff",
            "assign_bin",
            "handoff_score",
            "captured_at",
            "owner_id",
            "source",
            "event",
            "pipeline_id",
        ),
    )


class ReportStay(Base):
    """A lead's first stay in an open stage (k = its position among the open stages)."""

    __tablename__ = "report_stays"

    lead_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    k: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    entered: Mapped[float] = mapped_column(Float)
    bin: Mapped[int | None] = mapped_column(Integer)  # duration bin (hours); NULL: still there
    advanced: Mapped[int] = mapped_column(Integer)
    exited: Mapped[int] = mapped_column(Integer)
    pipeline_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(100))
    event: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        Index("ix_report_stays_bin", "k", "bin", "entered", "advanced", "exited", *_SCOPE),
    )


class ReportStall(Base):
    """Blocked attempts ('b'), each criterion label that blocked one ('l') and exits ('x')."""

    __tablename__ = "report_stalls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(1))
    stage_id: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(Text)
    at: Mapped[float | None] = mapped_column(Float)
    pipeline_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(100))
    event: Mapped[str | None] = mapped_column(String(255))
    owner_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (Index("ix_report_stalls_kind", "kind", "stage_id", "code", "at", *_SCOPE),)


class ReportJourneyQueue(Base):
    """Leads whose facts are out of date, filled by triggers on leads and stage_transitions.

    A queue rather than a high-water mark on stage_transitions.id: PostgreSQL hands out ids
    before commit, so a transaction holding a lower id can commit after a refresh has already
    moved past it. A queue row commits with the change that caused it, so none is skipped."""

    __tablename__ = "report_journey_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(Integer)


class ReportJourneyState(Base):
    """What the facts were built against: the default pipeline's stages and the build logic.
    A different signature (stages reordered, added or removed) means a full rebuild."""

    __tablename__ = "report_journey_state"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    signature: Mapped[str] = mapped_column(Text)
