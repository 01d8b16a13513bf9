"""sweep indexes: alerts (lead_id, kind, fired_at), activities (cadence_step_id),
leads (stage_id, stage_entered_at), (last_touch_at), (first_contacted_at)

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-23 17:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_lead_kind", ["lead_id", "kind", "fired_at"], unique=False)
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_index("ix_activities_cadence_step", ["cadence_step_id"], unique=False)
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leads_stage_entered", ["stage_id", "stage_entered_at"], unique=False
        )
        batch_op.create_index("ix_leads_last_touch", ["last_touch_at"], unique=False)
        batch_op.create_index("ix_leads_first_contacted", ["first_contacted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index("ix_leads_first_contacted")
        batch_op.drop_index("ix_leads_last_touch")
        batch_op.drop_index("ix_leads_stage_entered")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_cadence_step")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_lead_kind")
