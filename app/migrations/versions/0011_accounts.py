"""accounts: merged-away lead ids redirect to the kept lead; dismissed possible duplicates

Revision ID: accounts
Revises: 0007
Create Date: 2026-12-01 12:40:00

Leads already carry `account_id` (0001); merging two leads keeps one and records the other's
id in `lead_redirects`, so the old id still opens the kept lead. `duplicate_dismissals` holds
pairs a person said are different people, so the review list stops offering them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "accounts"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lead_redirects",
        sa.Column("old_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("old_name", sa.String(length=400), nullable=True),
        sa.Column("merged_at", sa.DateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("old_id"),
    )
    op.create_index("ix_lead_redirects_lead_id", "lead_redirects", ["lead_id"])
    op.create_table(
        "duplicate_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_a_id", sa.Integer(), nullable=False),
        sa.Column("lead_b_id", sa.Integer(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["lead_a_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lead_b_id"], ["leads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_duplicate_dismissals_pair",
        "duplicate_dismissals",
        ["lead_a_id", "lead_b_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_duplicate_dismissals_pair", table_name="duplicate_dismissals")
    op.drop_table("duplicate_dismissals")
    op.drop_index("ix_lead_redirects_lead_id", table_name="lead_redirects")
    op.drop_table("lead_redirects")
