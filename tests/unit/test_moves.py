"""Moving leads: history, overrides, exits, undo, stale versions, rot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Lead, StageTransition
from app.services.leads.board import BoardFilter, board_cards, board_summary
from app.services.leads.detail import lead_history
from app.services.leads.edit import update_lead
from app.services.leads.moves import (
    MoveError,
    NotAllowedError,
    StaleLeadError,
    is_rotting,
    move_lead,
    schedule_activity,
    undo_move,
)
from app.store.db import Store, unit_of_work
from tests.helpers.pipeline import QUALIFIED, make_lead, setup


def _transitions(session, lead_id: int) -> list[StageTransition]:
    return list(
        session.scalars(
            select(StageTransition)
            .where(StageTransition.lead_id == lead_id)
            .order_by(StageTransition.id)
        )
    )


def test_passing_move_records_forward_and_resets_stage_clock(
    store: Store, clock: SettableClock
) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock, owner=people["rep"].id, **QUALIFIED)
        version = lead.version
        clock.advance(hours=5)
        result = move_lead(
            session, clock, lead.id, stages["Initial interest"].id, people["rep"].id, version
        )
        assert result.moved and result.kind == "forward"
        assert result.version == version + 1
        lead = session.get(Lead, lead.id)
        assert lead.stage_id == stages["Initial interest"].id
        assert lead.stage_entered_at == clock.now()
        assert lead.updated_by_id == people["rep"].id
        assert [t.kind for t in _transitions(session, lead.id)] == ["created", "forward"]


def test_blocked_move_is_recorded_with_the_unmet_labels(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock)
        result = move_lead(
            session, clock, lead.id, stages["Initial interest"].id, people["rep"].id, None
        )
        assert not result.moved and result.kind == "blocked"
        assert session.get(Lead, lead.id).stage_id == stages["New"].id
        blocked = _transitions(session, lead.id)[-1]
        assert blocked.kind == "blocked"
        assert blocked.unmet[0] == "An owner is assigned"
        assert blocked.to_stage_id == stages["Initial interest"].id


def test_rep_cannot_override_manager_can_with_reason(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock)
        target = stages["Initial interest"].id
        with pytest.raises(NotAllowedError):
            move_lead(session, clock, lead.id, target, people["rep"].id, None, "I know them")
        # A manager without a reason is just blocked, like anyone.
        blank = move_lead(session, clock, lead.id, target, people["manager"].id, None, "  ")
        assert not blank.moved
        ok = move_lead(session, clock, lead.id, target, people["owner"].id, None, "CEO intro")
        assert ok.moved and ok.kind == "override"
        last = _transitions(session, lead.id)[-1]
        assert last.override_reason == "CEO intro"
        assert "An owner is assigned" in last.unmet


def test_exit_needs_a_valid_reason_and_its_extras(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock, stage=stages["Discovery complete"])
        lost, nurture = stages["Lost"].id, stages["Nurture"].id
        rep = people["rep"].id
        with pytest.raises(MoveError, match="reason code"):
            move_lead(session, clock, lead.id, lost, rep, None)
        with pytest.raises(MoveError, match="not a reason code"):
            move_lead(session, clock, lead.id, lost, rep, None, reason_code="meh")
        with pytest.raises(MoveError, match="revisit"):
            move_lead(session, clock, lead.id, nurture, rep, None, reason_code="bad_timing")
        with pytest.raises(MoveError, match="competitor"):
            move_lead(session, clock, lead.id, lost, rep, None, reason_code="lost_to_competitor")
        revisit = clock.now() + timedelta(days=90)
        result = move_lead(
            session,
            clock,
            lead.id,
            nurture,
            rep,
            None,
            reason_code="bad_timing",
            revisit_at=revisit,
        )
        assert result.moved and result.kind == "exit" and result.status == "nurture"
        lead = session.get(Lead, lead.id)
        assert lead.revisit_at == revisit and lead.disqualify_reason == "bad_timing"
        assert _transitions(session, lead.id)[-1].reason_code == "bad_timing"


def test_lost_to_competitor_keeps_the_name(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock, stage=stages["Commercial review"])
        move_lead(
            session,
            clock,
            lead.id,
            stages["Lost"].id,
            people["rep"].id,
            None,
            reason_code="lost_to_competitor",
            competitor="HubSpot",
        )
        assert session.get(Lead, lead.id).details["competitor"] == "HubSpot"
        assert "HubSpot" in _transitions(session, lead.id)[-1].note


def test_undo_moves_back_and_history_says_so(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock, owner=people["rep"].id, **QUALIFIED)
        moved = move_lead(session, clock, lead.id, stages["Initial interest"].id, None, None)
        clock.advance(minutes=1)
        undone = undo_move(session, clock, lead.id, stages["New"].id, None, moved.version)
        assert undone.kind == "back"
        assert session.get(Lead, lead.id).stage_id == stages["New"].id
        newest = lead_history(session, lead.id)[0]
        assert newest.text == "Moved back Initial interest → New"
        assert newest.detail == "Undo"


def test_undo_of_an_exit_reopens(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        _, stages = setup(session, clock)
        lead = make_lead(session, clock, stage=stages["Initial interest"])
        move_lead(
            session, clock, lead.id, stages["Disqualified"].id, None, None, reason_code="spam"
        )
        assert session.get(Lead, lead.id).status == "disqualified"
        result = undo_move(session, clock, lead.id, stages["Initial interest"].id, None, None)
        assert result.kind == "reopen"
        lead = session.get(Lead, lead.id)
        assert lead.status == "open" and lead.disqualify_reason is None


def test_stale_version_is_refused_with_who_and_when(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        lead = make_lead(session, clock, owner=people["rep"].id, **QUALIFIED)
        lead_id, seen = lead.id, lead.version
        target = stages["Initial interest"].id
        manager_id = people["manager"].id
    # Another workstation edits the lead after we read it.
    clock.advance(minutes=3)
    with unit_of_work(store.session_factory) as session:
        update_lead(session, clock, lead_id, {"timeline": "Q4"}, manager_id)
    with unit_of_work(store.session_factory) as session:
        with pytest.raises(StaleLeadError) as info:
            move_lead(session, clock, lead_id, target, people["rep"].id, seen)
        assert info.value.changed_by == "Marcus Webb"
        assert info.value.changed_at == clock.now()
        assert "Marcus Webb" in str(info.value)
        assert session.get(Lead, lead_id).stage_id == stages["New"].id


def test_rot_needs_age_and_no_future_activity(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        stage = stages["Initial interest"]  # stale after 48 h
        fresh = make_lead(session, clock, stage=stage, name="Fresh", owner=people["rep"].id)
        planned = make_lead(session, clock, stage=stage, name="Planned", owner=people["rep"].id)
        idle = make_lead(session, clock, stage=stage, name="Idle", owner=people["rep"].id)
        for lead in (planned, idle):
            lead.stage_entered_at = clock.now() - timedelta(hours=47)
        schedule_activity(session, clock, planned.id, "call", clock.now() + timedelta(days=5), None)
        session.flush()
        now = clock.now()
        assert not any(is_rotting(session, x, now, stage) for x in (fresh, planned, idle))
        clock.advance(hours=2)
        now = clock.now()
        assert [is_rotting(session, x, now, stage) for x in (fresh, planned, idle)] == [
            False,
            False,
            True,
        ]
        cards = {c.name: c for c in board_cards(session, now, stage.id)}
        assert cards["Idle"].rotting and not cards["Planned"].rotting
        rotting = board_cards(session, now, stage.id, BoardFilter(rotting_only=True))
        assert [c.name for c in rotting] == ["Idle"]
        # The planned call passes without being logged: that lead rots too.
        clock.advance(days=6)
        rotting = board_cards(session, clock.now(), stage.id, BoardFilter(rotting_only=True))
        assert sorted(c.name for c in rotting) == ["Fresh", "Idle", "Planned"]


def test_board_summary_and_cards(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        people, stages = setup(session, clock)
        rep, other = people["rep"], people["manager"]
        new = stages["New"]
        make_lead(session, clock, name="Ann Ames", company="Acme", deal_value="1000", owner=rep.id)
        b = make_lead(session, clock, name="Bob Burt", deal_value="2500.50", owner=other.id)
        b.tier = "Urgent"
        lost = make_lead(session, clock, name="Gone", deal_value="9999")
        lost.status = "lost"
        session.flush()
        summary = {s.stage.name: s for s in board_summary(session, clock.now())}
        assert list(summary) == [
            "New",
            "Initial interest",
            "Discovery complete",
            "Technical fit confirmed",
            "Commercial review",
        ]
        assert summary["New"].count == 2
        assert float(summary["New"].total_value) == pytest.approx(3500.50)
        mine = board_summary(session, clock.now(), BoardFilter(owner_id=rep.id))
        assert mine[0].count == 1
        cards = board_cards(session, clock.now(), new.id, BoardFilter(text="acme"))
        assert [c.name for c in cards] == ["Ann Ames"]
        card = cards[0]
        assert card.owner_initials == "PN"
        # Owner assigned, but not qualified (no industry/headcount/role/timeline).
        assert card.unmet_count == 1
        urgent = board_cards(session, clock.now(), new.id, BoardFilter(tiers=("Urgent",)))
        assert [c.name for c in urgent] == ["Bob Burt"]
        page = board_cards(session, clock.now(), new.id, offset=1, limit=1)
        assert len(page) == 1
