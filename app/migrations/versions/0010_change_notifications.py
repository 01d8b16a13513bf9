"""change notifications: PostgreSQL triggers that NOTIFY workstations of changed rows

Revision ID: 0010
Revises: 0001
Create Date: 2026-11-23 17:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Statement-level triggers with transition tables: one small notification per statement (an
# import of 100,000 rows sends one, not 100,000). Up to 200 ids travel in the payload; beyond
# that the payload says "many" and listeners refresh everything of that table.
FUNCTION = """
CREATE OR REPLACE FUNCTION leadgate_notify_rows() RETURNS trigger AS $$
DECLARE
    n integer;
    ids text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT count(*), string_agg(id::text, ',') INTO n, ids
          FROM (SELECT id FROM old_rows LIMIT 201) s;
    ELSE
        SELECT count(*), string_agg(id::text, ',') INTO n, ids
          FROM (SELECT id FROM new_rows LIMIT 201) s;
    END IF;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    IF n > 200 THEN
        ids := '*';
    END IF;
    PERFORM pg_notify(
        'leadgate_changes',
        json_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP), 'ids', ids)::text
    );
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

TABLES = ("leads", "activities", "alerts")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # a local SQLite store has one workstation: nothing to tell
    op.execute(FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION leadgate_notify_rows()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_notify_update AFTER UPDATE ON {table} "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION leadgate_notify_rows()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_notify_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION leadgate_notify_rows()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_{event} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS leadgate_notify_rows()")
