"""One lead through the whole lifecycle, as the playbook has it: captured, routed, contacted
within its window, qualified, moved through the gates, lost to a competitor, revisited,
reopened into competitive recapture, and won; its history, alerts and follow-ups checked at
each step, and at the end the playbook metrics it touches."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cli.core import main
from app.clock import SettableClock
from app.models import Activity, Alert, Lead, StageTransition
from app.services.followups import api as followups_api
from app.services.leads import api
from app.services.leads.moves import schedule_activity
from app.services.leads.queries import list_leads
from app.services.timers.sweep import sweep
from app.store.db import Store
from app.store.uow import UnitOfWork
from tests.helpers.followups import actor_of, make_team


def _lead(store: Store, lead_id: int) -> Lead:
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        s.expunge(lead)
        return lead


def _alert_kinds(store: Store, lead_id: int) -> list[str]:
    with store.session() as s:
        return list(
            s.scalars(select(Alert.kind).where(Alert.lead_id == lead_id).order_by(Alert.id))
        )


def _planned_subjects(store: Store, lead_id: int) -> list[str]:
    with store.session() as s:
        return list(
            s.scalars(
                select(Activity.subject)
                .where(
                    Activity.lead_id == lead_id,
                    Activity.status == "planned",
                    Activity.cadence_step_id.is_not(None),
                )
                .order_by(Activity.due_at)
            )
        )


def _move(store: Store, uow: UnitOfWork, actor, lead_id: int, stage: int, **kw):  # type: ignore[no-untyped-def]
    version = _lead(store, lead_id).version
    result = api.move_lead(uow, actor, lead_id, stage, version, **kw)
    assert result.value.moved, result.value.unmet
    return result.value


def test_one_lead_through_the_full_lifecycle(
    store: Store, clock: SettableClock, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        s.commit()
        manager = actor_of(s, team.manager)
    uow = UnitOfWork(store.session_factory, clock)

    # Captured by hand, complete, with fit and timing: scored, then routed to a rep.
    lead_id = api.create_lead(
        uow,
        manager,
        {
            "name": "Grace Hopper",
            "email": "grace@navy.example.com",
            "company": "Navy Labs",
            "source": "Referral",
            "industry": "Software",
            "headcount": "400",
            "title": "CTO",
            "decision_role": "technical",
            "timeline": "This quarter",
        },
    ).value
    lead = _lead(store, lead_id)
    assert not lead.incomplete and lead.timing > 0 and lead.tier is not None
    owner = lead.owner_id
    assert owner in (team.rep_a, team.rep_b)
    with store.session() as s:
        rep = actor_of(s, owner)
    assert _alert_kinds(store, lead_id) == ["assigned"]
    first_touch = _planned_subjects(store, lead_id)
    assert first_touch and first_touch[0] == "Personal introduction"
    with store.session() as s:
        due = next(r for r in list_leads(s) if r.id == lead_id).first_response_due
    assert due is not None and due > t0

    # Contacted within its window: no first-response alert when the window ends.
    clock.advance(minutes=3)
    api.log_contact(uow, rep, lead_id, "call", note="Intro call")
    contacted = _lead(store, lead_id).first_contacted_at
    assert contacted is not None and contacted <= due  # SLA met for its tier
    with store.session() as s:
        fired = sweep(s, due + timedelta(minutes=1)).fired
        s.commit()
    assert not [a for a in fired if a.lead_id == lead_id and a.kind.startswith("sla")]

    # Qualified and through the gates: New -> Initial interest -> Discovery complete. The
    # discovery call was booked, and still counts once held.
    stages = team.stages
    _move(store, uow, rep, lead_id, stages["Initial interest"])
    with store.session() as s:
        schedule_activity(s, clock, lead_id, "call", clock.now() + timedelta(days=1), owner)
        s.commit()
    version = _lead(store, lead_id).version
    api.update_lead(uow, rep, lead_id, {"contact_confirmed": "yes"}, version)
    clock.advance(days=2)  # the call's time has passed
    _move(store, uow, rep, lead_id, stages["Discovery complete"])

    # Lost to a competitor: the cadence stops, a competitive recapture revisit is set.
    moved = _move(
        store,
        uow,
        rep,
        lead_id,
        stages["Lost"],
        reason_code="lost_to_competitor",
        competitor="HubSpot",
        note="Chose HubSpot on price",
    )
    assert moved.status == "lost"
    assert _planned_subjects(store, lead_id) == []
    revisit = _lead(store, lead_id).revisit_at
    assert revisit is not None and revisit > clock.now() + timedelta(days=150)

    # The revisit date comes: reopened into the recapture sequence, not the first touch.
    with store.session() as s:
        result = sweep(s, revisit)
        s.commit()
    assert result.reopened == [lead_id]
    recapture = _planned_subjects(store, lead_id)
    assert recapture[0] == "How is your current tool working out?"
    assert not set(recapture) & set(first_touch)

    # Won: every gate on the way documented, the recapture steps stop.
    clock.set(revisit + timedelta(days=10))
    version = _lead(store, lead_id).version
    api.update_lead(
        uow,
        rep,
        lead_id,
        {
            "tech_stack": "Salesforce",
            "decision_maker": "Grace Hopper",
            "business_problem": "Slow follow-up",
            "technical_stakeholder": "Ada Lovelace",
            "blocking_objection": "no",
            "proposal_received": "yes",
            "review_date": "2027-01-10",
            "signed_at": "2027-01-12",
        },
        version,
    )
    followups_api.log_reply(uow, rep, lead_id, note="Ready to sign")
    assert _move(store, uow, rep, lead_id, stages["Won"]).status == "won"
    assert _planned_subjects(store, lead_id) == []

    with store.session() as s:
        history = [
            (row.kind, row.reason_code)
            for row in s.scalars(
                select(StageTransition)
                .where(StageTransition.lead_id == lead_id)
                .order_by(StageTransition.id)
            )
        ]
        cancelled = set(
            s.scalars(
                select(Activity.outcome).where(
                    Activity.lead_id == lead_id, Activity.status == "cancelled"
                )
            )
        )
    assert history == [
        ("created", None),
        ("forward", None),
        ("forward", None),
        ("exit", "lost_to_competitor"),
        ("reopen", "revisit"),
        ("forward", None),  # New -> Won, every gate on the way met
    ]
    assert "Closed: lost" in cancelled
    assert _alert_kinds(store, lead_id)[0] == "assigned" and "reopen" in _alert_kinds(
        store, lead_id
    )
    assert not {"sla", "sla_escalation"} & set(_alert_kinds(store, lead_id))

    # The playbook metrics it touches, as the owners read them (the CLI's JSON): captured,
    # qualified, contacted within its tier's window, kept by its first rep, won.
    url = store.url.render_as_string(hide_password=False)
    args = ["--db", url, "--now", clock.now().isoformat(), "report"]
    period = ["--from", t0.date().isoformat(), "--to", clock.now().date().isoformat(), "--json"]

    def report(name: str) -> dict:  # type: ignore[type-arg]
        assert main([*args, name, *period]) == 0
        return dict(json.loads(capsys.readouterr().out))

    qualified = report("qualification")
    assert (qualified["leads"], qualified["reached"], qualified["status"]) == (1, 1, "above")
    tiers = [t for t in report("sla")["tiers"] if t["leads"]]
    assert [(t["leads"], t["within"], t["missed"]) for t in tiers] == [(1, 1, 0)]
    routing = report("routing-accuracy")
    assert (routing["routed"], routing["kept"], routing["reps"][0]["owner_id"]) == (1, 1, owner)
    steps = {s["name"]: s["leads"] for s in report("mql-sql")["steps"]}
    assert steps == {"Captured": 1, "MQL": 1, "SQL": 1, "Opportunity": 1, "Won": 1}
    layers = {layer["layer"]: layer for layer in report("overview")["layers"]}
    assert layers["capture"]["text"] == "1" and layers["qualify"]["value"] == 1.0
