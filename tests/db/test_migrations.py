"""The four migration checks, on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.migrations import HEAD_REVISION
from app.models import Base
from app.store.bulk import PG_STAGE_TABLE
from app.store.db import alembic_config, downgrade, make_engine, schema_status, upgrade
from app.store.search import is_search_object
from tests.helpers import stores

VERSIONS = Path(__file__).resolve().parents[2] / "app" / "migrations" / "versions"


def _app_imports(path: Path) -> list[str]:
    """`import app...` / `from app... import` statements anywhere in a migration file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.name}:{node.lineno} {n}" for n in names if n.split(".")[0] == "app"]
    return found


def test_migration_versions_import_nothing_from_the_app() -> None:
    """A version keeps doing what it did whatever the services later look like: the SQL it
    runs is copied into it, never imported from app code."""
    files = sorted(VERSIONS.glob("*.py"))
    assert len(files) >= 8  # the directory really is the versions folder
    offenders = [hit for f in files for hit in _app_imports(f)]
    assert offenders == []


def test_single_head_matches_app_constant() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    assert heads == [HEAD_REVISION], "one head, and HEAD_REVISION must name it"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    if request.config.getoption("-m") == "not postgres":  # pragma: no cover
        pytest.skip("postgres deselected")
    request.getfixturevalue("pg_url")  # fails loudly when the server is unreachable
    url = stores.create_pg_database("leadgate_mig")
    engine = make_engine(url)
    yield engine
    engine.dispose()
    stores.drop_pg_database(url)


def _diff(engine: Engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": lambda name, _type, _parents: (
                    not is_search_object(name) and name != PG_STAGE_TABLE
                ),
            },
        )
        return compare_metadata(ctx, Base.metadata)


def test_upgrade_from_empty_matches_models(empty_engine: Engine) -> None:
    assert schema_status(empty_engine).state == "empty"
    upgrade(empty_engine)
    assert schema_status(empty_engine).state == "current"
    assert _diff(empty_engine) == []


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    tables = set(inspect(empty_engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade(empty_engine)
    assert _diff(empty_engine) == []


def test_every_revision_steps_down_and_up(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    upgrade(empty_engine)
    for rev in revisions:  # newest first
        target = script.get_revision(rev).down_revision or "base"
        downgrade(empty_engine, str(target))
        upgrade(empty_engine, rev)
        downgrade(empty_engine, str(target))
    upgrade(empty_engine)
    assert schema_status(empty_engine).state == "current"
