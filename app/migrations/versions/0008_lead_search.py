"""lead search: trigram indexes for substring search (FTS5 on SQLite, pg_trgm on PostgreSQL)

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-23 18:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Kept literal here (not imported from app.store.search) so this migration keeps doing
# exactly what it did, whatever later versions of the service look like.
COLUMNS = ("display_name", "company", "email_normalized", "title")
PG_EXPRESSION = "lower(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in COLUMNS) + ")"


def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}.{c}" for c in COLUMNS)


def upgrade() -> None:
    bind = op.get_bind()
    cols = ", ".join(COLUMNS)
    if bind.dialect.name == "sqlite":
        op.execute(
            f"CREATE VIRTUAL TABLE lead_search USING fts5({cols}, content='leads', "
            "content_rowid='id', tokenize='trigram')"
        )
        op.execute("INSERT INTO lead_search(lead_search) VALUES ('rebuild')")
        op.execute(
            "CREATE TRIGGER lead_search_insert AFTER INSERT ON leads BEGIN "
            f"INSERT INTO lead_search(rowid, {cols}) VALUES (new.id, {_values('new')}); END"
        )
        op.execute(
            "CREATE TRIGGER lead_search_delete AFTER DELETE ON leads BEGIN "
            f"INSERT INTO lead_search(lead_search, rowid, {cols}) "
            f"VALUES ('delete', old.id, {_values('old')}); END"
        )
        op.execute(
            f"CREATE TRIGGER lead_search_update AFTER UPDATE OF {cols} ON leads BEGIN "
            f"INSERT INTO lead_search(lead_search, rowid, {cols}) "
            f"VALUES ('delete', old.id, {_values('old')}); "
            f"INSERT INTO lead_search(rowid, {cols}) VALUES (new.id, {_values('new')}); END"
        )
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            f"CREATE INDEX ix_leads_search_trgm ON leads USING gin (({PG_EXPRESSION}) gin_trgm_ops)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS lead_search_{event}")
        op.execute("DROP TABLE IF EXISTS lead_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")
        # pg_trgm stays: other objects of the database may use it.
