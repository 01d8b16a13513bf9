"""Notes, logged activities with outcomes, the next step, undo, and edit in place (both stores)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from app.cli.core import main
from app.clock import SettableClock
from app.models import Activity, Lead
from app.services.activities import api
from app.services.auth import Actor
from app.services.errors import ActionError, StaleError
from app.services.followups.planned import list_followups
from app.services.leads import api as leads_api
from app.services.leads.edit import FieldError
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers.pipeline import make_lead, setup

MANAGER = "marcus.webb@leadgate.example"


@pytest.fixture
def team(store: Store, clock: SettableClock) -> dict[str, Any]:
    with unit_of_work(store.session_factory) as session:
        people, _stages = setup(session, clock)
        lead = make_lead(session, clock, name="Ada Lovelace", owner=people["rep"].id)
        return {
            "actors": {k: Actor(u.id, u.name, u.role) for k, u in people.items()},
            "lead": lead.id,
        }


def _lead(store: Store, lead_id: int) -> Lead:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        session.expunge(lead)
        return lead


def test_a_logged_call_with_outcome_plans_the_next_step(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    rep = team["actors"]["rep"]
    nxt = clock.now() + timedelta(days=2)
    logged = api.log_activity(
        uow, rep, team["lead"], "call", "Left voicemail", note="Try Thursday", next_at=nxt
    ).value
    assert logged.first_contact and logged.outcome == "left_voicemail"
    lead = _lead(store, team["lead"])
    assert lead.first_contacted_at is not None
    with store.session() as session:
        planned = list_followups(session)
        call = session.get(Activity, logged.activity_id)
        assert (
            call is not None and call.outcome == "Left voicemail" and call.notes == "Try Thursday"
        )
    assert [(f.id, f.type, f.due_at) for f in planned] == [(logged.next_id, "call", nxt)]


def test_undo_takes_back_the_log_its_next_step_and_the_first_contact(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    rep = team["actors"]["rep"]
    logged = api.log_activity(
        uow, rep, team["lead"], "call", "no_answer", next_at=clock.now() + timedelta(hours=3)
    ).value
    with pytest.raises(ActionError, match="Only who logged"):
        api.undo_log(uow, Actor(9999, "Other rep", "rep"), logged.activity_id)
    api.undo_log(uow, rep, logged.activity_id)
    lead = _lead(store, team["lead"])
    assert lead.first_contacted_at is None and lead.last_touch_at is None
    with store.session() as session:
        assert list_followups(session) == []
        assert session.get(Activity, logged.activity_id) is None


def test_bad_outcomes_notes_and_past_next_steps_change_nothing(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    rep = team["actors"]["rep"]
    with pytest.raises(ActionError, match=r"not an outcome of a call.*connected"):
        api.log_activity(uow, rep, team["lead"], "call", "sent")
    with pytest.raises(ActionError, match="in the past"):
        api.log_activity(
            uow, rep, team["lead"], "call", "connected", next_at=clock.now() - timedelta(days=1)
        )
    with pytest.raises(ActionError, match="empty"):
        api.add_note(uow, rep, team["lead"], "   ")
    assert _lead(store, team["lead"]).first_contacted_at is None
    with store.session() as session:
        assert session.query(Activity).count() == 0


def test_a_stale_log_names_who_changed_the_lead(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    version = _lead(store, team["lead"]).version
    leads_api.edit_lead(uow, team["actors"]["manager"], team["lead"], {"title": "CTO"})
    with pytest.raises(StaleError, match=r"Marcus Webb .*\(Updated title; version"):
        api.log_activity(
            uow, team["actors"]["rep"], team["lead"], "call", "connected", expected_version=version
        )


def test_edit_in_place_validates_and_rescores(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    rep = team["actors"]["rep"]
    with pytest.raises(FieldError, match="not an e-mail"):
        leads_api.edit_lead(uow, rep, team["lead"], {"email": "ada@"})
    with pytest.raises(FieldError, match="not a phone"):
        leads_api.edit_lead(uow, rep, team["lead"], {"phone": "12"})
    before = _lead(store, team["lead"])
    result = leads_api.edit_lead(
        uow,
        rep,
        team["lead"],
        {
            "industry": "Software",
            "headcount": "300",
            "timeframe": "Immediately",
            "budget": "Approved",
            "role": "decision_maker",
            "title": "CTO",
            "country": "United States",
            "phone": "+1 (415) 555-0100",
        },
        expected_version=before.version,
    ).value
    assert result.score > result.score_before and result.tier != result.tier_before
    lead = _lead(store, team["lead"])
    assert lead.tier == result.tier and lead.version == result.version
    assert lead.qualifiers["budget"] == "Approved" and lead.qualifiers["role"] == "decision_maker"
    assert lead.phone_normalized == "+14155550100"
    with pytest.raises(StaleError, match="Priya"):
        leads_api.edit_lead(uow, rep, team["lead"], {"title": "CEO"}, before.version)


def _run(capsys: pytest.CaptureFixture[str], store: Store, *args: str) -> tuple[int, Any]:
    code = main(["--db", store.url.render_as_string(hide_password=False), *args])
    captured = capsys.readouterr()
    if code != 0:
        return code, captured.err
    return code, json.loads(captured.out) if "--json" in args else captured.out


def test_cli_note_log_and_show(
    store: Store,
    clock: SettableClock,
    team: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADGATE_USER", MANAGER)
    lead = str(team["lead"])
    code, note = _run(capsys, store, "leads", "note", lead, "Prefers mornings", "--json")
    assert code == 0 and note["text"] == "Prefers mornings"
    code, logged = _run(
        capsys,
        store,
        *("leads", "log", lead, "--channel", "meeting", "--outcome", "held"),
        *("--note", "Demo went well", "--next", "2099-01-05T10:00", "--json"),
    )
    assert code == 0 and logged["outcome"] == "held" and logged["next_id"]
    code, listed = _run(capsys, store, "followups", "list", "--json")
    assert code == 0 and logged["next_id"] in [f["id"] for f in listed]
    code, shown = _run(capsys, store, "leads", "show", lead, "--json")
    assert [n["text"] for n in shown["notes"]] == ["Prefers mornings"]
    done = [a for a in shown["activities"] if a["status"] == "done"]
    assert [(a["type"], a["outcome"], a["notes"]) for a in done] == [
        ("meeting", "held", "Demo went well")
    ]
    code, err = _run(capsys, store, "leads", "log", lead, "--channel", "call", "--outcome", "x")
    assert code != 0 and "not an outcome" in err and "Traceback" not in err
    code, err = _run(capsys, store, "leads", "note", "999999", "hi")
    assert code != 0 and "no lead 999999" in err


def test_a_qualifier_name_a_gate_asks_about_stays_a_gate_fact(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    from app.models import GateCriterion
    from app.services.pipeline.stages import list_stages

    with unit_of_work(store.session_factory) as session:
        first = list_stages(session)[0]
        session.add(
            GateCriterion(
                stage_id=first.id,
                position=99,
                kind="field_present",
                label="Budget confirmed",
                params={"field": "budget"},
            )
        )
    uow = UnitOfWork(store.session_factory, clock)
    leads_api.edit_lead(uow, team["actors"]["rep"], team["lead"], {"budget": "50k"})
    leads_api.edit_lead(uow, team["actors"]["rep"], team["lead"], {"qualifiers.budget": "Planned"})
    lead = _lead(store, team["lead"])
    assert lead.details["budget"] == "50k" and lead.qualifiers["budget"] == "Planned"


def test_a_stale_edit_after_a_move_says_where_the_lead_went(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    from app.services.pipeline.stages import list_stages

    uow = UnitOfWork(store.session_factory, clock)
    version = _lead(store, team["lead"]).version
    with store.session() as session:
        lost = next(s for s in list_stages(session) if s.name == "Lost")
    leads_api.move_lead(
        uow, team["actors"]["manager"], team["lead"], lost.id, reason_code="no_budget"
    )
    with pytest.raises(StaleError, match=r"Marcus Webb .*\(Moved to Lost; version"):
        leads_api.edit_lead(uow, team["actors"]["rep"], team["lead"], {"title": "CTO"}, version)
