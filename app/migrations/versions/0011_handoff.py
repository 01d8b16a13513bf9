"""leads: when a lead was first handed to a rep, and its score at that moment

Revision ID: handoff
Revises: 0007
Create Date: 2026-12-01 12:30:00

The playbook's "time to assignment" and "score at hand-off" reports read these two columns:
routing (and a manager's hand assignment) fills them the first time a lead gets an owner.
Plain ADD/DROP COLUMN (SQLite 3.35+ drops a column in place): a batch rebuild of `leads`
would drop its triggers.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "handoff"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("assigned_at", sa.DateTime(), nullable=True))
    op.add_column("leads", sa.Column("handoff_score", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("leads", "handoff_score")
    op.drop_column("leads", "assigned_at")
