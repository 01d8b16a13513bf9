"""leads: when a lead was first handed to a rep, and its score then; the report facts too

Revision ID: handoff
Revises: 0007
Create Date: 2026-12-01 12:30:00

The playbook's "time to assignment" and "score at hand-off" reports read these two columns:
routing (and a manager's hand assignment) fills them the first time a lead gets an owner.
The report facts (report_journeys) carry them as `assign_bin` (capture -> owner, a minutes
bin like contact_bin) and `handoff_score`, with two covering indexes for the playbook charts.
The app rebuilds every fact row on its next refresh (its build version changed).
Plain ADD/DROP COLUMN (SQLite 3.35+ drops a column in place): a batch rebuild of `leads`
would drop its triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "handoff"
down_revision: str | None = "team_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEXES = {
    "ix_report_journeys_playbook": [
        "source", "tier", "max_rank", "status", "won", "value", "contact_bin", "captured_at",
        "owner_id", "event", "pipeline_id",
    ],
    "ix_report_journeys_handoff": [
        "assign_bin", "handoff_score", "captured_at", "owner_id", "source", "event", "pipeline_id",
    ],
}  # fmt: skip


def upgrade() -> None:
    op.add_column("leads", sa.Column("assigned_at", sa.DateTime(), nullable=True))
    op.add_column("leads", sa.Column("handoff_score", sa.Integer(), nullable=True))
    op.add_column("report_journeys", sa.Column("assign_bin", sa.Integer(), nullable=True))
    op.add_column("report_journeys", sa.Column("handoff_score", sa.Integer(), nullable=True))
    for name, columns in INDEXES.items():
        op.create_index(name, "report_journeys", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="report_journeys")
    op.drop_column("report_journeys", "handoff_score")
    op.drop_column("report_journeys", "assign_bin")
    op.drop_column("leads", "handoff_score")
    op.drop_column("leads", "assigned_at")
