"""Migration `bulk_import` (PostgreSQL): the search index folds as before and its queries use
it; the gate guard fires only for overrides; the import's staging table matches the leads.
(A member's own login importing: tests/db/test_team_roles.py.)"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import URL

from app.models import Lead
from app.services.importing.loader import LEAD_COLUMNS
from app.store.bulk import PG_STAGE_TABLE
from app.store.db import downgrade, make_engine, upgrade
from app.store.fold import FOLD_FROM, FOLD_TO, fold
from app.store.search import PG_FOLD_FROM, PG_FOLD_TO, lead_text_match
from tests.helpers import stores

pytestmark = pytest.mark.postgres

VERSION = (
    Path(__file__).resolve().parents[2] / "app" / "migrations" / "versions" / "0016_bulk_import.py"
)

# Every character of the folding table, next to the letters, digits and punctuation of real
# names and e-mails, and characters the table leaves alone ('%', CJK, emoji).
SAMPLES = [
    FOLD_FROM,
    "Zoë Ångström zoe@nordlys.example Head of IT",
    "İlker Şahin ANKARA YAZILIM ilker@ankara.example",
    "Percy 100% Sure Per_cent Ltd percy\"q@example.com o'brien",
    "Дмитрий Иванов Сибирь 東京 🙂 Straße ǅ ﬁ",
    "".join(chr(c) for c in range(32, 0x2100) if chr(c).isprintable()),
]


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bulk_import_version", VERSION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def engine(pg_url: URL) -> Engine:
    return make_engine(pg_url)


def test_the_reordered_table_folds_every_text_as_before(engine: Engine) -> None:
    """Same result as the folding table in its original order, and as Python's `fold`."""
    with engine.connect() as conn:
        for sample in SAMPLES:
            old, new = conn.execute(
                text("SELECT translate(:s, :f0, :t0), translate(:s, :f1, :t1)"),
                {"s": sample, "f0": FOLD_FROM, "t0": FOLD_TO, "f1": PG_FOLD_FROM, "t1": PG_FOLD_TO},
            ).one()
            assert new == old == fold(sample)


def test_the_migration_builds_the_index_the_queries_repeat(engine: Engine) -> None:
    """The app's search expression is the index's, verbatim: the planner uses the index."""
    assert _migration().NEW_EXPRESSION.startswith("(' ' || translate(")
    query = select(Lead.id).where(lead_text_match("tanaka iberia"))
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql.replace("%", "%%")))
    assert "ix_leads_search_trgm" in plan


def _staging_exists(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.scalar(text(f"SELECT to_regclass('{PG_STAGE_TABLE}') IS NOT NULL")))


def _index_and_guard(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        index = conn.scalar(text("SELECT pg_get_indexdef('ix_leads_search_trgm'::regclass)"))
        guard = conn.scalar(
            text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE tgname = 'stage_transitions_guard'"
            )
        )
    assert index is not None and guard is not None
    return str(index), str(guard)


def test_down_and_up_restore_the_old_index_guard_and_no_staging() -> None:
    url = stores.create_pg_database("leadgate_bulk")
    engine = make_engine(url)
    try:
        upgrade(engine, "bulk_import")  # revision `search_text` builds the index on a column
        index, guard = _index_and_guard(engine)
        assert "' eaionrst" in index and "WHEN (((new.kind)::text = 'override'::text))" in guard
        downgrade(engine, "merge_history")
        index, guard = _index_and_guard(engine)
        assert "'!\"#$&''()*+,-./:;<=>?@ABC" in index and "' eaionrst" not in index
        assert "WHEN" not in guard and not _staging_exists(engine)
        upgrade(engine, "bulk_import")
        index, guard = _index_and_guard(engine)
        assert "' eaionrst" in index and "WHEN" in guard and _staging_exists(engine)
    finally:
        engine.dispose()
        stores.drop_pg_database(url)


def test_the_staging_table_has_every_lead_column_the_import_writes(engine: Engine) -> None:
    """A lead column the import starts writing must reach the staging table too (a later
    migration adds it there), with the type it has in leads."""

    def columns(conn: Any, table: str) -> dict[str, str]:
        rows = conn.execute(
            text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = :t"
            ),
            {"t": table},
        )
        return {str(name): str(kind) for name, kind in rows}

    with engine.connect() as conn:
        leads, staged = columns(conn, "leads"), columns(conn, PG_STAGE_TABLE)
    assert {c: staged.get(c) for c in LEAD_COLUMNS} == {c: leads[c] for c in LEAD_COLUMNS}
