"""Opening stores: automatic SQLite upgrade with a backup, clear messages otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError

from app.models import Lead
from app.store.db import (
    SchemaState,
    Store,
    StoreError,
    backup_sqlite,
    make_engine,
    open_store,
    schema_status,
)


def test_new_sqlite_store_is_created_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'new' / 'lg.sqlite3'}")
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000
    assert schema_status(store.engine).state is SchemaState.CURRENT
    store.dispose()


def test_store_from_a_newer_leadgate_is_refused_with_advice(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lg.sqlite3'}"
    open_store(url).dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'zz99'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer Leadgate"):
        open_store(url)


def test_foreign_database_is_not_taken_for_a_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a Leadgate store"):
        open_store(url)


def test_backup_copies_the_file_with_a_timestamp(tmp_path: Path) -> None:
    path = tmp_path / "lg.sqlite3"
    open_store(f"sqlite:///{path}").dispose()
    backup = backup_sqlite(path, datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC))
    assert backup.name == "lg.backup-20260302-093005.sqlite3"
    assert backup.stat().st_size == path.stat().st_size


@pytest.mark.postgres
def test_postgres_store_is_never_upgraded_implicitly(pg_url) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import stores

    url = stores.create_pg_database("leadgate_empty")
    try:
        with pytest.raises(StoreError, match="leadgate db upgrade"):
            open_store(url)
        engine = make_engine(url)
        assert schema_status(engine).state is SchemaState.EMPTY
        engine.dispose()
    finally:
        stores.drop_pg_database(url)


def test_unreachable_server_is_one_clear_line() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    message = str(info.value)
    assert message.startswith("Cannot reach the PostgreSQL server at")
    assert "\n" not in message


def test_bad_url_and_other_databases_are_refused() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url")
    with pytest.raises(StoreError, match="SQLite or PostgreSQL"):
        open_store("mysql://root@localhost/test")


def test_concurrent_edit_of_one_lead_is_refused(store: Store) -> None:
    with store.session() as s:
        lead = Lead(display_name="Ada Lovelace", email="ada@example.com")
        s.add(lead)
        s.commit()
        lead_id = lead.id
    first, second = store.session(), store.session()
    try:
        a = first.get(Lead, lead_id)
        b = second.get(Lead, lead_id)
        assert a is not None and b is not None
        a.title = "CTO"
        first.commit()
        b.title = "CEO"
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with store.session() as s:
        final = s.get(Lead, lead_id)
        assert final is not None
        assert (final.title, final.version) == ("CTO", 2)
