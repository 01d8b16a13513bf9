"""The follow-up and timer actions' API: permissions first, one clear refusal, what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Activity, Alert, CadenceStep, Lead
from app.services.auth import Actor, PermissionDenied
from app.services.errors import ActionError, NotFound
from app.services.followups import api
from app.services.followups import cadence as cad
from app.services.followups.settings import load_settings
from app.services.timers import api as timers_api
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers.followups import Team, actor_of, make_lead, make_team


@dataclass
class World:
    team: Team
    manager: Actor
    rep: Actor
    lead: int
    followups: list[int]  # the lead's planned steps, by due time


@pytest.fixture
def world(store: Store, clock: SettableClock) -> World:
    with unit_of_work(store.session_factory) as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now(), tier="High")
        cad.start_cadence(s, clock, lead.id)
        steps = s.scalars(
            select(Activity.id).where(Activity.lead_id == lead.id).order_by(Activity.due_at)
        ).all()
        return World(team, actor_of(s, team.manager), actor_of(s, team.rep_a), lead.id, list(steps))


def _uow(store: Store, clock: SettableClock) -> UnitOfWork:
    return UnitOfWork(store.session_factory, clock)


def _step(store: Store, step_id: int) -> tuple[float, str, str | None]:
    with store.session() as s:
        step = s.get(CadenceStep, step_id)
        assert step is not None
        return step.offset_days, step.channel, step.subject


def _first_step_id(store: Store) -> int:
    with store.session() as s:
        return cad.list_cadences(s)[0].steps[0].id


def test_a_rep_cannot_edit_cadence_steps(store: Store, clock: SettableClock, world: World) -> None:
    step_id = _first_step_id(store)
    before = _step(store, step_id)
    with pytest.raises(PermissionDenied) as refused:
        api.update_step(_uow(store, clock), world.rep, step_id, offset_days=9.0, subject="Hey")
    assert str(refused.value) == (
        "Only a manager or the owner can change the follow-up settings; Ana Rep is a rep."
    )
    with pytest.raises(PermissionDenied):
        api.remove_step(_uow(store, clock), world.rep, step_id)
    with store.session() as s:
        cadence_id = cad.list_cadences(s)[0].id
        count = len(cad.list_cadences(s)[0].steps)
    with pytest.raises(PermissionDenied):
        api.add_step(_uow(store, clock), world.rep, cadence_id, 30.0, "email", "Late hello")
    assert _step(store, step_id) == before
    with store.session() as s:
        assert len(cad.list_cadences(s)[0].steps) == count


def test_a_manager_edits_adds_and_removes_cadence_steps(
    store: Store, clock: SettableClock, world: World
) -> None:
    step_id = _first_step_id(store)
    result = api.update_step(_uow(store, clock), world.manager, step_id, subject="Hello {company}")
    assert result.value.subject == "Hello {company}"
    assert result.changes.followups and result.changes.settings
    assert _step(store, step_id)[2] == "Hello {company}"
    with store.session() as s:
        cadence_id = cad.list_cadences(s)[0].id
    added = api.add_step(_uow(store, clock), world.manager, cadence_id, 30.0, "task", "Check in")
    assert _step(store, added.value.id) == (30.0, "task", "Check in")
    api.remove_step(_uow(store, clock), world.manager, added.value.id)
    with store.session() as s:
        assert s.get(CadenceStep, added.value.id) is None


def test_bad_step_edits_are_one_clear_error_and_change_nothing(
    store: Store, clock: SettableClock, world: World
) -> None:
    step_id = _first_step_id(store)
    before = _step(store, step_id)
    with pytest.raises(ActionError, match="Channel must be one of"):
        api.update_step(_uow(store, clock), world.manager, step_id, channel="fax", subject="x")
    with pytest.raises(NotFound, match="No cadence step 999999"):
        api.remove_step(_uow(store, clock), world.manager, 999999)
    assert _step(store, step_id) == before


def test_a_rep_cannot_save_followup_settings(
    store: Store, clock: SettableClock, world: World
) -> None:
    with pytest.raises(PermissionDenied, match="Only a manager or the owner can change the"):
        api.save_settings(_uow(store, clock), world.rep, dormant_days=3)
    with store.session() as s:
        assert load_settings(s).dormant_days == 30


def test_a_manager_saves_followup_settings_and_bad_values_are_refused(
    store: Store, clock: SettableClock, world: World
) -> None:
    result = api.save_settings(
        _uow(store, clock), world.manager, dormant_days=45, sla_minutes={"Urgent": 10}
    )
    assert result.value.dormant_days == 45 and result.changes.settings
    with store.session() as s:
        saved = load_settings(s)
    assert saved.dormant_days == 45 and saved.sla_minutes["Urgent"] == 10
    assert saved.sla_minutes["Low"] == 0  # the other tiers keep their defaults (Low: none)
    for bad, message in [
        ({"dormant_days": 0}, "dormant_days must be at least 1"),
        ({"dormant_days": "soon"}, "dormant_days must be a whole number"),
        ({"missed_escalation_action": "shout"}, "must be alert or reassign"),
        ({"sla_minutes": {"Hot": 5}}, "Unknown tier 'Hot'"),
        ({"colour": "red"}, "Unknown follow-up settings: colour"),
    ]:
        with pytest.raises(ActionError, match=message):
            api.save_settings(_uow(store, clock), world.manager, **bad)
    with store.session() as s:
        assert load_settings(s) == saved


def test_a_rep_works_follow_ups_and_each_result_names_the_lead(
    store: Store, clock: SettableClock, world: World
) -> None:
    first, second, third = world.followups[:3]
    done = api.mark_done(_uow(store, clock), world.rep, first, "  Sent\n")
    assert done.value.status == "done" and done.value.outcome == "Sent"
    assert done.changes.affects(world.lead) and done.changes.followups
    skipped = api.skip_followup(_uow(store, clock), world.rep, second)
    assert skipped.value.status == "skipped" and skipped.changes.affects(world.lead)
    target = datetime(2026, 3, 20, 14, 30, tzinfo=UTC)
    moved = api.reschedule(_uow(store, clock), world.rep, third, target)
    assert moved.value.due_at == target and moved.changes.affects(world.lead)
    with pytest.raises(ActionError, match="already done"):
        api.mark_done(_uow(store, clock), world.rep, first)
    with pytest.raises(NotFound, match="No follow-up 999999"):
        api.skip_followup(_uow(store, clock), world.rep, 999999)


def test_move_to_day_keeps_the_local_time(store: Store, clock: SettableClock, world: World) -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    fid = world.followups[1]
    with store.session() as s:
        before = cad.get_followup(s, fid)
    assert before is not None and before.due_at is not None
    moved = api.move_to_day(_uow(store, clock), world.rep, fid, date(2026, 4, 1), tz=berlin)
    assert moved.value.due_at is not None
    assert moved.value.due_at.astimezone(berlin).date() == date(2026, 4, 1)
    assert moved.value.due_at.astimezone(berlin).time() == before.due_at.astimezone(berlin).time()


def test_a_reply_stops_the_cadence(store: Store, clock: SettableClock, world: World) -> None:
    result = api.log_reply(_uow(store, clock), world.rep, world.lead, note="Call me Friday")
    assert result.value == len(world.followups) and result.changes.affects(world.lead)
    with store.session() as s:
        statuses = set(s.scalars(select(Activity.status).where(Activity.lead_id == world.lead)))
        lead = s.get(Lead, world.lead)
        assert lead is not None and lead.last_touch_at is not None
    assert statuses == {"cancelled"}
    with pytest.raises(NotFound):
        api.log_reply(_uow(store, clock), world.rep, 999999)


def test_run_sweep_reports_its_changes_and_alerts_are_marked_read_per_user(
    store: Store, clock: SettableClock, world: World
) -> None:
    clock.advance(timedelta(days=3))  # the High lead was never touched: SLA breached
    result = timers_api.run_sweep(_uow(store, clock), world.rep)
    assert result.value.fired and result.changes == result.value.changes()
    assert result.changes.alerts
    again = timers_api.run_sweep(_uow(store, clock), world.rep, clock.now())
    assert again.value.fired == [] and not again.changes.alerts
    with store.session() as s:
        alerts = s.execute(select(Alert.id, Alert.user_id)).all()
    mine = [a for a, user in alerts if user == world.rep.user_id]
    others = [a for a, user in alerts if user != world.rep.user_id]
    assert mine and others
    marked = timers_api.mark_alerts_read(_uow(store, clock), world.rep, mine + others)
    assert marked.value == len(mine) and marked.changes.alerts
    with store.session() as s:
        unread = set(s.scalars(select(Alert.id).where(Alert.read_at.is_(None))))
    assert unread == set(others)  # a rep cannot mark the manager's alerts read


def test_a_manager_moves_a_step_and_it_takes_its_neighbours_day(
    store: Store, clock: SettableClock, world: World
) -> None:
    with store.session() as s:
        before = cad.list_cadences(s)[0].steps
    first, second = before[0], before[1]
    with pytest.raises(PermissionDenied):
        api.move_step(_uow(store, clock), world.rep, second.id, up=True)
    result = api.move_step(_uow(store, clock), world.manager, second.id, up=True)
    assert [s.id for s in result.value[:2]] == [second.id, first.id]
    assert result.changes.followups
    # The timing slots stay; the channels swap order.
    assert _step(store, second.id)[:2] == (first.offset_days, second.channel)
    assert _step(store, first.id)[:2] == (second.offset_days, first.channel)
    with store.session() as s:
        assert [st.id for st in cad.list_cadences(s)[0].steps][:2] == [second.id, first.id]
    with pytest.raises(ActionError, match="already the first"):
        api.move_step(_uow(store, clock), world.manager, second.id, up=True)
    last = before[-1].id
    with pytest.raises(ActionError, match="already the last"):
        api.move_step(_uow(store, clock), world.manager, last, up=False)


def test_a_step_preview_fills_the_placeholders_from_a_real_lead(
    store: Store, clock: SettableClock, world: World
) -> None:
    step_id = _first_step_id(store)
    api.update_step(
        _uow(store, clock), world.manager, step_id, subject="Hello {first_name} at {company}"
    )
    with store.session() as s:
        lead = s.get(Lead, world.lead)
        assert lead is not None
        preview = cad.preview_step(s, step_id, world.lead)
        assert preview.subject == f"Hello {lead.first_name} at {lead.company}"
        assert "{" not in preview.body and lead.company in preview.body
        assert cad.preview_step(s, step_id).lead_id == world.lead  # the newest lead by default
        with pytest.raises(LookupError, match="No lead 999999"):
            cad.preview_step(s, step_id, 999999)
