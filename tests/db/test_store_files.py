"""The local store file: damaged, empty, missing, read-only, upgraded, opened by several
processes at once, and kept private."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from app.cli.core import main
from app.store import db as store_db
from app.store.db import StoreError, make_engine, open_store, schema_status, upgrade
from app.store.files import store_lock

ROOT = Path(__file__).resolve().parents[2]
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def _made(path: Path, leads: int = 20) -> Path:
    code, _out, err = run("--db", f"sqlite:///{path}", "demo", "--leads", str(leads))
    assert code == 0, err
    return path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_empty_file_is_not_a_store_and_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "leadgate.sqlite3"
    path.touch()
    code, _out, err = run("--db", f"sqlite:///{path}", "leads", "list")
    assert code == 1
    assert err.count("\n") == 1 and "is empty (0 bytes), not a Leadgate store" in err
    assert path.stat().st_size == 0


def test_a_file_that_is_not_sqlite_names_the_newest_backup(tmp_path: Path) -> None:
    path = _made(tmp_path / "leadgate.sqlite3")
    older = tmp_path / "leadgate.backup-20260101-090000.sqlite3"
    newer = tmp_path / "leadgate.manual-20260201-090000.sqlite3"
    for backup in (older, newer):
        backup.write_bytes(path.read_bytes())
    path.write_bytes(b"PK\x03\x04 a spreadsheet" * 200)
    code, _out, err = run("--db", f"sqlite:///{path}", "leads", "list")
    assert code == 1 and err.count("\n") == 1
    assert "is not a SQLite database" in err and str(newer) in err


def test_damage_inside_the_file_is_found_by_db_check(tmp_path: Path) -> None:
    path = _made(tmp_path / "leadgate.sqlite3", leads=200)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    code, out, err = run("--db", f"sqlite:///{path}", "db", "check")
    assert code == 0 and "no problems found" in out, err
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(3 * page + 100, len(data) - page, 7 * page):  # flip bytes in later pages
        data[i : i + 64] = bytes(b ^ 0xFF for b in data[i : i + 64])
    path.write_bytes(bytes(data))
    code, _out, err = run("--db", f"sqlite:///{path}", "db", "check")
    assert code == 1 and err.count("\n") == 1 and "is damaged" in err


def test_a_truncated_file_is_refused_in_one_line(tmp_path: Path) -> None:
    path = _made(tmp_path / "leadgate.sqlite3", leads=200)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    path.write_bytes(path.read_bytes()[:3000])
    for command in (["leads", "list"], ["db", "check"]):
        code, _out, err = run("--db", f"sqlite:///{path}", *command)
        assert code == 1 and err.count("\n") == 1, err
        assert "Traceback" not in err


def test_a_missing_store_is_created_only_when_asked_and_privately(tmp_path: Path) -> None:
    path = tmp_path / "data" / "leadgate.sqlite3"
    code, _out, err = run("--db", f"sqlite:///{path}", "leads", "list")
    assert code == 1 and "There is no Leadgate store at" in err
    assert not path.parent.exists()
    code, out, err = run("--db", f"sqlite:///{path}", "db", "init")
    assert code == 0 and "ready" in out, err
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    code, _out, err = run("--db", f"sqlite:///{path}", "leads", "list")
    assert code == 0, err


def test_the_pre_upgrade_backup_is_checked_and_private(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0007")
    engine.dispose()
    store = open_store(f"sqlite:///{path}", now=NOON)
    assert schema_status(store.engine).state.value == "current"
    store.dispose()
    backup = tmp_path / "old.backup-20260302-120000.sqlite3"
    assert _mode(backup) == 0o600
    conn = sqlite3.connect(backup)
    assert conn.execute("select version_num from alembic_version").fetchone() == ("0007",)
    conn.close()
    assert not list(tmp_path.glob(".*partial"))


def test_a_failed_pre_upgrade_backup_refuses_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0007")
    engine.dispose()

    def disk_full(_source: Path, target: Path) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_db, "safe_copy", disk_full)
    with pytest.raises(StoreError, match="was not upgraded"):
        open_store(f"sqlite:///{path}", now=NOON)
    engine = make_engine(f"sqlite:///{path}")
    assert schema_status(engine).store_revision == "0007"
    engine.dispose()
    assert not list(tmp_path.glob("old.backup-*"))


def test_a_read_only_store_reads_and_refuses_writes_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _made(tmp_path / "leadgate.sqlite3")
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        lead_id = conn.execute(text("select min(id) from leads")).scalar()
    engine.dispose()
    monkeypatch.setattr(store_db, "is_writable", lambda _path: False)
    url = f"sqlite:///{path}"
    owner = ["--as", "olivia.hart@leadgate.example"]
    code, out, err = run("--db", url, *owner, "leads", "list", "--json")
    assert code == 0 and out.startswith("["), err
    code, _out, err = run(
        "--db", url, *owner, "leads", "update", str(lead_id), "--set", "title=Boss"
    )
    assert code == 1 and err.count("\n") == 1 and "the store is read-only" in err


def test_a_password_in_the_url_is_warned_about_and_never_shown() -> None:
    code, _out, err = run(
        "--db", "postgresql://someone:s3cret@127.0.0.1:1/nothing", "leads", "list"
    )
    assert code == 1
    assert "visible to other users in the process list" in err
    assert "s3cret" not in err


def test_several_processes_creating_one_store_take_turns(tmp_path: Path) -> None:
    path = tmp_path / "new" / "leadgate.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "--db", f"sqlite:///{path}", "db", "init"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    engine = make_engine(f"sqlite:///{path}")
    assert schema_status(engine).state.value == "current"
    engine.dispose()


def test_the_store_lock_is_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    script = (
        "import sys; from pathlib import Path; from app.store.files import store_lock\n"
        "with store_lock(Path(sys.argv[1])): print('got it')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with store_lock(path):
        other = subprocess.Popen(
            [sys.executable, "-c", script, str(path)], env=env, stdout=subprocess.PIPE, text=True
        )
        with pytest.raises(subprocess.TimeoutExpired):
            other.wait(timeout=1.5)
    assert other.wait(timeout=30) == 0
    assert other.stdout is not None and other.stdout.read() == "got it\n"


def test_backups_and_import_error_files_are_private(tmp_path: Path) -> None:
    from app.backup import backup_store

    path = _made(tmp_path / "leadgate.sqlite3")
    copy = backup_store(path, tmp_path / "leadgate.manual-20260302-120000.sqlite3")
    assert _mode(copy) == 0o600
    bad = tmp_path / "scans.csv"
    bad.write_text("first_name,last_name,email\nAna,Ruiz,not-an-address\n,,\nBo,Li,bo@x.example\n")
    errors = tmp_path / "errors.csv"
    code, _out, err = run(
        "--db", f"sqlite:///{path}", "--as", "olivia.hart@leadgate.example", "import", str(bad),
        "--error-file", str(errors), "--no-route",
    )  # fmt: skip
    assert code == 0, err
    assert errors.exists() and _mode(errors) == 0o600
