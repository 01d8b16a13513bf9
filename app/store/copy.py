"""Copy a whole store to another, history included: how a local file moves to the team database.

Table by table in foreign-key order, over SQLAlchemy Core, in one transaction on the target
(all of it or nothing). The target must be empty. The report facts (`report_*` tables) are not
copied: they are derived, and the triggers queue every copied lead for them to be rebuilt.
On PostgreSQL the id sequences are then moved past the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Integer, Table, func, select, text

from app.models import Base
from app.store.db import Store, StoreError, describe_url

BATCH = 2000


def copied_tables() -> list[Table]:
    """The tables a copy carries, parents before children."""
    return [t for t in Base.metadata.sorted_tables if not t.name.startswith("report_")]


def copy_store(
    source: Store, target: Store, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every row of `source` into the empty `target`; returns rows copied per table."""
    tables = copied_tables()
    with target.engine.connect() as conn:
        filled = [
            t.name for t in tables if conn.execute(select(func.count()).select_from(t)).scalar()
        ]
    if filled:
        raise StoreError(
            f"The store at {describe_url(target.url)} already holds data ({', '.join(filled[:4])}"
            f"{'...' if len(filled) > 4 else ''}): copy only into a new, empty store."
        )
    counts: dict[str, int] = {}
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in tables:
            n = 0
            result = src.execution_options(yield_per=BATCH).execute(
                select(table).order_by(*table.primary_key.columns)
            )
            for part in result.mappings().partitions(BATCH):
                dst.execute(table.insert(), [dict(row) for row in part])
                n += len(part)
            counts[table.name] = n
            if progress is not None:
                progress(table.name, n)
        if dst.dialect.name == "postgresql":
            for table in tables:
                _reset_sequence(dst, table)
    return counts


def _reset_sequence(conn: Connection, table: Table) -> None:
    """Move the table's id sequence past its largest id (PostgreSQL)."""
    keys = list(table.primary_key.columns)
    if len(keys) != 1 or not isinstance(keys[0].type, Integer):
        return
    column = keys[0].name
    seq = conn.execute(
        text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column}
    ).scalar()
    if seq is None:
        return
    conn.execute(
        text(
            f"SELECT setval(:s, coalesce((SELECT max({column}) FROM {table.name}), 1), "
            f"(SELECT max({column}) FROM {table.name}) IS NOT NULL)"
        ),
        {"s": seq},
    )
