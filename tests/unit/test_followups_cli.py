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
        stale = make_lead(s, team, clock.now() - timedelta(days=2), tier="Medium")
    return {"a": a.id, "b": b.id, "stale": stale.id, "rep_b": team.rep_b, "ana": team.rep_a}


ANA = ("--as", "ana@example.com")  # a rep
MARIA = ("--as", "maria@example.com")  # a manager


def run(store: Store, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--db", store.url.render_as_string(), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_timers_sweep_json_is_idempotent(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        sqlite_store, capsys, *ANA, "timers", "sweep", "--now", "2026-03-02T09:00:00Z", "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["now"] == "2026-03-02T09:00:00+00:00"
    assert data["counts"] == {"sla": 1, "sla_escalation": 1, "stale": 1}
    assert {a["lead_id"] for a in data["fired"]} == {planned["stale"]}
    _, again, _ = run(
        sqlite_store, capsys, *ANA, "timers", "sweep", "--now", "2026-03-02T09:00:00Z", "--json"
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
        sqlite_store, capsys, *ANA, "followups", "done", str(rows[0]["id"]), "--outcome", "Sent"
    )
    assert code == 0 and "done: Sent" in out
    code, _, _ = run(sqlite_store, capsys, *ANA, "followups", "skip", str(rows[1]["id"]))
    assert code == 0
    code, out, _ = run(sqlite_store, capsys, *ANA, "followups", "reply", str(planned["a"]))
    assert code == 0 and "step(s) stopped" in out
    code, _, err = run(sqlite_store, capsys, *ANA, "followups", "done", "999999")
    assert code == 1 and err.strip() == "leadgate: No follow-up 999999."
    _, out, _ = run(sqlite_store, capsys, "followups", "list", "--status", "all", "--json")
    by_id = {r["id"]: r for r in json.loads(out)}
    assert by_id[rows[0]["id"]]["status"] == "done" and by_id[rows[1]["id"]]["status"] == "skipped"


def test_reschedule_moves_a_follow_up_and_refuses_bad_input(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(sqlite_store, capsys, "followups", "list", "--json")
    fid = json.loads(out)[0]["id"]
    code, out, _ = run(
        sqlite_store, capsys, *ANA, "followups", "reschedule", str(fid),
        "--to", "2026-03-09T15:00:00Z", "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["due_at"].startswith("2026-03-09T15:00:00")
    code, _, err = run(
        sqlite_store, capsys, *ANA, "followups", "reschedule", str(fid), "--day", "someday"
    )
    assert code == 2 and err.count("\n") == 1 and "is not a date" in err
    code, out, _ = run(
        sqlite_store, capsys, *ANA, "followups", "reschedule", str(fid), "--day", "2026-03-11"
    )
    assert code == 0 and "now due 2026-03-11" in out


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
        *MARIA,
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
        sqlite_store, capsys, *MARIA, "cadences", "edit-step", str(call["id"]), "--channel", "fax"
    )
    assert code == 1 and "Channel must be one of" in err
    code, _, err = run(sqlite_store, capsys, *MARIA, "cadences", "edit-step", str(call["id"]))
    assert code == 2 and "Nothing to change" in err
    code, out, _ = run(
        sqlite_store, capsys, *MARIA, "cadences", "add-step", "High active",
        "--offset-days", "21", "--channel", "task", "--subject", "Last try", "--json",
    )  # fmt: skip
    added = json.loads(out)
    assert code == 0 and (added["offset_days"], added["channel"]) == (21.0, "task")
    code, out, _ = run(sqlite_store, capsys, *MARIA, "cadences", "remove-step", str(added["id"]))
    assert code == 0 and f"Step {added['id']} removed" in out
    _, out, _ = run(sqlite_store, capsys, "cadences", "list", "--json")
    high = {c["name"]: c for c in json.loads(out)}["High active"]
    assert added["id"] not in {st["id"] for st in high["steps"]}


def test_a_headless_sweep_applies_score_decay(
    sqlite_store: Store, clock: SettableClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.models import Lead
    from tests.helpers.inbox_data import add_urgent_lead

    with unit_of_work(sqlite_store.session_factory) as s:
        make_team(s)
        lead = add_urgent_lead(s, clock)
        lead_id, tier_before = lead.id, lead.tier
    assert tier_before == "Urgent"
    later = (clock.now() + timedelta(days=60)).isoformat()
    code, out, _ = run(sqlite_store, capsys, "timers", "sweep", "--now", later, "--json")
    assert code == 0 and json.loads(out)["decay_refreshed"] is True
    with sqlite_store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.tier != "Urgent"  # the faded engagement counts


@pytest.fixture
def team_store(store: Store, clock: SettableClock) -> Store:
    with unit_of_work(store.session_factory) as s:
        make_team(s)
    return store


def _cadences(store: Store) -> list[dict[str, object]]:
    with store.session() as s:
        return [c.to_dict() for c in cad.list_cadences(s)]


def _settings(store: Store) -> dict[str, object]:
    from app.services.followups.settings import load_settings

    with store.session() as s:
        return load_settings(s).to_dict()


@pytest.mark.parametrize(
    "command",
    [
        ["cadences", "edit-step", "{step}", "--subject", "Hi"],
        ["cadences", "add-step", "High active", "--offset-days", "3", "--channel", "call",
         "--subject", "Ring"],
        ["cadences", "remove-step", "{step}"],
        ["followups", "settings", "--set", "dormant_days=3"],
    ],
    ids=["edit-step", "add-step", "remove-step", "settings"],
)  # fmt: skip
def test_a_rep_cannot_change_cadences_or_settings_from_the_cli(
    team_store: Store, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    before = (_cadences(team_store), _settings(team_store))
    step = str(before[0][0]["steps"][0]["id"])  # type: ignore[index]
    args = [a.replace("{step}", step) for a in command]
    code, out, err = run(team_store, capsys, *ANA, *args)
    assert code == 4 and out == ""
    assert err == (
        "leadgate: Only a manager or the owner can change the follow-up settings; "
        "Ana Rep is a rep.\n"
    )
    assert (_cadences(team_store), _settings(team_store)) == before
    code, _, err = run(team_store, capsys, *MARIA, *args)
    assert code == 0, err


def test_settings_show_and_set_with_the_actor_from_the_environment(
    team_store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADGATE_USER", "maria@example.com")
    code, out, _ = run(
        team_store, capsys, "followups", "settings", "--set", "dormant_days=45",
        "--set", "sla_minutes.Urgent=10", "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert code == 0 and data["dormant_days"] == 45 and data["sla_minutes"]["Urgent"] == 10
    code, _, err = run(team_store, capsys, "followups", "settings", "--set", "dormant_days=0")
    assert code == 1 and err == "leadgate: dormant_days must be at least 1.\n"
    code, _, err = run(team_store, capsys, "followups", "settings", "--set", "dormant_days")
    assert code == 2 and "KEY=VALUE" in err
    code, out, _ = run(team_store, capsys, "followups", "settings")
    assert code == 0 and "dormant_days" in out and "45" in out
    assert _settings(team_store)["dormant_days"] == 45


def test_alerts_read_marks_only_the_actors_alerts(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    run(sqlite_store, capsys, *ANA, "timers", "sweep", "--now", "2026-03-02T09:00:00Z")
    _, out, _ = run(sqlite_store, capsys, "alerts", "list", "--unread", "--json")
    unread = json.loads(out)
    code, out, _ = run(sqlite_store, capsys, *ANA, "alerts", "read")
    mine = [a for a in unread if a["user_id"] == planned["ana"]]
    assert mine and len(mine) < len(unread)
    assert code == 0 and out == f"{len(mine)} alert(s) marked read.\n"
    _, out, _ = run(sqlite_store, capsys, "alerts", "list", "--unread", "--json")
    assert {a["id"] for a in json.loads(out)} == {a["id"] for a in unread} - {a["id"] for a in mine}
    code, _, err = run(sqlite_store, capsys, *ANA, "alerts", "read", "--user", "ben@example.com")
    assert code == 2 and "not both" in err


def test_a_sweep_from_cron_needs_no_team_member_but_a_named_one_must_exist(
    sqlite_store: Store, planned: dict[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(sqlite_store, capsys, "timers", "sweep", "--json")
    assert code == 0 and "fired" in json.loads(out)
    code, out, err = run(sqlite_store, capsys, "--as", "nobody@nowhere", "timers", "sweep")
    assert code != 0 and out == "" and err.count("\n") == 1 and "nobody@nowhere" in err
