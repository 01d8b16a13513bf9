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


def _stage_of(store: Store, lead_id: int) -> tuple[int | None, int]:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.stage_id, lead.version


def _stages(store: Store) -> dict[str, int]:
    from app.services.pipeline.stages import list_stages

    with store.session() as session:
        return {s.name: s.id for s in list_stages(session)}


def test_a_rep_cannot_reassign_through_an_edit_but_may_edit(
    store: Store, clock: SettableClock, team: dict
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    rep = team["actors"]["rep"]
    with pytest.raises(PermissionDenied, match=r"^Only a manager or the owner can give lead"):
        api.update_lead(uow, rep, team["mine"], {"owner": str(team["manager"]), "title": "CTO"})
    assert _owner(store, team["mine"]) == team["rep"]
    with store.session() as session:
        assert session.get(Lead, team["mine"]).title != "CTO"  # type: ignore[union-attr]
    result = api.update_lead(uow, rep, team["mine"], {"title": "CTO"})
    assert result.value == ["title"] and result.changes.affects(team["mine"])
    result = api.update_lead(uow, team["actors"]["manager"], team["mine"], {"owner": "2"})
    assert "owner_id" in result.value and result.changes.followups


def test_a_rep_cannot_override_a_gate_a_manager_can(
    store: Store, clock: SettableClock, team: dict
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    stages = _stages(store)
    before = _stage_of(store, team["free"])
    with pytest.raises(PermissionDenied, match="Only a manager or the owner can override a gate"):
        api.move_lead(
            uow,
            team["actors"]["rep"],
            team["free"],
            stages["Initial interest"],
            before[1],
            override_reason="trust me",
        )
    assert _stage_of(store, team["free"]) == before  # not moved, version unchanged
    result = api.move_lead(
        uow,
        team["actors"]["manager"],
        team["free"],
        stages["Initial interest"],
        before[1],
        override_reason="Board referral",
    )
    assert result.value.moved and result.value.kind == "override"
    assert result.changes.affects(team["free"])
    assert _stage_of(store, team["free"]) == (stages["Initial interest"], before[1] + 1)


def test_a_blocked_move_is_recorded_and_reported(
    store: Store, clock: SettableClock, team: dict
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    stages = _stages(store)
    result = api.move_lead(uow, team["actors"]["rep"], team["free"], stages["Initial interest"])
    assert not result.value.moved and result.value.kind == "blocked"
    assert "An owner is assigned" in [u.text for u in result.value.unmet]
    assert _stage_of(store, team["free"])[0] == stages["New"]


def test_undo_needs_the_version_it_saw(store: Store, clock: SettableClock, team: dict) -> None:
    from app.services.errors import StaleError

    uow = UnitOfWork(store.session_factory, clock)
    stages = _stages(store)
    manager = team["actors"]["manager"]
    version = _stage_of(store, team["free"])[1]
    moved = api.move_lead(
        uow, manager, team["free"], stages["Initial interest"], version, override_reason="x"
    ).value
    with pytest.raises(StaleError, match="Marcus Webb"):
        api.undo_move(uow, team["actors"]["rep"], team["free"], stages["New"], version)
    back = api.undo_move(uow, team["actors"]["rep"], team["free"], stages["New"], moved.version)
    assert back.value.to_stage == "New" and _stage_of(store, team["free"])[0] == stages["New"]


def test_create_lead_runs_the_new_lead_hooks(
    store: Store, clock: SettableClock, team: dict
) -> None:
    uow = UnitOfWork(store.session_factory, clock)
    result = api.create_lead(uow, team["actors"]["rep"], {"name": "Hedy", "company": "Lamarr"})
    with store.session() as session:
        lead = session.get(Lead, result.value)
        assert lead is not None and lead.scored_at is not None  # scored on the way in
    assert result.changes.affects(result.value)
    with pytest.raises(PermissionDenied):
        api.create_lead(uow, team["actors"]["rep"], {"name": "X", "owner": str(team["manager"])})


def test_a_rep_cannot_edit_the_pipeline_a_manager_can(
    store: Store, clock: SettableClock, team: dict
) -> None:
    from app.services.pipeline import api as pipeline_api
    from app.services.pipeline.editor import StageDraft

    uow = UnitOfWork(store.session_factory, clock)
    stages = pipeline_api.pipeline_stages(uow, team["actors"]["rep"]).value
    drafts = [StageDraft.from_info(s) for s in stages]
    drafts[0].name = "Fresh"
    with pytest.raises(PermissionDenied, match="change the pipeline and its gates"):
        pipeline_api.save_pipeline(uow, team["actors"]["rep"], drafts)
    assert "New" in _stages(store)
    result = pipeline_api.save_pipeline(uow, team["actors"]["manager"], drafts)
    assert result.value[0].name == "Fresh" and result.changes.pipeline
    assert "Fresh" in _stages(store)


def test_bulk_transition_skips_a_lead_changed_meanwhile(
    store: Store, clock: SettableClock, team: dict
) -> None:
    from app.models import LeadStatus, TransitionKind
    from app.services.leads.transitions import (
        PlannedTransition,
        Transition,
        apply_transitions,
        lead_states,
    )

    stages = _stages(store)
    with unit_of_work(store.session_factory) as session:
        states = lead_states(session, [team["mine"], team["free"]])
    api.update_lead(
        UnitOfWork(store.session_factory, clock),
        team["actors"]["rep"],
        team["mine"],
        {"title": "CEO"},
    )  # someone edits "mine" after the states were read
    lost = Transition(stages["Lost"], LeadStatus.LOST, TransitionKind.EXIT, reason_code="spam")
    with unit_of_work(store.session_factory) as session:
        outcome = apply_transitions(
            session,
            [PlannedTransition(s, lost) for s in states],
            now=clock.now(),
            by_user_id=None,
        )
    assert outcome.applied == [team["free"]] and outcome.stale == [team["mine"]]
    assert _stage_of(store, team["mine"])[0] == stages["New"]
    free = next(s for s in states if s.lead_id == team["free"])
    assert _stage_of(store, team["free"]) == (stages["Lost"], free.version + 1)
