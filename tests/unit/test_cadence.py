from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Activity, ActivityStatus, EngagementEvent, Lead
from app.services.followups import cadence as cad
from app.services.leads.hooks import on_lead_assigned
from app.store.db import Store
from tests.helpers.followups import make_lead, make_team


def _activities(session, lead_id: int) -> list[Activity]:
    return list(
        session.scalars(
            select(Activity).where(Activity.lead_id == lead_id).order_by(Activity.due_at)
        )
    )


def test_default_cadences_are_seeded_once_per_tier(store: Store) -> None:
    with store.session() as s:
        cad.ensure_default_cadences(s)
        cad.ensure_default_cadences(s)
        infos = cad.list_cadences(s)
    by_tier = {c.tier: c for c in infos}
    assert set(by_tier) == {"Urgent", "High", "Medium", "Low", None}
    urgent = by_tier["Urgent"]
    assert [s.channel for s in urgent.steps] == ["email", "call", "linkedin", "email", "email"]
    assert urgent.steps[0].offset_days * 24 * 60 == pytest.approx(5)
    # day 1, 3, 5, 8 and 14 after assignment
    assert [s.offset_days for s in urgent.steps[1:]] == [2, 4, 7, 13]


def test_assignment_starts_the_tier_cadence_for_the_owner(
    store: Store, clock: SettableClock
) -> None:
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now(), tier="Urgent", event="SaaStr Europe")
        on_lead_assigned(s, clock, lead.id, None, team.rep_a)
        acts = _activities(s, lead.id)
    assert [a.type for a in acts] == ["email", "call", "linkedin", "email", "email"]
    assert all(a.owner_id == team.rep_a and a.cadence_step_id for a in acts)
    assert acts[0].due_at == clock.now() + timedelta(minutes=5)
    assert acts[-1].due_at == clock.now() + timedelta(days=13)
    assert "Hi Jane" in acts[0].notes and "SaaStr Europe" in acts[0].notes
    assert "Ana Rep" in acts[0].notes


def test_unscored_lead_gets_the_medium_cadence(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now(), tier=None)
        run = cad.start_cadence(s, clock, lead.id)
    assert run is not None and run.cadence_name == "Medium structured"
    assert len(run.activity_ids) == 4


def test_no_owner_no_cadence(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now(), owner=None)
        assert cad.start_cadence(s, clock, lead.id) is None
        assert _activities(s, lead.id) == []


def test_reply_stops_the_cadence(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now())
        run = cad.start_cadence(s, clock, lead.id)
        assert run is not None
        clock.advance(hours=2)
        cad.mark_done(s, clock, run.activity_ids[0], "Sent")
        clock.advance(days=1)
        stopped = cad.log_reply(s, clock, lead.id, note="Interested, call me")
        acts = _activities(s, lead.id)
        events = list(s.scalars(select(EngagementEvent).where(EngagementEvent.lead_id == lead.id)))
        lead_row = s.get(Lead, lead.id)
    assert stopped == 4
    assert [a.status for a in acts] == ["done"] + ["cancelled"] * 4
    assert {a.outcome for a in acts[1:]} == {"Replied"}
    assert [e.kind for e in events] == ["email_reply"]
    assert lead_row.last_touch_at == clock.now()


def test_reassignment_moves_open_steps_only(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now())
        on_lead_assigned(s, clock, lead.id, None, team.rep_a)
        first = _activities(s, lead.id)[0]
        cad.mark_done(s, clock, first.id, "Sent")
        on_lead_assigned(s, clock, lead.id, team.rep_a, team.rep_b)
        s.expire_all()
        acts = _activities(s, lead.id)
    assert acts[0].owner_id == team.rep_a  # history stays with who did it
    assert {a.owner_id for a in acts[1:]} == {team.rep_b}
    assert len(acts) == 5  # moved, not re-planned


def test_email_step_opens_a_filled_mailto(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(
            s, team, clock.now(), details={"linkedin_url": "https://www.linkedin.com/in/janedoe"}
        )
        run = cad.start_cadence(s, clock, lead.id)
        assert run is not None
        email, call, linkedin = run.activity_ids[:3]
        mail = cad.action_url(s, email)
        assert cad.action_url(s, linkedin) == "https://www.linkedin.com/in/janedoe"
        assert cad.action_url(s, call) == "tel:+15550102000"
        lead.details = {}
        s.flush()
        assert cad.action_url(s, linkedin) is None
    parsed = urlparse(mail)
    assert parsed.scheme == "mailto" and unquote(parsed.path) == "Jane.Doe@acme.test"
    query = parse_qs(parsed.query)
    assert query["subject"] == ["Personal introduction"]
    assert query["body"][0].startswith("Hi Jane,\r\n")


def test_edited_step_changes_new_plans(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        high = next(c for c in cad.list_cadences(s) if c.tier == "High")
        cad.update_step(s, high.steps[1].id, offset_days=1.0, subject="Call {first_name}")
        with pytest.raises(ValueError):
            cad.update_step(s, high.steps[1].id, channel="fax")
        lead = make_lead(s, team, clock.now())
        run = cad.start_cadence(s, clock, lead.id)
        assert run is not None
        call = s.get(Activity, run.activity_ids[1])
    assert call.subject == "Call Jane"
    assert call.due_at == clock.now() + timedelta(days=1)


def test_followup_queries_and_actions(store: Store, clock: SettableClock) -> None:
    with store.session() as s:
        team = make_team(s)
        a = make_lead(s, team, clock.now())
        b = make_lead(s, team, clock.now(), owner=team.rep_b)
        cad.start_cadence(s, clock, a.id)
        cad.start_cadence(s, clock, b.id)
        week = cad.FollowupFilter(start=clock.now(), end=clock.now() + timedelta(days=7))
        assert len(cad.list_followups(s, week)) == 6  # day 1, 3 and 5 steps of both
        mine = cad.list_followups(
            s, cad.FollowupFilter(owner_id=team.rep_b, end=clock.now() + timedelta(days=30))
        )
        assert {f.lead_id for f in mine} == {b.id} and len(mine) == 5
        target = mine[1]
        moved = cad.reschedule(s, clock, target.id, clock.now() + timedelta(days=20))
        assert moved.due_at == clock.now() + timedelta(days=20)
        clock.advance(hours=5)
        done = cad.mark_done(s, clock, mine[0].id, "Sent")
        assert done.status == ActivityStatus.DONE and done.outcome == "Sent"
        assert s.get(Lead, b.id).first_contacted_at == clock.now()
        skipped = cad.skip(s, clock, mine[2].id)
        assert skipped.status == ActivityStatus.SKIPPED
        with pytest.raises(ValueError):
            cad.reschedule(s, clock, skipped.id, clock.now())
        planned = cad.list_followups(s, cad.FollowupFilter(owner_id=team.rep_b))
        assert [f.id for f in planned] == [mine[3].id, mine[4].id, target.id]
        loads = cad.day_loads(
            s,
            clock.now() - timedelta(days=1),
            clock.now() + timedelta(days=30),
            clock.now(),
            owner_id=team.rep_b,
        )
        assert sum(d.total for d in loads.values()) == 3
        assert sum(d.done for d in loads.values()) == 1


def test_cadence_steps_do_not_open_a_call_scheduled_gate(
    store: Store, clock: SettableClock
) -> None:
    from app.services.pipeline.gates import activity_types

    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now())
        on_lead_assigned(s, clock, lead.id, None, team.rep_a)
        scheduled, _ = activity_types(s, [lead.id], clock.now())
        assert scheduled[lead.id] == set()  # day-3 call planned by the cadence: not booked
        s.add(
            Activity(
                lead_id=lead.id,
                owner_id=team.rep_a,
                type="call",
                status="planned",
                subject="Discovery call",
                due_at=clock.now() + timedelta(days=1),
            )
        )
        s.flush()
        scheduled, _ = activity_types(s, [lead.id], clock.now())
        assert scheduled[lead.id] == {"call"}
