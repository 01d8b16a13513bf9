from __future__ import annotations

import json

import pytest

from app.cli.core import main
from app.store.db import Store


def _url(store: Store) -> str:
    return store.url.render_as_string(hide_password=False)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_then_list_round_trip(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    url = _url(store)
    code, out, _ = run(capsys, "--db", url, "demo", "--leads", "80", "--seed", "4", "--json")
    assert code == 0 and json.loads(out)["leads"] == 80
    code, out, _ = run(capsys, "--db", url, "leads", "list", "--json", "--limit", "5")
    assert code == 0
    leads = json.loads(out)
    assert len(leads) == 5
    required = {
        "id",
        "name",
        "first_name",
        "last_name",
        "email",
        "company",
        "title",
        "phone",
        "stage",
        "status",
        "owner",
        "source",
        "event",
        "incomplete",
    }
    assert required <= set(leads[0])
    code, out, _ = run(capsys, "--db", url, "users", "list", "--json")
    users = json.loads(out)
    assert {"id", "name", "email", "role", "territory", "capacity", "available"} <= set(users[0])
    assert [u["role"] for u in users][:2] == ["owner", "manager"]
    code, out, _ = run(capsys, "--db", url, "db", "current", "--json")
    assert json.loads(out)["state"] == "current"


def test_errors_are_one_line_and_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", "nonsense", "users", "list")
    assert code == 1 and err.count("\n") == 1 and "not a database URL" in err
    code, _, err = run(capsys, "--db", "postgresql+psycopg://x@127.0.0.1:1/none", "leads", "list")
    assert code == 1 and err.startswith("leadgate: Cannot reach the PostgreSQL server")


def test_schema_mismatch_on_postgres_tells_to_upgrade(
    capsys: pytest.CaptureFixture[str], pg_url
) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import stores

    url = stores.create_pg_database("leadgate_cli")
    try:
        code, _, err = run(capsys, "--db", url.render_as_string(False), "users", "list")
        assert code == 1 and "leadgate db upgrade" in err
        code, out, _ = run(capsys, "--db", url.render_as_string(False), "db", "upgrade")
        assert code == 0 and "-> 0001" in out.replace(out.split("->")[-1].strip(), "0001")
        code, out, _ = run(capsys, "--db", url.render_as_string(False), "users", "list", "--json")
        assert code == 0 and json.loads(out) == []
    finally:
        stores.drop_pg_database(url)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("leadgate ")


def test_a_reader_that_stops_early_is_not_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'pipe.sqlite3'}"
    env = {"LEADGATE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "app", "--db", url, "demo", "--leads", "300"],
        check=True,
        capture_output=True,
        env=env,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--db", url, "leads", "list", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `| head -1`
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert b"Traceback" not in err


def test_the_entry_point_opens_the_window_only_without_a_command() -> None:
    from app.main import db_option, wants_window

    assert wants_window([])
    assert wants_window(["--db", "sqlite:///x.sqlite3"])
    assert wants_window(["--db=postgresql+psycopg://maria@db/sales"])
    assert not wants_window(["--db", "sqlite:///x.sqlite3", "leads", "list"])
    assert not wants_window(["--version"])
    assert not wants_window(["-h"])
    assert db_option(["--db", "sqlite:///x.sqlite3"]) == "sqlite:///x.sqlite3"
    assert db_option(["--db=sqlite:///y"]) == "sqlite:///y"
    assert db_option(["leads"]) is None
