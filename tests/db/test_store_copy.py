"""`leadgate db copy`: a local store moves to the team database with its history; a Leadgate
export re-imports without the formula guard's apostrophes."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import URL

from app.cli.core import main
from app.models import Activity, Lead, StageTransition, User
from app.store.db import make_engine
from tests.helpers import stores

OWNER = "olivia.hart@leadgate.example"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                m.__tablename__: int(conn.scalar(select(func.count()).select_from(m)) or 0)
                for m in (Lead, StageTransition, Activity, User)
            }
    finally:
        engine.dispose()


def _history(url: str) -> list[tuple[int, int | None, int | None]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(StageTransition.lead_id, StageTransition.from_stage_id,
                       StageTransition.to_stage_id).order_by(StageTransition.id)
            )  # fmt: skip
            return [tuple(r) for r in rows]
    finally:
        engine.dispose()


@pytest.fixture
def empty_pg() -> URL:
    url = stores.create_pg_database("leadgate_copy")
    yield url
    stores.drop_pg_database(url)


@pytest.mark.postgres
def test_a_local_store_copies_to_an_empty_team_database_with_its_history(
    tmp_path: Path, empty_pg: URL
) -> None:
    local = f"sqlite:///{tmp_path / 'local.sqlite3'}"
    assert run("--db", local, "demo", "--leads", "60")[0] == 0
    team = empty_pg.render_as_string(hide_password=False)
    code, out, err = run("--db", local, "db", "copy", "--to", team)
    assert code == 0, err
    assert "60 leads" in out
    assert _counts(team) == _counts(local)
    assert _history(team) == _history(local)
    # The team database carries on: new ids follow the copied ones, and reports read the history.
    code, out, err = run("--db", team, "--as", OWNER, "leads", "add", "--set", "name=After Copy",
                         "--json")  # fmt: skip
    assert code == 0, err
    engine = make_engine(team)
    with engine.connect() as conn:
        assert conn.scalar(text("select max(id) from leads")) == _counts(local)["leads"] + 1
    engine.dispose()
    assert run("--db", team, "--as", OWNER, "report", "funnel", "--json")[0] == 0
    # A second copy into the now non-empty database is refused, in one line, changing nothing.
    before = _counts(team)
    code, _out, err = run("--db", local, "db", "copy", "--to", team)
    assert code == 1 and err.count("\n") == 1 and "already holds data" in err
    assert _counts(team) == before


def test_a_copy_to_a_new_local_file_keeps_everything(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    assert run("--db", source, "demo", "--leads", "30")[0] == 0
    code, _out, err = run("db", "copy", "--from", source, "--to", target)
    assert code == 0, err
    assert _counts(target) == _counts(source)
    assert _history(target) == _history(source)


def test_an_export_reimports_without_the_formula_guard(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    target = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    assert run("--db", source, "demo", "--leads", "40")[0] == 0
    engine = make_engine(source)
    with engine.begin() as conn:
        conn.execute(text("update leads set display_name = '-Ann', first_name = '-Ann' "
                          "where id = (select min(id) from leads)"))  # fmt: skip
        phones = {r[0] for r in conn.execute(text("select phone from leads")) if r[0]}
    engine.dispose()
    assert any(p.startswith("+") for p in phones)
    export = tmp_path / "leads.csv"
    assert run("--db", source, "--as", OWNER, "export", "leads", str(export))[0] == 0
    with export.open(encoding="utf-8-sig") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert any(c.startswith("'+") for c in cells)  # the file itself stays formula-safe
    assert run("--db", target, "demo", "--leads", "0")[0] == 0
    code, _out, err = run("--db", target, "--as", OWNER, "import", str(export), "--no-route")
    assert code == 0, err
    engine = make_engine(target)
    with engine.connect() as conn:
        imported = {r[0] for r in conn.execute(text("select phone from leads")) if r[0]}
        names = {r[0] for r in conn.execute(text("select display_name from leads"))}
    engine.dispose()
    assert not any(p.startswith("'") for p in imported)
    assert phones <= imported or {p.replace(" ", "") for p in phones} <= {
        p.replace(" ", "") for p in imported
    }
    assert any(n.startswith("-Ann") for n in names)
    assert not any(n.startswith("'") for n in names)
