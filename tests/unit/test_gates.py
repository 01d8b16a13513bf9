"""The gate engine: every criterion kind, on both stores, and the no-skip rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from app.clock import SettableClock
from app.models import Lead
from app.services.leads.edit import update_lead
from app.services.leads.moves import log_activity_done, schedule_activity
from app.services.pipeline.gates import can_move, facts_for_lead, unmet_for_stage
from app.services.pipeline.stages import StageInfo
from app.store.db import Store, unit_of_work
from tests.helpers.pipeline import QUALIFIED, make_lead, setup


def _stage(kind: str, params: dict[str, Any]) -> StageInfo:
    return StageInfo(
        id=999,
        name="Probe",
        position=0,
        kind="open",
        exit_status=None,
        stale_hours=None,
        win_probability=0.0,
        criteria=[{"id": 1, "kind": kind, "label": f"Probe {kind}", "params": params}],
    )


# (kind, params, values that fail, values that pass)
FIELD_CASES = [
    ("field_present", {"field": "tech_stack"}, {"tech_stack": "  "}, {"tech_stack": "SAP"}),
    ("field_present", {"field": "headcount"}, {}, {"headcount": "12"}),
    (
        "field_true",
        {"field": "contact_confirmed"},
        {"contact_confirmed": "no"},
        {"contact_confirmed": "yes"},
    ),
    # Unknown is not "no": an objection nobody asked about is not known to be gone.
    ("field_false", {"field": "blocking_objection"}, {}, {"blocking_objection": "no"}),
    (
        "field_false",
        {"field": "blocking_objection"},
        {"blocking_objection": "yes"},
        {"blocking_objection": "false"},
    ),
    ("checklist", {"item": "proposal_received"}, {}, {"proposal_received": "true"}),
    ("date_set", {"field": "review_date"}, {}, {"review_date": "2026-04-01"}),
    (
        "number_at_least",
        {"field": "headcount", "min": 50},
        {"headcount": "49"},
        {"headcount": "50"},
    ),
    (
        "field_in",
        {"field": "industry", "values": ["Software", "Healthcare"]},
        {"industry": "Retail"},
        {"industry": "healthcare"},
    ),
    ("owner_assigned", {}, {}, {"owner": "jonas.becker@leadgate.example"}),
]


@pytest.mark.parametrize(("kind", "params", "failing", "passing"), FIELD_CASES)
def test_field_criteria(
    store: Store,
    clock: SettableClock,
    kind: str,
    params: dict[str, Any],
    failing: dict[str, Any],
    passing: dict[str, Any],
) -> None:
    stage = _stage(kind, params)
    with unit_of_work(store.session_factory) as session:
        setup(session, clock)
        lead = make_lead(session, clock, **failing)
        gaps = unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))
        assert [g.label for g in gaps] == [f"Probe {kind}"]
        update_lead(session, clock, lead.id, passing)
        assert unmet_for_stage(stage, facts_for_lead(session, lead, clock.now())) == []


def test_typed_column_wins_over_details(store: Store, clock: SettableClock) -> None:
    stage = _stage("number_at_least", {"field": "headcount", "min": 50})
    with unit_of_work(store.session_factory) as session:
        setup(session, clock)
        lead = make_lead(session, clock, headcount="10")
        lead.details = {"headcount": 500}
        session.flush()
        assert unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))


def test_discovery_call_gate_is_met_by_a_call_scheduled_or_held(
    store: Store, clock: SettableClock
) -> None:
    stage = _stage("activity_scheduled", {"types": ["call", "meeting"]})
    with unit_of_work(store.session_factory) as session:
        setup(session, clock)
        lead = make_lead(session, clock)
        schedule_activity(session, clock, lead.id, "email", clock.now() + timedelta(days=1), None)
        assert unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))
        schedule_activity(session, clock, lead.id, "call", clock.now() + timedelta(days=1), None)
        assert not unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))
        # The call's time has passed: it was still scheduled, the gate stays met.
        clock.advance(days=2)
        assert not unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))
        # A held meeting (logged done, never booked) meets it too.
        other = make_lead(session, clock, name="Held Meeting")
        assert unmet_for_stage(stage, facts_for_lead(session, other, clock.now()))
        log_activity_done(session, clock, other.id, "meeting", None)
        assert not unmet_for_stage(stage, facts_for_lead(session, other, clock.now()))


def test_activity_done(store: Store, clock: SettableClock) -> None:
    stage = _stage("activity_done", {"types": ["meeting"]})
    with unit_of_work(store.session_factory) as session:
        setup(session, clock)
        lead = make_lead(session, clock)
        schedule_activity(session, clock, lead.id, "meeting", clock.now() + timedelta(days=1), None)
        assert unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))
        log_activity_done(session, clock, lead.id, "meeting", None)
        assert not unmet_for_stage(stage, facts_for_lead(session, lead, clock.now()))


def test_n_of_m_lists_the_nested_gaps(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(
            session, clock, industry="Software", headcount="10", owner=people["rep"].id
        )
        check = can_move(session, lead, stages["Initial interest"], clock.now())
        assert len(check.unmet) == 1
        qualified = check.unmet[0]
        assert qualified.kind == "n_of_m"
        assert qualified.missing == 2
        assert [c.label for c in qualified.children] == [
            "Company headcount is at least 50",
            "Contact holds a budget or technical decision role",
            "A purchase timeline is stated",
        ]
        assert "needs 2 more" in qualified.text
        update_lead(session, clock, lead.id, {"headcount": "60", "timeline": "Q3"})
        assert can_move(session, lead, stages["Initial interest"], clock.now()).ok


def test_forward_must_pass_every_gate_it_leaves(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock, owner=people["rep"].id, **QUALIFIED)
        session.flush()
        # New's gate holds, but jumping to Discovery complete also leaves Initial interest.
        assert can_move(session, lead, stages["Initial interest"], clock.now()).ok
        check = can_move(session, lead, stages["Discovery complete"], clock.now())
        assert check.direction == "forward"
        assert {u.stage_name for u in check.unmet} == {"Initial interest"}
        assert "Discovery call scheduled" in check.labels


def test_back_and_exit_ignore_gates(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        _, stages = setup(session, clock)
        lead = make_lead(session, clock, stage=stages["Discovery complete"])
        back = can_move(session, lead, stages["New"], clock.now())
        assert back.direction == "back" and back.ok
        out = can_move(session, lead, stages["Lost"], clock.now())
        assert out.direction == "exit" and out.ok


def test_won_needs_its_own_criterion(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        _, stages = setup(session, clock)
        lead = make_lead(
            session,
            clock,
            stage=stages["Commercial review"],
            proposal_received="yes",
            review_date="2026-03-10",
        )
        check = can_move(session, lead, stages["Won"], clock.now())
        assert check.labels == ["Signed agreement recorded (date of signature)"]
        update_lead(session, clock, lead.id, {"signed_at": "2026-03-02"})
        assert can_move(session, session.get(Lead, lead.id), stages["Won"], clock.now()).ok
