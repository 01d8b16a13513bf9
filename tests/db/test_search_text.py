"""Migration `search_text` (PostgreSQL): leads keep their folded search text in a generated
column, the trigram index is on it, and the app's search reads it instead of folding per row.
(Same leads in the same order as SQLite: tests/unit/test_search.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from app.models import Lead
from app.services.leads.queries import LeadFilter, LeadSort, _ordered, _row_select
from app.store.db import Store, downgrade, make_engine, upgrade
from app.store.fold import FOLD_FROM, fold
from app.store.search import PG_COLUMN, PG_INDEX
from tests.helpers import stores

pytestmark = pytest.mark.postgres

# (name, company, e-mail, title): every character the fold maps, the separator itself in the
# data, characters the table leaves alone, and empty fields.
LEADS = [
    *(
        (FOLD_FROM[i : i + 200], "Zoë | Ångström", "zoe@nordlys.example", "Head of IT")
        for i in range(0, len(FOLD_FROM), 200)
    ),
    ("İlker Şahin", "ANKARA YAZILIM", "ilker@ankara.example", None),
    ("Percy 100% Sure", None, 'percy"q@example.com', "o'brien|ceo"),
    ("Дмитрий Иванов", "Сибирь 東京 🙂", None, "Straße ǅ ﬁ"),
]


def _expected(*fields: str | None) -> str:
    return " " + " | ".join(fold(f or "") or "" for f in fields)


def _add(store: Store) -> list[int]:
    with store.session() as s:
        leads = [
            Lead(display_name=n, company=c, email=e, email_normalized=e, title=t)
            for n, c, e, t in LEADS
        ]
        s.add_all(leads)
        s.commit()
        return [lead.id for lead in leads]


def _stored(store: Store, ids: list[int]) -> list[str]:
    with store.session() as s:
        found = s.execute(
            text(f"SELECT id, {PG_COLUMN} FROM leads WHERE id = ANY(:ids)"), {"ids": ids}
        )
        rows = {int(i): str(t) for i, t in found}
    return [rows[i] for i in ids]


def test_the_column_holds_the_four_fields_folded_as_python_folds_them(pg_store: Store) -> None:
    ids = _add(pg_store)
    assert _stored(pg_store, ids) == [_expected(*lead) for lead in LEADS]


def test_the_column_follows_an_edit_of_the_lead(pg_store: Store) -> None:
    (first, *_) = _add(pg_store)
    with pg_store.session() as s:
        s.execute(update(Lead).where(Lead.id == first).values(company="Müller & Söhne"))
        s.commit()
    edited = (LEADS[0][0], "Müller & Söhne", *LEADS[0][2:])
    assert _stored(pg_store, [first]) == [_expected(*edited)]


def _sql(stmt: object) -> str:
    compiled = stmt.compile(  # type: ignore[attr-defined]
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def test_the_search_reads_the_stored_text_through_its_index(pg_store: Store) -> None:
    """No translate() per row at query time (match, recheck or rank), and the index serves
    the LIKEs."""
    flt = LeadFilter(text="tanaka iberia", status="open")
    page = _sql(_ordered(_row_select(), flt, LeadSort("score", True), 0, 50))
    assert "translate(" not in page and f"leads.{PG_COLUMN} LIKE" in page
    sql = _sql(select(Lead.id).where(*LeadFilter(text="tanaka iberia").where()))
    with pg_store.engine.begin() as conn:
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql))
    assert PG_INDEX in plan and "translate(" not in plan


@pytest.fixture
def scratch() -> Iterator[Engine]:
    url = stores.create_pg_database("leadgate_searchtext")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    stores.drop_pg_database(url)


def _schema(engine: Engine) -> tuple[bool, str]:
    with engine.connect() as conn:
        column = conn.scalar(
            text(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'leads' "
                "AND column_name = :c AND is_generated = 'ALWAYS'"
            ),
            {"c": PG_COLUMN},
        )
        index = conn.scalar(text(f"SELECT pg_get_indexdef('{PG_INDEX}'::regclass)"))
    return bool(column), str(index)


def test_down_and_up_keep_the_search_index_and_fill_the_column(scratch: Engine) -> None:
    upgrade(scratch)
    has_column, index = _schema(scratch)
    assert has_column and f"gin ({PG_COLUMN} gin_trgm_ops)" in index
    downgrade(scratch, "bulk_import")
    has_column, index = _schema(scratch)
    # bulk_import's index: the joined fields folded by the reordered table
    assert not has_column and "translate(" in index and "' eaionrst" in index
    with Session(scratch) as s:  # the model has no search_text: it inserts as before
        s.add(
            Lead(
                display_name="Kenji Tanaka",
                company="Iberia Foods",
                email_normalized="kenji@iberia.example",
            )
        )
        s.commit()
    upgrade(scratch)
    has_column, index = _schema(scratch)
    assert has_column and f"gin ({PG_COLUMN} gin_trgm_ops)" in index
    with scratch.connect() as conn:
        stored = conn.scalar(select(text(PG_COLUMN)).select_from(text("leads")))
    assert stored == _expected("Kenji Tanaka", "Iberia Foods", "kenji@iberia.example", None)
