"""The lead actions' API: permissions first, one clear refusal, the changes they report."""

from __future__ import annotations

import pytest

from app.clock import SettableClock
from app.models import Lead
from app.services.auth import PermissionDenied
from app.services.leads import api
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers.pipeline import make_lead, setup


@pytest.fixture
def team(store: Store, clock: SettableClock) -> dict[str, object]:
    with unit_of_work(store.session_factory) as session:
        people, _stages = setup(session, clock)
        mine = make_lead(session, clock, name="Mine", owner=people["rep"].id)
        free = make_lead(session, clock, name="Free")
        free.owner_id = None
        return {
            **{k: u.id for k, u in people.items()},
            "actors": {k: _actor(u) for k, u in people.items()},
            "mine": mine.id,
            "free": free.id,
        }


def _actor(user: object) -> object:
    from app.services.auth import Actor

    return Actor(user.id, user.name, user.role)  # type: ignore[attr-defined]


def _owner(store: Store, lead_id: int) -> int | None:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.owner_id


def test_a_rep_cannot_reassign_a_lead(store: Store, clock: SettableClock, team: dict) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    with pytest.raises(PermissionDenied, match="Only a manager or the owner can assign"):
        api.assign_leads(uow, team["actors"]["rep"], [team["mine"]], team["manager"])
    assert _owner(store, team["mine"]) == team["rep"]


def test_a_manager_reassigns_and_the_result_names_the_lead(
    store: Store, clock: SettableClock, team: dict
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    result = api.assign_leads(uow, team["actors"]["manager"], [team["mine"]], team["owner"])
    assert result.value == 1 and result.changes.affects(team["mine"])
    assert _owner(store, team["mine"]) == team["owner"]


def test_a_rep_claims_a_free_lead_but_not_a_teammates(
    store: Store, clock: SettableClock, team: dict
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    api.claim_lead(uow, team["actors"]["rep"], team["free"])
    assert _owner(store, team["free"]) == team["rep"]
    with pytest.raises(PermissionDenied):
        api.claim_lead(uow, team["actors"]["manager"], team["free"])
    assert _owner(store, team["free"]) == team["rep"]
