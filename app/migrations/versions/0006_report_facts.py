"""report facts: per-lead journeys, stays and stalls kept up to date from a queue that
triggers on leads and stage_transitions fill (app/services/report_journeys.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:06:36.428054
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.services.reports.journeys import drop_triggers, install_triggers

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_journey_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_journey_queue")),
    )
    op.create_table(
        "report_journey_state",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_report_journey_state")),
    )
    op.create_table(
        "report_journeys",
        sa.Column("lead_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("event", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("first_owner_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=True),
        sa.Column("captured_at", sa.Float(), nullable=True),
        sa.Column("contact_bin", sa.Integer(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("max_rank", sa.Integer(), nullable=True),
        sa.Column("qualified_at", sa.Float(), nullable=True),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("won", sa.Integer(), nullable=True),
        sa.Column("qualified_week", sa.Integer(), nullable=True),
        sa.Column("closed_week", sa.Integer(), nullable=True),
        sa.Column("won_cycle", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_report_journeys")),
    )
    with op.batch_alter_table("report_journeys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_journeys_open",
            ["status", "owner_id", "source", "event", "pipeline_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_report_journeys_reach",
            ["source", "event", "max_rank", "captured_at", "owner_id", "pipeline_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_report_journeys_routed",
            ["first_owner_id", "captured_at", "owner_id", "source", "event", "pipeline_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_report_journeys_speed",
            ["owner_id", "tier", "contact_bin", "captured_at", "source", "event", "pipeline_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_report_journeys_velocity",
            [
                "qualified_week",
                "closed_week",
                "won",
                "value",
                "won_cycle",
                "owner_id",
                "source",
                "event",
                "pipeline_id",
            ],
            unique=False,
        )

    op.create_table(
        "report_stalls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("at", sa.Float(), nullable=True),
        sa.Column("pipeline_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("event", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_stalls")),
    )
    with op.batch_alter_table("report_stalls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_stalls_kind",
            ["kind", "stage_id", "code", "at", "owner_id", "source", "event", "pipeline_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_report_stalls_lead_id"), ["lead_id"], unique=False)

    op.create_table(
        "report_stays",
        sa.Column("lead_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("k", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("entered", sa.Float(), nullable=False),
        sa.Column("bin", sa.Integer(), nullable=True),
        sa.Column("advanced", sa.Integer(), nullable=False),
        sa.Column("exited", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("event", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", "k", name=op.f("pk_report_stays")),
    )
    with op.batch_alter_table("report_stays", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_stays_bin",
            [
                "k",
                "bin",
                "entered",
                "advanced",
                "exited",
                "owner_id",
                "source",
                "event",
                "pipeline_id",
            ],
            unique=False,
        )

    # The facts are built by the first refresh (the dashboard or the timer sweep), not here:
    # the queue triggers start recording changes now.
    install_triggers(op.get_bind())


def downgrade() -> None:
    drop_triggers(op.get_bind())
    with op.batch_alter_table("report_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_report_stays_bin")

    op.drop_table("report_stays")
    with op.batch_alter_table("report_stalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_stalls_lead_id"))
        batch_op.drop_index("ix_report_stalls_kind")

    op.drop_table("report_stalls")
    with op.batch_alter_table("report_journeys", schema=None) as batch_op:
        batch_op.drop_index("ix_report_journeys_velocity")
        batch_op.drop_index("ix_report_journeys_speed")
        batch_op.drop_index("ix_report_journeys_routed")
        batch_op.drop_index("ix_report_journeys_reach")
        batch_op.drop_index("ix_report_journeys_open")

    op.drop_table("report_journeys")
    op.drop_table("report_journey_state")
    op.drop_table("report_journey_queue")
