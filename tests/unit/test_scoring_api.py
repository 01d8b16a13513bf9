"""The scoring and routing actions' API on both stores: permission first (a rep is refused in
one sentence and nothing changes), one unit of work, and the changes each reports."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.clock import SettableClock
from app.models import AuditEvent, Lead, Role, Setting
from app.services.auth import Actor, PermissionDenied
from app.services.errors import ActionError, NotFound
from app.services.routing import api as routing_api
from app.services.scoring import api as scoring_api
from app.services.scoring.rules import load_rules
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers.inbox_data import add_event, add_lead, add_user

REFUSED = "Only a manager or the owner can {action}; Rhea Rep is a rep."


@pytest.fixture
def team(store: Store, clock: SettableClock) -> dict[str, Any]:
    """A manager, two reps, and leads: two unassigned, one of them hot (a demo request)."""
    with unit_of_work(store.session_factory) as s:
        manager = add_user(s, "Mona Manager", role=Role.MANAGER, capacity=0)
        rep = add_user(s, "Rhea Rep")
        other = add_user(s, "Otto Other")
        hot = add_lead(s, clock.now(), title="CEO", industry="Software", status="open")
        add_event(s, hot, "demo_request", clock.now())
        cold = add_lead(s, clock.now(), title="Intern", status="open")
        owned = add_lead(s, clock.now(), title="Analyst", status="open", owner_id=rep.id)
        ids = {"hot": hot.id, "cold": cold.id, "owned": owned.id}
        actors = {u.name.split()[0].lower(): Actor(u.id, u.name, u.role) for u in (manager, rep)}
        return {**ids, **actors, "other_id": other.id, "rep_id": rep.id}


def _uow(store: Store, clock: SettableClock) -> UnitOfWork:
    return UnitOfWork(store.session_factory, clock)


def _state(store: Store) -> tuple[Any, ...]:
    with store.session() as s:
        leads = s.execute(
            select(Lead.id, Lead.owner_id, Lead.score, Lead.tier, Lead.routing_reason)
            .order_by(Lead.id)
        ).all()  # fmt: skip
        settings = s.execute(select(Setting.key, Setting.value)).all()
        audits = s.scalar(select(func.count()).select_from(AuditEvent))
    return tuple(map(tuple, leads)), tuple(map(tuple, settings)), audits


def _stricter() -> dict[str, Any]:
    from app.services.scoring.rules import default_rules

    rules = default_rules()
    rules["thresholds"] = {"Urgent": 95, "High": 90, "Medium": 85}
    return rules


CALLS = {
    "save_rules": (lambda t: (scoring_api.save_rules, _stricter()), "change the scoring rules"),
    "rescore_all": (lambda t: (scoring_api.rescore_all,), "rescore every lead"),
    "apply_source_weights": (
        lambda t: (scoring_api.apply_source_weights, {"Referral": 9}),
        "change the scoring rules",
    ),
    "route_leads": (lambda t: (routing_api.route_leads, [t["hot"]]), "assign or reassign leads"),
    "route_unassigned": (lambda t: (routing_api.route_unassigned,), "assign or reassign leads"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_rep_is_refused_and_nothing_changes(
    store: Store, clock: SettableClock, team: dict[str, Any], name: str
) -> None:
    make, action = CALLS[name]
    fn, *args = make(team)
    clock.advance(days=20)  # a rescore now would change the hot lead's score
    before = _state(store)
    with pytest.raises(PermissionDenied) as refused:
        fn(_uow(store, clock), team["rhea"], *args)
    assert str(refused.value) == REFUSED.format(action=action)
    assert _state(store) == before


def test_saving_rules_rescores_every_lead_in_the_same_unit_of_work(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    with store.session() as s:
        assert load_rules(s)["thresholds"]["Urgent"] == 80
    result = scoring_api.save_rules(_uow(store, clock), team["mona"], _stricter())
    assert result.value.scored == 3
    assert result.changes.all_leads and result.changes.settings
    with store.session() as s:
        assert load_rules(s)["thresholds"] == {"Urgent": 95, "High": 90, "Medium": 85}
        tiers = set(s.scalars(select(Lead.tier)))
    assert tiers == {"Low"}  # nobody reaches 85 any more: the rescoring followed the rules


def test_rules_are_not_saved_when_the_rescoring_is_cancelled(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    class Cancelled(Exception):
        pass

    class CancelNow:
        def progress(self, done: int, total: int, text: str = "") -> None:
            pass

        def check(self) -> None:
            raise Cancelled

    before = _state(store)
    with pytest.raises(Cancelled):
        scoring_api.save_rules(_uow(store, clock), team["mona"], _stricter(), state=CancelNow())
    assert _state(store) == before  # all or nothing: the rules and the scores together


def test_rules_that_cannot_work_are_refused_in_one_sentence(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    rules = _stricter()
    rules["thresholds"]["Medium"] = 99
    before = _state(store)
    with pytest.raises(ActionError, match="Tier thresholds must rise"):
        scoring_api.save_rules(_uow(store, clock), team["mona"], rules)
    del rules["thresholds"]
    with pytest.raises(ActionError, match="incomplete or malformed"):
        scoring_api.save_rules(_uow(store, clock), team["mona"], rules)
    assert _state(store) == before


def test_a_manager_rescores_everything_and_decay_shows(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    first = scoring_api.rescore_all(_uow(store, clock), team["mona"])
    assert first.value.scored == 3 and first.changes.all_leads
    with store.session() as s:
        hot = s.get(Lead, team["hot"])
        assert hot is not None and hot.intent > 0
        intent = hot.intent
    clock.advance(days=60)
    scoring_api.rescore_all(_uow(store, clock), team["mona"])
    with store.session() as s:
        hot = s.get(Lead, team["hot"])
        assert hot is not None and hot.intent < intent


def test_applying_source_weights_saves_them_and_rescores(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    with unit_of_work(store.session_factory) as s:
        lead = s.get(Lead, team["cold"])
        assert lead is not None
        lead.source = "Referral"
    before = scoring_api.rescore_all(_uow(store, clock), team["mona"])
    assert before.value.scored == 3
    with store.session() as s:
        cold = s.get(Lead, team["cold"])
        assert cold is not None
        fit = cold.fit
    result = scoring_api.apply_source_weights(_uow(store, clock), team["mona"], {"Referral": 9})
    assert result.changes.settings and result.changes.all_leads
    with store.session() as s:
        assert load_rules(s)["fit"]["source"]["Referral"] == 9
        cold = s.get(Lead, team["cold"])
        assert cold is not None and cold.fit == fit + 5  # Referral was worth 4
    with pytest.raises(ActionError, match="between 0 and 100"):
        scoring_api.apply_source_weights(_uow(store, clock), team["mona"], {"Referral": -1})


def test_a_manager_routes_the_unassigned_leads(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    result = routing_api.route_unassigned(_uow(store, clock), team["mona"])
    routed = {d.lead_id: d for d in result.value}
    assert set(routed) == {team["hot"], team["cold"]}  # the owned lead keeps its owner
    assert all(result.changes.affects(i) for i in routed)
    assert not result.changes.affects(team["owned"])
    assert result.changes.followups  # new owners start cadences
    assert {d.owner_id for d in routed.values()} <= {team["rep_id"], team["other_id"]}
    with store.session() as s:
        reasons = dict(s.execute(select(Lead.id, Lead.routing_reason)).all())
    assert all(reasons[i] == d.reason for i, d in routed.items())


def test_routing_unknown_leads_is_refused_and_routes_nothing(
    store: Store, clock: SettableClock, team: dict[str, Any]
) -> None:
    before = _state(store)
    with pytest.raises(NotFound, match="No lead with id 999999"):
        routing_api.route_leads(_uow(store, clock), team["mona"], [team["hot"], 999999])
    assert _state(store) == before
    result = routing_api.route_leads(_uow(store, clock), team["mona"], [team["owned"]])
    assert [d.lead_id for d in result.value] == [team["owned"]]
    assert result.changes.affects(team["owned"])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e12])
def test_rules_with_a_non_finite_or_huge_number_are_refused(
    store: Store, clock: SettableClock, team: dict[str, Any], bad: float
) -> None:
    from app.services.validation import InvalidInput

    rules = _stricter()
    rules["caps"]["fit"] = bad
    before = _state(store)
    with pytest.raises(InvalidInput, match=r"rules\.caps\.fit must be between"):
        scoring_api.save_rules(_uow(store, clock), team["mona"], rules)
    assert _state(store) == before
