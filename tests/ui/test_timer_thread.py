"""The window's timer thread on both stores: its rounds, a round skipped because another
workstation of the team is sweeping (PostgreSQL), and a workstation starting up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from app.clock import SettableClock
from app.services.team.users import UserInfo
from app.services.timers import team
from app.services.timers.sweep import FiredAlert, SweepResult
from app.store.db import Store, unit_of_work
from app.ui.context import AppContext
from app.ui.timers import TimerThread
from app.ui.workers import TaskRunner
from tests.helpers.followups import make_lead, make_team

# Long enough that the Qt timer never ticks during a test: every round here is asked for.
INTERVAL_S = 120


def _context(store: Store, clock: SettableClock) -> Iterator[AppContext]:
    tasks = TaskRunner(store.session_factory)
    user = UserInfo(1, "Olivia Owner", "o@x.example", "owner", None, 0, True)
    yield AppContext(store=store, clock=clock, user=user, tasks=tasks)
    tasks.wait()


@pytest.fixture
def ctx(store: Store, clock: SettableClock) -> Iterator[AppContext]:
    yield from _context(store, clock)


@pytest.fixture
def pg_ctx(pg_store: Store, clock: SettableClock) -> Iterator[AppContext]:
    yield from _context(pg_store, clock)


def _stale_at_48h(store: Store, t0: datetime) -> int:
    """A contacted lead in 'Initial interest' (48 h threshold): stale at t0 + 48 h."""
    with unit_of_work(store.session_factory) as s:
        tm = make_team(s)
        lead = make_lead(s, tm, t0, stage="Initial interest", first_contacted_at=t0)
        lead.last_touch_at = t0
        return lead.id


@contextmanager
def running(ctx: AppContext, qtbot: QtBot) -> Iterator[tuple[TimerThread, SweepResult]]:
    """A workstation's timer thread, started, with its first round's result."""
    timer = TimerThread(ctx, None, interval_seconds=INTERVAL_S)
    try:
        with qtbot.waitSignal(timer.swept, timeout=20000) as first:
            timer.start()
        yield timer, first.args[0]
    finally:
        assert timer.stop()


def _round(timer: TimerThread, qtbot: QtBot) -> tuple[SweepResult, list[FiredAlert]]:
    alerts: list[list[FiredAlert]] = []
    timer.alerts_fired.connect(alerts.append)
    with qtbot.waitSignal(timer.swept, timeout=20000) as swept:
        timer.sweep_now()
    timer.alerts_fired.disconnect(alerts.append)
    return swept.args[0], [a for batch in alerts for a in batch]


@contextmanager
def another_workstation_sweeping(store: Store) -> Iterator[None]:
    with store.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": team.SWEEP_LOCK_KEY})
        yield
        conn.rollback()


def test_rounds_go_incremental_after_the_first_and_raise_what_came_due(
    ctx: AppContext, store: Store, clock: SettableClock, qtbot: QtBot
) -> None:
    t0 = clock.now()
    lead_id = _stale_at_48h(store, t0)
    clock.set(t0 + timedelta(hours=47, minutes=59))
    with running(ctx, qtbot) as (timer, first):
        assert first.full and first.fired == []
        clock.advance(minutes=2)
        result, alerts = _round(timer, qtbot)
    assert result.since == first.now  # incremental from the first round
    assert [(a.kind, a.lead_id) for a in alerts] == [("stale", lead_id)]
    assert timer.last_result is result


@pytest.mark.postgres
def test_a_round_another_workstation_sweeps_is_skipped_and_the_next_covers_it(
    pg_ctx: AppContext, pg_store: Store, clock: SettableClock, qtbot: QtBot
) -> None:
    t0 = clock.now()
    lead_id = _stale_at_48h(pg_store, t0)
    clock.set(t0 + timedelta(hours=47, minutes=59))
    with running(pg_ctx, qtbot) as (timer, first):
        clock.advance(minutes=2)  # the lead is stale now, but this round is another's
        with another_workstation_sweeping(pg_store):
            skipped, alerts = _round(timer, qtbot)
        assert skipped.skipped == "postgres is sweeping" and alerts == []
        clock.advance(minutes=2)
        covered, alerts = _round(timer, qtbot)
    assert covered.skipped is None and covered.since == first.now  # the gap included
    assert [(a.kind, a.lead_id) for a in alerts] == [("stale", lead_id)]


def test_a_workstation_starting_up(
    ctx: AppContext, store: Store, clock: SettableClock, qtbot: QtBot
) -> None:
    """On a team database it carries on from the team's last sweep; alone (SQLite), its own
    first sweep is full as before."""
    t0 = clock.now()
    _stale_at_48h(store, t0)
    with running(ctx, qtbot) as (_, first):
        assert first.full
    clock.advance(minutes=2)
    with running(ctx, qtbot) as (_, starting):
        pass
    if store.is_sqlite:
        assert starting.full
    else:
        assert not starting.full and starting.since == first.now
