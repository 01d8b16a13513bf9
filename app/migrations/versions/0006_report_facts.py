"""report facts: per-lead journeys, stays and stalls kept up to date from a queue that
triggers on leads and stage_transitions fill (read by app/services/reports/journeys.py)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 18:06:36.428054
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The queue triggers, copied literally from what app/services/reports/journeys.py installed
# when this revision was written: this migration keeps creating exactly these, whatever the
# services later look like. A change to them is a new migration.
SQLITE_TRIGGERS = {
    "report_queue_transition_insert": (
        "AFTER INSERT ON stage_transitions BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (NEW.lead_id); END"
    ),
    "report_queue_transition_update": (
        "AFTER UPDATE ON stage_transitions BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (OLD.lead_id); "
        "INSERT INTO report_journey_queue (lead_id) VALUES (NEW.lead_id); END"
    ),
    "report_queue_transition_delete": (
        "AFTER DELETE ON stage_transitions BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (OLD.lead_id); END"
    ),
    "report_queue_lead_insert": (
        "AFTER INSERT ON leads BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (NEW.id); END"
    ),
    "report_queue_lead_update": (
        "AFTER UPDATE OF pipeline_id, source, event, owner_id, first_owner_id, status, tier, "
        "captured_at, first_contacted_at, deal_value ON leads FOR EACH ROW WHEN "
        "OLD.pipeline_id IS NOT NEW.pipeline_id OR OLD.source IS NOT NEW.source "
        "OR OLD.event IS NOT NEW.event OR OLD.owner_id IS NOT NEW.owner_id "
        "OR OLD.first_owner_id IS NOT NEW.first_owner_id OR OLD.status IS NOT NEW.status "
        "OR OLD.tier IS NOT NEW.tier OR OLD.captured_at IS NOT NEW.captured_at "
        "OR OLD.first_contacted_at IS NOT NEW.first_contacted_at "
        "OR OLD.deal_value IS NOT NEW.deal_value "
        "BEGIN INSERT INTO report_journey_queue (lead_id) VALUES (NEW.id); END"
    ),
    "report_queue_lead_delete": (
        "AFTER DELETE ON leads BEGIN "
        "INSERT INTO report_journey_queue (lead_id) VALUES (OLD.id); END"
    ),
}

# PostgreSQL: statement-level triggers with transition tables, one INSERT ... SELECT per
# statement (a bulk import of 100,000 transitions is one trigger call, not 100,000).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION report_queue_rows() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'leads' AND TG_OP = 'UPDATE' THEN
        -- Only leads whose report fields changed (a note or a score changes nothing here).
        INSERT INTO report_journey_queue (lead_id)
        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE (o.pipeline_id, o.source, o.event, o.owner_id, o.first_owner_id, o.status, o.tier, o.captured_at, o.first_contacted_at, o.deal_value)
               IS DISTINCT FROM (n.pipeline_id, n.source, n.event, n.owner_id, n.first_owner_id, n.status, n.tier, n.captured_at, n.first_contacted_at, n.deal_value);
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'leads' THEN
        IF TG_OP = 'DELETE' THEN
            INSERT INTO report_journey_queue (lead_id) SELECT id FROM old_rows;
        ELSE
            INSERT INTO report_journey_queue (lead_id) SELECT id FROM new_rows;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO report_journey_queue (lead_id) SELECT DISTINCT lead_id FROM old_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO report_journey_queue (lead_id) SELECT DISTINCT lead_id FROM new_rows;
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
PG_TRIGGERS = [  # name, table, event, transition tables
    ("report_queue_stage_transitions_insert", "stage_transitions", "INSERT",
     "NEW TABLE AS new_rows"),
    ("report_queue_stage_transitions_update", "stage_transitions", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("report_queue_stage_transitions_delete", "stage_transitions", "DELETE",
     "OLD TABLE AS old_rows"),
    ("report_queue_leads_insert", "leads", "INSERT", "NEW TABLE AS new_rows"),
    ("report_queue_leads_update", "leads", "UPDATE",
     "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("report_queue_leads_delete", "leads", "DELETE", "OLD TABLE AS old_rows"),
]  # fmt: skip


def install_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
        return
    op.execute(PG_FUNCTION)
    for name, table, event, transition in PG_TRIGGERS:
        op.execute(
            f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {table} "
            f"REFERENCING {transition} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION report_queue_rows()"
        )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    for name, table, *_ in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS report_queue_rows()")


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
    install_triggers()


def downgrade() -> None:
    drop_triggers()
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
