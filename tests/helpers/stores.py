"""Test stores: a migrated SQLite template copied per test, and one PostgreSQL database per
test session (per xdist worker), emptied between tests.

PostgreSQL is not optional: when the server cannot be reached the PostgreSQL tests fail with
the reason. Set LEADGATE_SKIP_PG=1 to skip them deliberately on a machine without a server;
CI never sets it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from app.models import Base
from app.store.db import Store, make_engine, make_session_factory, upgrade

PG_ADMIN_URL = os.environ.get(
    "LEADGATE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def pg_admin_url() -> URL:
    url = make_url(PG_ADMIN_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def create_pg_database(prefix: str = "leadgate_test") -> URL:
    admin = pg_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return admin.set(database=name)


def drop_pg_database(url: URL) -> None:
    admin = pg_admin_url()
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        engine.dispose()


def migrated_sqlite_template(directory: Path) -> Path:
    path = directory / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def sqlite_store_from(template: Path, directory: Path) -> Store:
    path = directory / f"store-{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(template, path)
    url = make_url(f"sqlite:///{path}")
    engine = make_engine(url)
    return Store(url, engine, make_session_factory(engine))


def truncate_all(store: Store) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
