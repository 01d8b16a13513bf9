"""CLI round trips for scoring, routing, assignment and contact logging, on both stores;
writing commands act as the global `--as` user, and a rep is refused with one line."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from sqlalchemy import update

from app.cli import core as cli
from app.clock import SettableClock
from app.demo import generator as demo
from app.models import AuditEvent, Lead, LeadStatus, Setting
from app.store.db import Store, unit_of_work

MANAGER = "marcus.webb@leadgate.example"
REP = "jonas.becker@leadgate.example"


@pytest.fixture
def run(store: Store, clock: SettableClock, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    monkeypatch.setattr(cli, "CliContext", functools.partial(cli.CliContext, clock=clock))
    url = store.url.render_as_string(hide_password=False)

    def call(*args: str, expect: int = 0, as_: str | None = None) -> Any:
        code = cli.main(["--db", url, *(("--as", as_) if as_ else ()), *args])
        out, err = capsys.readouterr()
        assert code == expect, err
        return json.loads(out) if "--json" in args else (out, err)

    with unit_of_work(store.session_factory) as s:
        demo.generate(s, clock, leads=200, accounts=30)
    return call


def test_recompute_explain_and_list_agree(run: Any, clock: SettableClock) -> None:
    clock.advance(days=10)
    result = run("score", "recompute", "--json", as_=MANAGER)
    assert result["scored"] == 200 and result["changed"] > 0
    leads = run("leads", "list", "--sort", "score", "--json")
    assert [r["score"] for r in leads] == sorted((r["score"] for r in leads), reverse=True)
    top = leads[0]
    assert {
        "score",
        "tier",
        "fit",
        "intent",
        "authority",
        "timing",
        "owner",
        "first_response_due",
    } <= set(top)
    explained = run("score", "explain", str(top["id"]), "--json")
    assert sum(c["points"] for c in explained["contributions"]) == top["score"]
    assert explained["sub_scores"] == {k: top[k] for k in ("fit", "intent", "authority", "timing")}


def test_list_filters_by_tier_owner_and_unassigned(run: Any) -> None:
    urgent = run("leads", "list", "--tier", "Urgent", "--json")
    assert urgent and {r["tier"] for r in urgent} == {"Urgent"}
    mine = run("leads", "list", "--owner", "jonas.becker@leadgate.example", "--json")
    assert mine and {r["owner"] for r in mine} == {"Jonas Becker"}
    unassigned = run("leads", "list", "--unassigned", "--json")
    assert all(r["owner"] is None for r in unassigned)
    _, err = run("leads", "list", "--owner", "nobody@example.test", expect=1)
    assert "No user matches" in err


def test_route_unassigned_then_contact(run: Any, store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        s.execute(
            update(Lead).where(Lead.status == LeadStatus.OPEN, Lead.id <= 60).values(owner_id=None)
        )
    before = run("leads", "list", "--unassigned", "--status", "open", "--json")
    assert len(before) >= 10
    decisions = run("route", "--unassigned", "--json", as_=MANAGER)
    assert {d["lead_id"] for d in decisions} == {r["id"] for r in before}
    assert all(d["reason"] for d in decisions)
    queued = {d["lead_id"] for d in decisions if d["owner_id"] is None}
    after = run("leads", "list", "--unassigned", "--status", "open", "--json")
    assert {r["id"] for r in after} == queued
    routed = run("leads", "list", "--status", "open", "--json")
    reasons = {r["id"]: r["routing_reason"] for r in routed}
    assert all(reasons[d["lead_id"]] == d["reason"] for d in decisions)

    lead = next(r["id"] for r in routed if r["first_contacted_at"] is None)
    clock.advance(minutes=3)
    by = ("--as", "marcus.webb@leadgate.example")  # `leads contact` acts as someone
    first = run(*by, "leads", "contact", str(lead), "--channel", "call", "--json")
    again = run(*by, "leads", "contact", str(lead), "--channel", "email", "--json")
    assert first["first_contact"] is True and again["first_contact"] is False
    rows = run("leads", "list", "--search", "", "--json")
    row = next(r for r in rows if r["id"] == lead)
    assert row["first_contacted_at"] == clock.now().isoformat()


def test_route_needs_ids_or_unassigned(run: Any) -> None:
    _, err = run("route", expect=2)
    assert "Give lead ids or --unassigned" in err
    _, err = run("route", "999999", expect=1, as_=MANAGER)
    assert "No lead with id 999999" in err
    _, err = run("score", "explain", "999999", expect=1)
    assert "no lead with id 999999" in err


def test_route_accuracy_reports_share_keeping_first_owner(run: Any) -> None:
    stats = run("route", "--accuracy", "--json")
    assert stats["routed"] == 200
    assert 0 < stats["accuracy"] <= 1


def _snapshot(store: Store) -> tuple[Any, ...]:
    """Everything the refused commands could have touched."""
    from sqlalchemy import func, select

    with store.session() as s:
        leads = s.execute(
            select(Lead.id, Lead.owner_id, Lead.score, Lead.tier, Lead.version).order_by(Lead.id)
        ).all()
        audits = s.scalar(select(func.count()).select_from(AuditEvent))
        settings = s.execute(select(Setting.key, Setting.value).order_by(Setting.key)).all()
    return tuple(map(tuple, leads)), audits, tuple(map(tuple, settings))


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (("score", "recompute"), "rescore every lead"),
        (("route", "--unassigned"), "assign or reassign leads"),
        (("route", "1", "2"), "assign or reassign leads"),
        (("leads", "assign", "1", "--to", MANAGER), "assign or reassign leads"),
        (("score", "sources", "--apply"), "change the scoring rules"),
    ],
)
def test_a_rep_is_refused_in_one_line_and_nothing_changes(
    run: Any, store: Store, clock: SettableClock, command: tuple[str, ...], action: str
) -> None:
    with unit_of_work(store.session_factory) as s:
        s.execute(update(Lead).where(Lead.id <= 20).values(owner_id=None))
    clock.advance(days=30)  # a rescore or a route would change scores and owners
    before = _snapshot(store)
    out, err = run(*command, expect=4, as_=REP)
    assert out == ""
    assert err == f"leadgate: Only a manager or the owner can {action}; Jonas Becker is a rep.\n"
    assert _snapshot(store) == before


def test_the_actor_comes_from_leadgate_user_too(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADGATE_USER", REP)
    _, err = run("score", "recompute", expect=4)
    assert "Jonas Becker is a rep" in err
    monkeypatch.setenv("LEADGATE_USER", MANAGER)
    assert run("score", "recompute", "--json")["scored"] == 200


def test_a_manager_assigns_and_unassigns_leads(run: Any, store: Store) -> None:
    from app.services.team.users import find_user

    leads = run("leads", "list", "--owner", REP, "--json")[:2]
    ids = [str(r["id"]) for r in leads]
    done = run("leads", "assign", *ids, "--to", "Lars Eklund", "--json", as_=MANAGER)
    assert done["changed"] == 2
    with store.session() as s:
        lars = find_user(s, "Lars Eklund")
        for r in leads:
            lead = s.get(Lead, r["id"])
            assert lars is not None and lead is not None and lead.owner_id == lars.id
            assert lead.routing_reason == "Assigned by Marcus Webb"
    out, _ = run("leads", "assign", ids[0], "--nobody", as_=MANAGER)
    assert out == "Assigned 1 of 1 lead(s) to nobody.\n"
    _, err = run("leads", "assign", "999999", "--to", REP, expect=1, as_=MANAGER)
    assert err == "leadgate: There is no lead 999999; nothing was assigned.\n"
    _, err = run("leads", "assign", ids[0], "--to", "nobody@example.test", expect=1, as_=MANAGER)
    assert "no team member" in err


def test_a_manager_applies_the_suggested_source_weights(run: Any, store: Store) -> None:
    from app.services.scoring.rules import load_rules

    suggested = {r["source"]: r["suggested_weight"] for r in run("score", "sources", "--json")}
    assert suggested
    result = run("score", "sources", "--apply", "--json", as_=MANAGER)
    assert result["rescored"]["scored"] == 200
    with store.session() as s:
        weights = load_rules(s)["fit"]["source"]
    assert {k: weights[k] for k in suggested} == suggested
