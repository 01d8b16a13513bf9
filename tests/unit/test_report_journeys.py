"""The stored report facts stay equal to a rebuild from scratch as the history grows, moves
are undone, leads change hands and stages are reordered, on both stores."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session

from app.clock import SettableClock
from app.models import (
    Lead,
    ReportJourney,
    ReportJourneyQueue,
    ReportStall,
    ReportStay,
    StageTransition,
)
from app.services.leads.moves import undo_move
from app.services.pipeline.editor import StageDraft, save_pipeline
from app.services.pipeline.stages import list_stages
from app.services.reports import journeys as rj
from app.services.reports import metrics as m
from app.services.timers.sweep import sweep
from app.store.db import Store
from tests.helpers.report_history import PERIOD, History, build_history
from tests.helpers.report_history import at as when

FEB = m.MetricsFilter(date_from=PERIOD[0], date_to=PERIOD[1])


def facts(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored fact, in a stable order (stall ids are surrogate keys: left out)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for model in (ReportJourney, ReportStay, ReportStall):
        cols = [c for c in model.__table__.columns if c.name != "id"]
        rows = session.execute(select(*cols)).all()
        out[model.__tablename__] = sorted(
            (tuple(round(v, 6) if isinstance(v, float) else v for v in r) for r in rows),
            key=repr,
        )
    return out


def rebuilt(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """The facts a full rebuild gives, without keeping it."""
    nested = session.begin_nested()
    rj.refresh_journeys(session, full=True)
    expected = facts(session)
    nested.rollback()
    return expected


@pytest.fixture
def history(store: Store) -> History:
    with store.session() as session:
        h = build_history(session)
        rj.refresh_journeys(session)
        session.commit()
    return h


def _forward(session: Session, h: History, lead: str, frm: str, to: str, day: int) -> None:
    session.execute(
        insert(StageTransition).values(
            lead_id=h.leads[lead],
            from_stage_id=h.stage[frm],
            to_stage_id=h.stage[to],
            kind="forward",
            at=when(2, day),
        )
    )


def test_the_first_refresh_builds_everything_and_the_next_has_nothing_to_do(
    store: Store, clock: SettableClock
) -> None:
    with store.session() as session:
        build_history(session)
        first = rj.refresh_journeys(session)
        again = rj.refresh_journeys(session)
        assert first.full and first.leads == 5 and first.reason == "first build"
        assert not again.full and again.leads == 0
        assert session.scalar(select(ReportJourneyQueue.id)) is None


def test_new_transitions_after_a_refresh_are_folded_in(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        before = m.funnel(session, clock, FEB)
        _forward(session, history, "L4", "New", "Initial interest", 20)
        session.commit()
        result = rj.refresh_journeys(session)
        assert not result.full and result.leads == 1  # only L4 is rebuilt
        after = m.funnel(session, clock, FEB)
        assert facts(session) == rebuilt(session)
    reached = {s.stage: s.reached for s in after.steps}
    assert (
        reached["Initial interest"]
        == {s.stage: s.reached for s in before.steps}["Initial interest"] + 1
    )
    # The dashboard catches up by itself, without an explicit refresh.
    with store.session() as session:
        _forward(session, history, "L4", "Initial interest", "Discovery complete", 22)
        session.commit()
        d = m.compute_dashboard(session, clock, FEB)
        assert {s.stage: s.reached for s in d.funnel.steps}["Discovery complete"] == 2
        assert facts(session) == rebuilt(session)


def test_an_undone_move_and_a_back_move_keep_the_facts_exact(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        l5 = session.get(Lead, history.leads["L5"])
        assert l5 is not None
        undo_move(session, clock, l5.id, history.stage["New"], None, l5.version)
        session.commit()
        c = m.conversion(session, clock, m.MetricsFilter())
        assert facts(session) == rebuilt(session)
        # L5 still reached Initial interest once: the funnel counts the furthest stage ever.
        f = m.funnel(session, clock, m.MetricsFilter())
        assert {s.stage: s.reached for s in f.steps}["Initial interest"] == 3
        # A transition deleted outright (a correction) is folded out again.
        session.execute(
            delete(StageTransition).where(
                StageTransition.lead_id == history.leads["L1"],
                StageTransition.to_stage_id == history.stage["Won"],
            )
        )
        session.commit()
        f = m.funnel(session, clock, m.MetricsFilter())
        assert {s.stage: s.reached for s in f.steps}["Won"] == 0
        assert facts(session) == rebuilt(session)
    assert {s.stage: s.entered for s in c.stages}["New"] == 5


def test_a_change_of_owner_moves_the_open_lead_between_reps(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        lead = session.get(Lead, history.leads["L4"])
        assert lead is not None
        lead.owner_id = history.rep_a
        session.commit()
        t = m.team(session, clock, FEB)
        assert facts(session) == rebuilt(session)
    reps = {r.owner_id: r for r in t.reps}
    assert (reps[history.rep_a].open_leads, reps[history.rep_b].open_leads) == (1, 1)


def test_reordering_stages_rebuilds_the_facts_in_the_new_order(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        drafts = [StageDraft.from_info(s) for s in list_stages(session)]
        # Discovery complete and Technical fit confirmed swap places.
        drafts[2], drafts[3] = drafts[3], drafts[2]
        save_pipeline(session, clock, drafts)
        session.commit()
        result = rj.refresh_journeys(session)
        assert result.full and result.reason == "stages changed"
        f = m.funnel(session, clock, m.MetricsFilter())
        rows = session.execute(
            select(StageTransition.lead_id, StageTransition.to_stage_id, StageTransition.kind)
        ).all()
        assert facts(session) == rebuilt(session)
    order = [s.stage_id for s in f.steps]
    assert order[2] == history.stage["Technical fit confirmed"]
    furthest: dict[int, int] = {}
    for lead_id, to_stage, kind in rows:
        if kind != "blocked" and to_stage in order:
            furthest[lead_id] = max(furthest.get(lead_id, -1), order.index(to_stage))
    assert [s.reached for s in f.steps] == [
        sum(1 for r in furthest.values() if r >= i) for i in range(len(order))
    ]


def test_uncommitted_moves_are_seen_by_the_same_session_and_roll_back(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        _forward(session, history, "L4", "New", "Initial interest", 20)
        f = m.funnel(session, clock, FEB)
        assert {s.stage: s.reached for s in f.steps}["Initial interest"] == 3
        session.rollback()
        f = m.funnel(session, clock, FEB)
        assert {s.stage: s.reached for s in f.steps}["Initial interest"] == 2
        assert facts(session) == rebuilt(session)


def test_the_timer_sweep_keeps_the_facts_current(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        _forward(session, history, "L4", "New", "Initial interest", 20)
        session.commit()
        sweep(session, clock.now())
        session.commit()
        assert session.scalar(select(ReportJourneyQueue.id)) is None
        assert facts(session) == rebuilt(session)


def test_missing_triggers_are_reinstalled_with_a_full_rebuild(
    sqlite_store: Store, clock: SettableClock
) -> None:
    with sqlite_store.session() as session:
        h = build_history(session)
        rj.refresh_journeys(session)
        rj.drop_triggers(session.connection())
        _forward(session, h, "L4", "New", "Initial interest", 20)  # not queued
        result = rj.refresh_journeys(session, full=False)
        assert result.full and result.reason == "queue triggers were missing"
        assert facts(session) == rebuilt(session)
        n = session.execute(
            text("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'report_queue_%'")
        ).scalar()
        assert n == len(rj.TRIGGER_NAMES)


@pytest.mark.postgres
def test_two_workstations_refreshing_at_once_agree(pg_store: Store, clock: SettableClock) -> None:
    with pg_store.session() as session:
        h = build_history(session)
        rj.refresh_journeys(session)
        session.commit()
        for lead, day in (("L4", 20), ("L3", 21), ("L5", 22)):
            _forward(session, h, lead, "New", "Initial interest", day)
            session.commit()
    barrier = threading.Barrier(2)
    results: list[rj.RefreshResult] = []
    errors: list[BaseException] = []

    def workstation() -> None:
        try:
            with pg_store.session() as session:
                barrier.wait()
                results.append(rj.refresh_journeys(session))
                session.commit()
        except BaseException as exc:  # reported below, on the test thread
            errors.append(exc)

    threads = [threading.Thread(target=workstation) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # One did the work, the other waited for it and found nothing left.
    assert sorted(r.leads for r in results) == [0, 3]
    with pg_store.session() as session:
        assert session.scalar(select(ReportJourneyQueue.id)) is None
        assert facts(session) == rebuilt(session)


def test_a_second_pipeline_is_reported_on_its_own_stages(
    store: Store, clock: SettableClock, history: History
) -> None:
    from app.models import Pipeline, Stage

    with store.session() as session:
        partners = Pipeline(name="Partners", is_default=False)
        session.add(partners)
        session.flush()
        a, b, won = (
            Stage(pipeline_id=partners.id, name=n, position=i, kind=k)
            for i, (n, k) in enumerate([("Intro", "open"), ("Pilot", "open"), ("Signed", "won")])
        )
        session.add_all([a, b, won])
        lead = Lead(display_name="P1", captured_at=when(2, 5), status="open")
        lead.pipeline_id = partners.id
        session.add(lead)
        session.flush()
        session.execute(
            insert(StageTransition),
            [
                {"lead_id": lead.id, "to_stage_id": a.id, "kind": "created", "at": when(2, 5)},
                {
                    "lead_id": lead.id,
                    "from_stage_id": a.id,
                    "to_stage_id": b.id,
                    "kind": "forward",
                    "at": when(2, 8),
                },
            ],
        )
        session.commit()
        stored_before = facts(session)
        f = m.funnel(session, clock, m.MetricsFilter(*PERIOD, pipeline_id=partners.id))
        c = m.conversion(session, clock, m.MetricsFilter(*PERIOD, pipeline_id=partners.id))
        default_id = session.scalar(select(Pipeline.id).where(Pipeline.is_default.is_(True)))
        main = m.funnel(session, clock, m.MetricsFilter(*PERIOD, pipeline_id=default_id))
        # The one-off build for another pipeline leaves the stored facts alone.
        rj.refresh_journeys(session)
        assert [r for r in facts(session)["report_journeys"] if r[0] != lead.id] == [
            r for r in stored_before["report_journeys"] if r[0] != lead.id
        ]
    assert [(s.stage, s.reached) for s in f.steps] == [("Intro", 1), ("Pilot", 1), ("Signed", 0)]
    assert {s.stage: s.entered for s in c.stages} == {"Intro": 1, "Pilot": 1}
    assert main.cohort == 4  # the default pipeline's February leads only
