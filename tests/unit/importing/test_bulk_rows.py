"""The import's row building and SQLite writes store exactly what the plain library calls
would (issue 17): many rows per INSERT bind like one row per INSERT, the row's JSON text
is json.dumps's, and the duplicate finder finds the same whenever it takes the leads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.clock import SettableClock
from app.services.importing import ImportOptions, loader, run, run_import
from app.services.importing.synth import write_badge_csv
from app.store import bulk
from app.store.bulk import BulkWriter
from app.store.db import Store

ROWS: list[tuple[Any, ...]] = [
    (1, "Zoë O'Neill", 3.25, None, True, b"\x00\x01"),
    (2, "", 0.0, 7, False, b""),
    (3, "İlker 😀 \t\n", -1e300, None, None, None),
    (4, "=SUM(A1)", 2**62, "12", 1, "x"),
    (5, None, None, None, None, None),
    (6, "a" * 5000, 1.5, -3, 0, "🙂"),
    (7, "'quoted'", float("inf"), 0, True, "?"),
    (8, "last", 1e-300, 10**18, False, "%s"),
]
COLUMNS = ("id", "a", "b", "c", "d", "e")


def _stored(session: Any, table: str) -> list[tuple[Any, ...]]:
    cells = ", ".join(f"typeof({c}), {c}" for c in COLUMNS)
    return [tuple(r) for r in session.execute(text(f"SELECT {cells} FROM {table} ORDER BY id"))]


@pytest.mark.parametrize("per", [1, 3, 8, 500])
def test_many_rows_per_insert_store_what_one_row_per_insert_stores(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch, per: int
) -> None:
    monkeypatch.setattr(bulk, "ROWS_PER_INSERT", per)
    with sqlite_store.session() as session:
        for table in ("plain", "bulk"):
            # No declared types: every value keeps the storage class it was bound with.
            session.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, a, b, c, d, e)"))
        marks = ", ".join("?" * len(COLUMNS))
        session.connection().exec_driver_sql(f"INSERT INTO plain VALUES ({marks})", ROWS)
        writer = BulkWriter(session)
        try:
            writer.write("bulk", COLUMNS, ROWS)
        finally:
            writer.finish()
        assert _stored(session, "bulk") == _stored(session, "plain")
        assert len(_stored(session, "bulk")) == len(ROWS)


_text = st.text(st.characters(codec="utf-8"), max_size=40)
_values = st.one_of(st.none(), _text, st.integers(-(2**70), 2**70), st.booleans())


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_text, _values | st.dictionaries(_text, _values, max_size=3), max_size=12))
def test_the_row_json_is_json_dumps(value: dict[str, Any]) -> None:
    assert loader._to_json(value) == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("deferred", [0, 1, 37])
def test_possible_duplicates_do_not_depend_on_when_the_finder_takes_the_leads(
    sqlite_store: Store,
    clock: SettableClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    deferred: int,
) -> None:
    """The duplicate finder takes the new leads chunk by chunk past DEFER_DUPS, the rest
    after the last chunk: the same candidates, in the same order, either way."""
    path = tmp_path / "scans.csv"
    write_badge_csv(path, 3000, seed=7)

    def candidates() -> list[dict[str, Any]]:
        with sqlite_store.session() as session:
            options = ImportOptions(dry_run=True)
            result = run_import(session, clock, path, options=options)
        return [d.to_dict() for d in result.possible_duplicates]

    everything_at_the_end = candidates()
    assert everything_at_the_end  # the file has some to find
    monkeypatch.setattr(loader, "DEFER_DUPS", deferred)
    monkeypatch.setattr(run, "CHUNK", 100)  # many chunks, so most leads are fed on the way
    assert candidates() == everything_at_the_end
