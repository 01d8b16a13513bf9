"""PostgreSQL id sequences after rows were written with explicit ids (the demo, imports).

A row inserted with its own id does not move the table's sequence, so the next ordinary
insert would draw an id that is taken (a duplicate key on `leads` after `leadgate demo`).
`advance_sequences` moves every serial sequence that is behind past its table's largest id
(never back); on SQLite (whose ids follow max(id)) it does nothing.
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
        # Only a sequence that is behind is moved: setval needs UPDATE on the sequence, which
        # a member's own login lacks (team_roles), while reading it needs only SELECT. An
        # import's ids come from the sequences, so it finds none behind.
        last, called = session.execute(text(f"SELECT last_value, is_called FROM {sequence}")).one()
        largest = session.scalar(text(f'SELECT COALESCE(max(id), 0) FROM "{table.name}"'))
        if int(largest or 0) < (last + 1 if called else last):
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
