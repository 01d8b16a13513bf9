"""board index: a column page and the column totals straight from one index

Revision ID: 0002
Revises: 0010 (chained after main's 0010 when main was merged; re-chain freely)
Create Date: 2026-11-23 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # (status, stage_id, score) serves "the top cards of this column" without sorting the
    # column; deal_value makes the per-column totals an index-only scan.
    op.create_index(
        "ix_leads_board", "leads", ["status", "stage_id", "score", "deal_value"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_leads_board", table_name="leads")
