"""leads: drop indexes that others cover; one (owner_id, status, score) index

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23 18:35:00

Every index on `leads` is updated for each inserted lead, and an import writes 100,000s of
them. (owner_id) and (stage_id) are left prefixes of (owner_id, status, score) and
(stage_id, stage_entered_at); (owner_id, score) and (owner_id, status) become one
(owner_id, status, score), which serves per-owner open counts and a rep's open leads by score.
(status) and (status, stage_id) stay although longer indexes start with them: after the
equality they list leads in id order, which id-keyset pages (rescoring open leads, the board)
rely on; EXPLAIN QUERY PLAN showed a sort of every matching lead per page without them.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = {
    "ix_leads_owner_id": ["owner_id"],
    "ix_leads_stage_id": ["stage_id"],
    "ix_leads_owner_score": ["owner_id", "score"],
    "ix_leads_owner_status": ["owner_id", "status"],
}
ADDED = {"ix_leads_owner_status_score": ["owner_id", "status", "score"]}


def upgrade() -> None:
    for name, columns in ADDED.items():
        op.create_index(name, "leads", columns)
    for name in DROPPED:
        op.drop_index(name, table_name="leads")


def downgrade() -> None:
    for name, columns in DROPPED.items():
        op.create_index(name, "leads", columns)
    for name in ADDED:
        op.drop_index(name, table_name="leads")
