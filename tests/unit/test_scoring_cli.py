"""CLI round trips for scoring, routing and contact logging, on both stores."""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from sqlalchemy import update

from app.cli import core as cli
from app.clock import SettableClock
from app.demo import generator as demo
from app.models import Lead, LeadStatus
from app.store.db import Store, unit_of_work


@pytest.fixture
def run(store: Store, clock: SettableClock, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    monkeypatch.setattr(cli, "CliContext", functools.partial(cli.CliContext, clock=clock))
    url = store.url.render_as_string(hide_password=False)

    def call(*args: str, expect: int = 0) -> Any:
        code = cli.main(["--db", url, *args])
        out, err = capsys.readouterr()
        assert code == expect, err
        return json.loads(out) if "--json" in args else (out, err)

    with unit_of_work(store.session_factory) as s:
        demo.generate(s, clock, leads=200, accounts=30)
    return call


def test_recompute_explain_and_list_agree(run: Any, clock: SettableClock) -> None:
    clock.advance(days=10)
    result = run("score", "recompute", "--json")
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
    decisions = run("route", "--unassigned", "--json")
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
    first = run("leads", "contact", str(lead), "--channel", "call", "--json")
    again = run("leads", "contact", str(lead), "--channel", "email", "--json")
    assert first["first_contact"] is True and again["first_contact"] is False
    rows = run("leads", "list", "--search", "", "--json")
    row = next(r for r in rows if r["id"] == lead)
    assert row["first_contacted_at"] == clock.now().isoformat()


def test_route_needs_ids_or_unassigned(run: Any) -> None:
    _, err = run("route", expect=2)
    assert "Give lead ids or --unassigned" in err
    _, err = run("route", "999999", expect=1)
    assert "No lead with id 999999" in err
    _, err = run("score", "explain", "999999", expect=1)
    assert "no lead with id 999999" in err


def test_route_accuracy_reports_share_keeping_first_owner(run: Any) -> None:
    stats = run("route", "--accuracy", "--json")
    assert stats["routed"] == 200
    assert 0 < stats["accuracy"] <= 1
