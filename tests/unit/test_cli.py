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


def test_more_demo_data_only_by_the_owner_once_there_is_a_team(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _url(store)
    monkeypatch.delenv("LEADGATE_USER", raising=False)
    code, _, _ = run(capsys, "--db", url, "demo", "--leads", "10", "--accounts", "3")
    assert code == 0  # an empty store: no one to act as, and no need to
    rep = "priya.natarajan@leadgate.example"
    code, out, err = run(capsys, "--db", url, "--as", rep, "demo", "--leads", "10")
    assert (code, out) == (4, "")
    assert err == "leadgate: Only the owner can build demo data; Priya Natarajan is a rep.\n"
    code, out, _ = run(capsys, "--db", url, "leads", "list", "--json")
    assert len(json.loads(out)) == 10  # nothing added
    owner = "olivia.hart@leadgate.example"
    code, _, _ = run(capsys, "--db", url, "--as", owner, "demo", "--leads", "5", "--seed", "9")
    assert code == 0
    code, out, _ = run(capsys, "--db", url, "leads", "list", "--json")
    assert len(json.loads(out)) == 15


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


def test_only_a_manager_or_the_owner_adds_a_team_member(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.clock import SystemClock
    from app.demo.generator import ensure_team
    from app.store.db import unit_of_work

    with unit_of_work(store.session_factory) as session:
        ensure_team(session, SystemClock())
    url = _url(store)
    rep, manager = "priya.natarajan@leadgate.example", "marcus.webb@leadgate.example"
    new = ("users", "add", "Ada Byron", "ada@leadgate.example", "--role", "rep")
    code, out, err = run(capsys, "--db", url, "--as", rep, *new)
    assert (code, out) == (4, "")
    assert (
        err
        == "leadgate: Only a manager or the owner can change the team; Priya Natarajan is a rep.\n"
    )
    code, out, _ = run(capsys, "--db", url, "--as", manager, *new, "--json")
    assert code == 0 and json.loads(out)["email"] == "ada@leadgate.example"
    code, _, err = run(capsys, "--db", url, "--as", manager, *new)
    assert code == 1 and err == "leadgate: ada@leadgate.example is already on the team.\n"
    code, out, _ = run(capsys, "--db", url, "users", "list", "--json")
    assert [u["email"] for u in json.loads(out)].count("ada@leadgate.example") == 1


def test_leads_add_after_demo_gets_a_fresh_id_on_every_store(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """PostgreSQL's id sequences follow the ids the demo wrote itself (no duplicate key)."""
    url = _url(store)
    code, _, err = run(capsys, "--db", url, "demo", "--leads", "40", "--seed", "2")
    assert code == 0, err
    code, out, err = run(
        capsys, "--db", url, "--as", "1", "leads", "add", "--set", "name=Zed New", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["id"] == 41


def test_an_unexpected_error_is_one_line_never_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import IntegrityError

    import app.cli.users as users_cli

    def refused(*_args: object) -> int:
        raise IntegrityError("INSERT ...", {}, Exception('duplicate key "pk_leads"\nDETAIL: x'))

    monkeypatch.setattr(users_cli, "list_users", refused)
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    assert run(capsys, "--db", url, "db", "init")[0] == 0
    code, out, err = run(capsys, "--db", url, "users", "list")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("leadgate: the store refused the change") and "pk_leads" in err


def test_every_command_accepts_now_after_it(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.cli.core import build_parser

    parser = build_parser()
    commands = [
        ["leads", "list"],
        ["settings", "show"],
        ["report", "funnel"],
        ["users", "list"],
        ["timers", "sweep"],
    ]
    for words in commands:
        args = parser.parse_args([*words, "--now", "2026-03-02T09:00"])
        assert "2026-03-02T09:00" in (
            getattr(args, "command_now", None),
            getattr(args, "now", None),
        )
    url = f"sqlite:///{tmp_path / 'y.sqlite3'}"
    run(capsys, "--db", url, "demo", "--leads", "10")
    code, out, _ = run(
        capsys,
        "--db",
        url,
        "--as",
        "1",
        "timers",
        "sweep",
        "--now",
        "2026-03-02T09:00:00Z",
        "--json",
    )
    assert code == 0 and json.loads(out)["now"] == "2026-03-02T09:00:00+00:00"
    code, _, err = run(capsys, "--db", url, "leads", "list", "--now", "yesterday")
    assert code == 2 and err.strip() == "leadgate: --now yesterday: not an ISO date and time."
