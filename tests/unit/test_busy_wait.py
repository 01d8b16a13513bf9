"""While another writer (an import) holds a local store's write lock, a CLI write waits its
turn and then goes through, saying so once on stderr (issue 16 item 4)."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from app.cli import core
from app.cli.core import main
from app.demo.generator import ensure_team
from app.models import Lead
from app.services.errors import StoreLocked
from app.services.leads import api
from app.store import db
from app.store.db import Store, unit_of_work

MANAGER = "marcus.webb@leadgate.example"
WAITING = "leadgate: waiting for another writer (e.g. an import) to finish…\n"


@pytest.fixture(autouse=True)
def _team(sqlite_store: Store, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with unit_of_work(sqlite_store.session_factory) as session:
        ensure_team(session, clock)
    monkeypatch.setenv("LEADGATE_USER", MANAGER)
    monkeypatch.setattr(core, "BUSY_RETRY_PAUSE_S", 0.0)


def _add(store: Store, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    url = store.url.render_as_string(hide_password=False)
    code = main(["--db", url, *extra, "leads", "add", "--set", "name=Grace Hopper", "--json"])
    out, err = capsys.readouterr()
    return code, out, err


def _locked_first(times: int, calls: list[int]) -> Any:
    real = api.create_lead

    def create(*args: Any) -> Any:
        calls.append(1)
        if len(calls) <= times:
            raise StoreLocked("The store is busy (an import is running); nothing was changed.")
        return real(*args)

    return create


def test_a_write_waits_for_the_lock_and_says_so_once(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(api, "create_lead", _locked_first(2, calls))
    code, out, err = _add(sqlite_store, capsys)
    assert (code, err, len(calls)) == (0, WAITING, 3)
    assert json.loads(out)["name"] == "Grace Hopper"


def test_the_wait_is_bounded_then_one_line(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr(api, "create_lead", _locked_first(10**6, calls))
    monkeypatch.setenv("LEADGATE_BUSY_WAIT", "0")
    code, out, err = _add(sqlite_store, capsys)
    assert (code, out, len(calls)) == (1, "", 1)
    assert err == "leadgate: The store is busy (an import is running); nothing was changed.\n"
    code, _, err = _add(sqlite_store, capsys, "--busy-wait", "nan")
    assert code == 2 and "--busy-wait" in err and err.count("\n") == 1


def test_a_real_second_writer_goes_through_once_the_first_commits(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 20)  # each attempt gives up quickly
    path = sqlite_store.url.database
    assert path is not None
    held, release = threading.Event(), threading.Event()
    calls: list[int] = []
    real = api.create_lead

    def create(*args: Any) -> Any:
        calls.append(1)
        if len(calls) >= 2:  # the first attempt was refused: let the import finish
            release.set()
        return real(*args)

    def importer() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")  # SQLite's one write lock, as an import holds it
        conn.execute("UPDATE users SET name = name")
        held.set()
        release.wait(30)
        conn.execute("COMMIT")
        conn.close()

    monkeypatch.setattr(api, "create_lead", create)
    holder = threading.Thread(target=importer)
    holder.start()
    assert held.wait(10)
    try:
        code, out, err = _add(sqlite_store, capsys)
    finally:
        release.set()
        holder.join(10)
    assert (code, err) == (0, WAITING)
    assert len(calls) >= 2 and json.loads(out)["name"] == "Grace Hopper"
    with sqlite_store.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 1


def test_a_command_that_committed_part_of_its_work_is_not_run_again(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = api.create_lead

    def create_then_locked(*args: Any) -> Any:
        calls.append(1)
        real(*args)  # committed
        raise StoreLocked("The store is busy (an import is running); nothing was changed.")

    monkeypatch.setattr(api, "create_lead", create_then_locked)
    code, out, err = _add(sqlite_store, capsys)
    assert (code, out, len(calls)) == (1, "", 1)
    assert err == "leadgate: The store is busy (an import is running); nothing was changed.\n"
