"""team sweeps: the team's last completed timer sweep, so workstations sweep incrementally

Revision ID: team_sweeps
Revises: search_text
Create Date: 2026-12-01 16:05:00

One row (key 'team') written by whichever workstation swept last, under the sweep's advisory
lock (app/services/timers/team.py): a workstation starting up sweeps incrementally from it
instead of sweeping every lead. Every team login sweeps, so reps read and write it (managers
and owners inherit the grant).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "team_sweeps"
down_revision: str | None = "search_text"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_sweeps",
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("swept_at", sa.DateTime(), nullable=False),
        sa.Column("full_at", sa.DateTime(), nullable=True),
        sa.Column("held_since", sa.DateTime(), nullable=True),
        sa.Column("swept_by", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_team_sweeps")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT SELECT, INSERT, UPDATE ON team_sweeps TO leadgate_rep")


def downgrade() -> None:
    op.drop_table("team_sweeps")
