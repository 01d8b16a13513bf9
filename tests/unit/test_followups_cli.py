from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from app.cli.core import main
from app.clock import SettableClock
from app.services.followups import cadence as cad
from app.store.db import Store, unit_of_work
from tests.helpers.followups import make_lead, make_team


@pytest.fixture
def planned(sqlite_store: Store, clock: SettableClock) -> dict[str, int]:
    with unit_of_work(sqlite_store.session_factory) as s:
        team = make_team(s)
        a = make_lead(s, team, clock.now(), tier="Urgent")
        b = make_lead(s, team, clock.now(), owner=team.rep_b, tier="Low")
        b.display_name, b.company = "Bo Berg", "Beta AB"
        cad.start_cadence(s, clock, a.id)
        cad.start_cadence(s, clock, b.id)
        stale = make_lead(s, team, clock.now() - timedelta(days=2), tier="High")
    return {"a": a.id, "b": b.id, "stale": stale.id, "rep_b": team.rep_b}


def run(store: Store, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--db", store.url.render_as_string(), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_timers_sweep_json_is_idempotent(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        sqlite_store, capsys, "timers", "sweep", "--now", "2026-03-02T09:00:00Z", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["now"] == "2026-03-02T09:00:00+00:00"
    assert data["counts"] == {"sla": 1, "sla_escalation": 1, "stale": 1}
    assert {a["lead_id"] for a in data["fired"]} == {planned["stale"]}
    _, again, _ = run(
        sqlite_store, capsys, "timers", "sweep", "--now", "2026-03-02T09:00:00Z", "--json"
    )
    assert json.loads(again)["fired"] == []
    code, out, _ = run(sqlite_store, capsys, "alerts", "list", "--json")
    assert code == 0 and len(json.loads(out)) == 3


def test_followups_list_filters_by_owner_and_due(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        sqlite_store, capsys, "followups", "list", "--owner", "ben@example.com", "--json"
    )
    rows = json.loads(out)
    assert code == 0 and {r["lead_id"] for r in rows} == {planned["b"]} and len(rows) == 3
    _, out, _ = run(
        sqlite_store, capsys, "followups", "list", "--due-before", "2026-03-02T10:00:00Z", "--json"
    )
    assert [(r["lead_id"], r["type"]) for r in json.loads(out)] == [(planned["a"], "email")]
    code, _, err = run(sqlite_store, capsys, "followups", "list", "--due-before", "soon")
    assert code == 2 and "not an ISO date-time" in err
    code, _, err = run(sqlite_store, capsys, "followups", "list", "--owner", "nobody@x")
    assert code == 2 and "No user 'nobody@x'" in err


def test_calendar_export_is_a_valid_ics_with_the_reps_events(
    sqlite_store: Store,
    planned: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    target = tmp_path / "ben.ics"
    code, out, _ = run(
        sqlite_store, capsys, "calendar", "export", str(target), "--owner", "Ben Rep"
    )
    assert code == 0 and "Wrote 3 follow-ups" in out
    cal = Calendar.from_ical(target.read_bytes())
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    uids = {str(e["UID"]) for e in events}
    assert len(uids) == 3 and all(u.startswith("leadgate-followup-") for u in uids)
    first = min(events, key=lambda e: e.decoded("DTSTART"))
    assert str(first["SUMMARY"]) == "Email: Bo Berg (Beta AB)"
    start, end = first.decoded("DTSTART"), first.decoded("DTEND")
    assert start.isoformat() == "2026-03-05T09:00:00+00:00"  # Low: day-1 e-mail within 72 h
    assert end - start == timedelta(minutes=15)
    assert "DTSTAMP" in first and "Owner: Ben Rep" in str(first["DESCRIPTION"])
    code, _, err = run(sqlite_store, capsys, "calendar", "export", str(tmp_path / "no" / "x.ics"))
    assert code == 1 and "Cannot write" in err


def test_done_skip_and_reply_commands(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(sqlite_store, capsys, "followups", "list", "--json")
    rows = json.loads(out)
    code, out, _ = run(
        sqlite_store, capsys, "followups", "done", str(rows[0]["id"]), "--outcome", "Sent"
    )
    assert code == 0 and "done: Sent" in out
    code, _, _ = run(sqlite_store, capsys, "followups", "skip", str(rows[1]["id"]))
    assert code == 0
    code, out, _ = run(sqlite_store, capsys, "followups", "reply", str(planned["a"]))
    assert code == 0 and "step(s) stopped" in out
    code, _, err = run(sqlite_store, capsys, "followups", "done", "999999")
    assert code == 1 and "No follow-up 999999" in err


def test_cadences_can_be_listed_and_edited(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(sqlite_store, capsys, "cadences", "list", "--json")
    cadences = {c["name"]: c for c in json.loads(out)}
    assert code == 0 and set(cadences) >= {"Urgent active", "Low nurture", "Re-engagement"}
    call = cadences["High active"]["steps"][1]
    assert (call["channel"], call["offset_days"]) == ("call", 2.0)
    code, out, _ = run(
        sqlite_store,
        capsys,
        "cadences",
        "edit-step",
        str(call["id"]),
        "--offset-days",
        "1",
        "--subject",
        "Quick call with {first_name}",
    )
    assert code == 0 and "day 2, call" in out
    code, _, err = run(
        sqlite_store, capsys, "cadences", "edit-step", str(call["id"]), "--channel", "fax"
    )
    assert code == 1 and "Channel must be one of" in err
    code, _, err = run(sqlite_store, capsys, "cadences", "edit-step", str(call["id"]))
    assert code == 2 and "Nothing to change" in err


def test_a_headless_sweep_applies_score_decay(
    sqlite_store: Store, clock: SettableClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.models import Lead
    from app.services.scoring import core as scoring
    from tests.helpers.inbox_data import add_event, add_lead

    with unit_of_work(sqlite_store.session_factory) as s:
        make_team(s)
        lead = add_lead(
            s,
            clock.now(),
            display_name="Zelda Quickfire",
            title="CEO",
            industry="Software",
            headcount=400,
            country="Germany",
            qualifiers={"timeframe": "This quarter", "budget": "Approved", "rating": "Hot"},
            status="open",
        )
        add_event(s, lead, "demo_request", clock.now())
        add_event(s, lead, "badge_scan", clock.now(), rating="Hot")
        scoring.rescore_leads(s, clock, [lead.id])
        lead_id, tier_before = lead.id, lead.tier
    assert tier_before == "Urgent"
    later = (clock.now() + timedelta(days=60)).isoformat()
    code, out, _ = run(sqlite_store, capsys, "timers", "sweep", "--now", later, "--json")
    assert code == 0 and json.loads(out)["decay_refreshed"] is True
    with sqlite_store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.tier != "Urgent"  # the faded engagement counts
