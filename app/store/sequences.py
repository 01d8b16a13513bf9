"""PostgreSQL id sequences after rows were written with explicit ids (the demo, imports).

A row inserted with its own id does not move the table's sequence, so the next ordinary
insert would draw an id that is taken (a duplicate key on `leads` after `leadgate demo`).
`advance_sequences` moves every serial sequence past its table's largest id (never back); on
SQLite (whose ids follow max(id)) it does nothing.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models import Base


def advance_sequences(session: Session) -> list[str]:
    """Move each table's id sequence past max(id) (PostgreSQL); returns the tables done."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    done = []
    for table in Base.metadata.sorted_tables:
        column = table.c.get("id")
        if column is None or not column.primary_key or column.autoincrement is False:
            continue
        sequence = session.scalar(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
        )
        if sequence is None:
            continue
        session.execute(
            text(
                # Never backwards: ids another session drew meanwhile stay drawn.
                "SELECT setval(:s, GREATEST(nextval(:s), "
                f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1), false)'
            ),
            {"s": sequence},
        )
        done.append(table.name)
    return done
