"""`leads add/show/update/move` and `pipeline show` round trips through app.cli.core.main.

Writing commands act as the global `--as USER`; the fixture below makes the manager the
default ($LEADGATE_USER) where a test does not say.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import update

from app.cli.core import main
from app.demo.generator import ensure_team
from app.models import User
from app.store.db import Store, unit_of_work

MANAGER = "marcus.webb@leadgate.example"
REP = "priya.natarajan@leadgate.example"


@pytest.fixture(autouse=True)
def _team(store: Store, clock, monkeypatch: pytest.MonkeyPatch) -> None:
    with unit_of_work(store.session_factory) as session:
        ensure_team(session, clock)
    monkeypatch.setenv("LEADGATE_USER", MANAGER)


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
    _, lead = _run(capsys, store, "leads", "add", "--set", "name=Linus", "--json")
    lead_id = str(lead["id"])
    code, err = _run(
        capsys, store, "--as", REP, "leads", "move", lead_id, "Initial", "--override", "x"
    )
    assert code == 4
    assert err.strip().splitlines() == [
        "leadgate: Only a manager or the owner can override a gate; ask one to move this "
        "lead, or meet the missing criteria."
    ]
    _, shown = _run(capsys, store, "leads", "show", lead_id, "--json")
    assert shown["stage"] == "New"
    kinds = {h["kind"] for h in shown["history"]}
    assert "created" in kinds and not kinds & {"blocked", "override", "forward"}
    code, moved = _run(
        capsys,
        store,
        "leads",
        "move",
        lead_id,
        "Initial",
        "--override",
        "Board member referral",
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


def test_a_rep_cannot_reassign_from_the_cli(store: Store, capsys) -> None:
    _, lead = _run(
        capsys, store, "leads", "add", "--set", "name=Ada", "--set", f"owner={REP}", "--json"
    )
    lead_id = str(lead["id"])
    code, err = _run(
        capsys,
        store,
        "--as",
        REP,
        "leads",
        "update",
        lead_id,
        "--set",
        "owner=lars.eklund@leadgate.example",
    )
    assert code == 4
    assert err.strip() == (
        f"leadgate: Only a manager or the owner can give lead {lead_id} to someone else; "
        "Priya Natarajan is a rep."
    )
    _, shown = _run(capsys, store, "leads", "show", lead_id, "--json")
    assert shown["owner"] == "Priya Natarajan"
    # The rep may still edit other fields; the manager may reassign.
    code, _ = _run(capsys, store, "--as", REP, "leads", "update", lead_id, "--set", "title=CTO")
    assert code == 0
    code, _ = _run(
        capsys, store, "leads", "update", lead_id, "--set", "owner=lars.eklund@leadgate.example"
    )
    assert code == 0
    _, shown = _run(capsys, store, "leads", "show", lead_id, "--json")
    assert shown["owner"] == "Lars Eklund"


def test_writing_commands_need_someone_to_act_as(
    store: Store, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LEADGATE_USER")
    code, err = _run(capsys, store, "--as", "nobody@x.test", "leads", "add", "--set", "name=X")
    assert code == 1 and "no team member" in err
    code, leads = _run(capsys, store, "leads", "list", "--json")
    assert leads == []


def test_leads_contact_is_logged_by_the_actor(store: Store, capsys) -> None:
    _, lead = _run(capsys, store, "leads", "add", "--set", "name=Barbara", "--json")
    lead_id = str(lead["id"])
    code, first = _run(
        capsys, store, "--as", REP, "leads", "contact", lead_id, "--channel", "call", "--json"
    )
    assert code == 0 and first["first_contact"] is True
    # --by is a deprecated spelling of --as; two different people is a usage error.
    code, again = _run(
        capsys, store, "leads", "contact", lead_id, "--channel", "email", "--by", REP, "--json"
    )
    assert code == 0 and again["first_contact"] is False
    code, err = _run(
        capsys, store, "--as", MANAGER, "leads", "contact", lead_id, "--channel", "email",
        "--by", REP,
    )  # fmt: skip
    assert code == 2 and "not both" in err
    code, err = _run(capsys, store, "leads", "contact", "999999", "--channel", "call")
    assert code == 1 and err.count("\n") == 1 and "999999" in err
