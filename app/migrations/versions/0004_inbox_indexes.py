"""inbox indexes: open-lead lists sorted and counted by index at a million leads

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23 17:20:00

The inbox always filters on status (open leads) and sorts by score, capture time or name, and
counts per tier and per owner. Without (status, <sort key>) indexes SQLite reads every open
lead and sorts them in a temporary B-tree for each page (seconds at 1,000,000 leads).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_leads_status_score": ["status", "score"],
    "ix_leads_status_captured": ["status", "captured_at"],
    "ix_leads_status_name": ["status", "display_name"],
    "ix_leads_status_tier": ["status", "tier", "score"],
    "ix_leads_owner_status": ["owner_id", "status"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "leads", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="leads")
