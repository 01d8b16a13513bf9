"""Team-aware sweeping: on PostgreSQL one workstation sweeps at a time (advisory lock) and each
sweep carries on from the team's last one (team_sweeps); on SQLite nothing changes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from app.clock import SettableClock
from app.models import Activity, Alert, Lead, TeamSweep
from app.services.auth import Actor
from app.services.changes import Result
from app.services.followups.settings import save_settings
from app.services.timers import team
from app.services.timers.alerts import SYSTEM_KINDS
from app.services.timers.api import run_sweep
from app.services.timers.sweep import SweepResult, sweep
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers import stores
from tests.helpers.followups import Team, make_lead, make_team

TIMERS = Actor.system("Timers")


def _sweep(store: Store, clock: SettableClock, now: datetime, **kw: Any) -> SweepResult:
    """One workstation's round: run_sweep in its own unit of work, as the timer thread does."""
    outcome: Result[SweepResult] = run_sweep(
        UnitOfWork(store.session_factory, clock), TIMERS, now, **kw
    )
    return outcome.value


@contextmanager
def another_workstation_sweeping(store: Store) -> Iterator[None]:
    """Another workstation in the middle of a sweep: it holds the sweep lock in its open
    transaction until the block ends."""
    with store.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": team.SWEEP_LOCK_KEY})
        yield
        conn.rollback()


def _user_alerts(store: Store) -> list[tuple[str, int | None]]:
    with store.session() as s:
        rows = s.execute(
            select(Alert.kind, Alert.lead_id).where(Alert.kind.not_in(SYSTEM_KINDS))
        ).all()
    return sorted((k, i) for k, i in rows)


def _record(store: Store) -> TeamSweep | None:
    with store.session() as s:
        return s.get(TeamSweep, team.TEAM_KEY)


def _stale_soon(store: Store, t0: datetime) -> tuple[Team, int]:
    """A team and a contacted lead in 'Initial interest' (48 h) that turns stale at t0 + 48 h."""
    with unit_of_work(store.session_factory) as s:
        tm = make_team(s)
        lead = make_lead(s, tm, t0, stage="Initial interest", first_contacted_at=t0)
        lead.last_touch_at = t0
        return tm, lead.id


@pytest.mark.postgres
def test_two_concurrent_sweeps_one_sweeps_the_other_skips_and_raises_nothing(
    pg_store: Store, clock: SettableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = clock.now()
    with unit_of_work(pg_store.session_factory) as s:
        tm = make_team(s)
        for i in range(20):
            make_lead(s, tm, t0 - timedelta(days=45), tier=("Urgent", "High")[i % 2])
    inside, release = threading.Event(), threading.Event()
    real_sweep = sweep

    def held_sweep(*args: Any, **kw: Any) -> SweepResult:
        result = real_sweep(*args, **kw)
        if not inside.is_set():  # the first workstation stays mid-sweep until released
            inside.set()
            release.wait(timeout=30)
        return result

    monkeypatch.setattr("app.services.timers.api.sweep", held_sweep)
    first: list[SweepResult] = []
    thread = threading.Thread(target=lambda: first.append(_sweep(pg_store, clock, t0)))
    thread.start()
    try:
        assert inside.wait(timeout=30)
        second = _sweep(pg_store, clock, t0)
    finally:
        release.set()
        thread.join(timeout=60)
    assert second.skipped == "postgres is sweeping"  # the login holding the lock
    assert second.fired == [] and not second.changes()
    assert second.to_dict()["skipped"] == "postgres is sweeping"
    [done] = first
    assert done.skipped is None and done.full
    assert len(done.fired) == 20 * 4  # sla, escalation, stale and dormant each
    assert len(_user_alerts(pg_store)) == len(done.fired)


@pytest.mark.postgres
def test_a_skipped_round_is_covered_by_the_next_sweep(
    pg_store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    _, lead_id = _stale_soon(pg_store, t0)
    last = t0 + timedelta(hours=47, minutes=59)
    assert _sweep(pg_store, clock, last).full
    # The lead turns stale at 48 h; that round, another workstation holds the lock.
    with another_workstation_sweeping(pg_store):
        skipped = _sweep(pg_store, clock, t0 + timedelta(hours=48, minutes=1))
    assert skipped.skipped and skipped.fired == []
    assert _record(pg_store).swept_at == last  # type: ignore[union-attr]
    # The next round (incremental from the team's last completed sweep) catches it.
    later = _sweep(pg_store, clock, t0 + timedelta(hours=48, minutes=2))
    assert later.since == last
    assert [(a.kind, a.lead_id) for a in later.fired] == [("stale", lead_id)]


@pytest.mark.postgres
def test_a_starting_workstation_sweeps_incrementally_from_the_team_record(
    pg_store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    _, lead_id = _stale_soon(pg_store, t0)
    assert _record(pg_store) is None
    first = _sweep(pg_store, clock, t0 + timedelta(hours=47, minutes=58))  # no record: full
    assert first.full
    record = _record(pg_store)
    assert record is not None and record.full_at == record.swept_at == first.now
    assert record.swept_by == "postgres"
    # Another workstation starts two minutes later: incremental from the team's sweep.
    start = _sweep(pg_store, clock, t0 + timedelta(hours=48))
    assert not start.full and start.since == first.now
    assert [(a.kind, a.lead_id) for a in start.fired] == [("stale", lead_id)]
    # The team's full sweep is due every full_sweep_minutes (5): the next one after that is full.
    assert _sweep(pg_store, clock, t0 + timedelta(hours=48, minutes=2)).since is not None
    assert _sweep(pg_store, clock, t0 + timedelta(hours=48, minutes=3)).full
    # A record more than a day old is not worth an incremental sweep.
    with unit_of_work(pg_store.session_factory) as s:
        save_settings(s, t0, full_sweep_minutes=100_000)
    assert _sweep(pg_store, clock, t0 + timedelta(hours=49)).since is not None
    assert _sweep(pg_store, clock, t0 + timedelta(hours=74)).full


@pytest.mark.postgres
def test_the_team_just_swept_or_its_clock_is_ahead(pg_store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    _stale_soon(pg_store, t0)
    _sweep(pg_store, clock, t0)
    # Within `fresh_for` (the timer thread: half its interval) of the team's sweep: skipped.
    fresh = _sweep(pg_store, clock, t0 + timedelta(seconds=10), fresh_for=timedelta(seconds=15))
    assert fresh.skipped is not None and "the team swept at" in fresh.skipped
    assert fresh.skipped.endswith("UTC, by postgres")
    # A workstation whose clock is a minute behind: the team already swept its moment.
    assert _sweep(pg_store, clock, t0 - timedelta(minutes=1)).skipped is not None
    # A record far in this workstation's future (its writer's clock was wrong): full sweep.
    assert _sweep(pg_store, clock, t0 - timedelta(hours=1)).full
    assert _record(pg_store).swept_at == t0 - timedelta(hours=1)  # type: ignore[union-attr]


def test_sqlite_sweeps_as_before(sqlite_store: Store, clock: SettableClock) -> None:
    """One workstation: no lock, no record; the caller's `since` decides."""
    t0 = clock.now()
    _stale_soon(sqlite_store, t0)
    assert _sweep(sqlite_store, clock, t0).full
    again = _sweep(sqlite_store, clock, t0 + timedelta(minutes=1), since=t0)
    assert again.skipped is None and again.since == t0
    assert _sweep(sqlite_store, clock, t0 + timedelta(minutes=2)).full
    assert _record(sqlite_store) is None


def test_alerts_a_rep_login_holds_back_are_raised_by_the_next_unrestricted_sweep() -> None:
    """The record's held_since: a rep's sweep leaves other reps' actions unfired, and the next
    sweep by a login the server does not restrict widens its window to cover them."""
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=team.FROM_THE_START.tzinfo)
    every = timedelta(minutes=5)
    record = TeamSweep(key="team", swept_at=t0, full_at=t0, held_since=None, swept_by="ana")
    rep = team.plan(record, t0 + timedelta(minutes=1), full_every=every, restricted=True)
    assert rep.since == t0
    # The rep's sweep (t0, t0+1m] held two alerts back.
    with_held = TeamSweep(
        key="team",
        swept_at=t0 + timedelta(minutes=1),
        full_at=t0,
        held_since=t0,
        swept_by="ana",
    )
    later = t0 + timedelta(minutes=2)
    assert team.plan(with_held, later, full_every=every, restricted=True).since == later - (
        timedelta(minutes=1)
    )
    assert team.plan(with_held, later, full_every=every).since == t0  # the manager's
    # ... even at the moment the rep swept, or within `fresh_for` of it.
    at_once = with_held.swept_at
    assert team.plan(with_held, at_once, full_every=every, restricted=True).skip is not None
    assert team.plan(with_held, at_once, full_every=every).since == t0
    assert team.plan(with_held, later, full_every=every, fresh_for=every).since == t0
    # Held back by a full sweep: the next unrestricted one is full.
    with_held.held_since = team.FROM_THE_START
    assert team.plan(with_held, later, full_every=every).since is None


# --- the same alerts whichever way the team sweeps -------------------------------------------


def _history(store: Store, t0: datetime) -> None:
    """Leads whose clock-driven alerts fall at different moments of three days."""
    with unit_of_work(store.session_factory) as s:
        save_settings(s, t0, full_sweep_minutes=100_000)  # incremental after the first
        tm = make_team(s)
        for h in range(0, 72, 5):  # stale (48 h stage): crossing through the three days
            entered = t0 - timedelta(hours=47) + timedelta(hours=h)
            _named(
                s,
                tm,
                entered,
                f"stale {h}",
                stage="Initial interest",
                first_contacted_at=entered,
                last_touch_at=t0,
            )
        for h in range(0, 48, 7):  # missed: two follow-ups lapse, the second escalates
            lead = _named(
                s,
                tm,
                t0,
                f"missed {h}",
                first_contacted_at=t0,
                last_touch_at=t0,
                owner=(tm.rep_a, tm.rep_b)[h % 2],
            )
            for due in (t0 + timedelta(hours=h - 30), t0 + timedelta(hours=h)):
                s.add(
                    Activity(
                        lead_id=lead.id,
                        owner_id=lead.owner_id,
                        type="call",
                        status="planned",
                        subject="Call",
                        due_at=due,
                        created_at=due - timedelta(days=1),
                    )
                )
            s.add(  # a far-off plan: never stale, never dormant
                Activity(
                    lead_id=lead.id,
                    owner_id=lead.owner_id,
                    type="call",
                    status="planned",
                    subject="Later",
                    due_at=t0 + timedelta(days=200),
                    created_at=t0,
                )
            )
        for h in range(0, 72, 11):  # dormant: the last touch turns 30 days old
            touched = t0 - timedelta(days=30) + timedelta(hours=h)
            _named(
                s,
                tm,
                touched,
                f"dormant {h}",
                stage="Discovery complete",
                first_contacted_at=touched,
                last_touch_at=touched,
            )
        for h in range(0, 72, 13):  # never contacted: SLA and escalation
            _named(s, tm, t0 + timedelta(hours=h), f"new {h}", tier="Medium")


def _named(session: Any, tm: Team, at: datetime, name: str, **kw: Any) -> Lead:
    lead = make_lead(session, tm, at, **kw)
    lead.display_name = name
    session.flush()
    return lead


def _named_alerts(store: Store) -> list[tuple[str, str, datetime]]:
    with store.session() as s:
        rows = s.execute(
            select(Alert.kind, Lead.display_name, Alert.fired_at)
            .join(Lead, Lead.id == Alert.lead_id)
            .where(Alert.kind.not_in(SYSTEM_KINDS))
        ).all()
    return sorted((k, n, at) for k, n, at in rows)


def _run(
    store: Store, t0: datetime, rounds: int, each: Callable[[int, datetime], None]
) -> list[tuple[str, str, datetime]]:
    stores.truncate_all(store)
    _history(store, t0)
    for i in range(rounds):
        each(i, t0 + timedelta(minutes=40 * i))
    return _named_alerts(store)


@pytest.mark.postgres
def test_incremental_team_sweeps_raise_exactly_what_full_sweeps_raise(
    pg_store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    rounds = 3 * 24 * 60 // 40 + 1  # three days, a round every 40 minutes
    swept_at: list[int] = []
    modes: list[str] = []

    def team_round(i: int, now: datetime) -> None:
        if i % 7 == 3:  # now and then another workstation holds the lock: skipped
            with another_workstation_sweeping(pg_store):
                assert _sweep(pg_store, clock, now).skipped
            return
        result = _sweep(pg_store, clock, now)
        modes.append("full" if result.full else "incremental")
        swept_at.append(i)

    through_team = _run(pg_store, t0, rounds, team_round)
    assert modes[0] == "full" and set(modes[1:]) == {"incremental"}

    def full_round(i: int, now: datetime) -> None:
        if i in swept_at:
            with unit_of_work(pg_store.session_factory) as s:
                sweep(s, now)

    full_each_time = _run(pg_store, t0, rounds, full_round)
    assert {k for k, _, _ in through_team} >= {
        "stale",
        "missed",
        "reengage",
        "sla",
        "sla_escalation",
    }
    assert through_team == full_each_time
    # And one full sweep at the end raises the same alerts (timing aside).
    end = t0 + timedelta(minutes=40 * (rounds - 1))

    def one_full(i: int, now: datetime) -> None:
        if i == rounds - 1:
            with unit_of_work(pg_store.session_factory) as s:
                sweep(s, end)

    at_once = _run(pg_store, t0, rounds, one_full)
    assert sorted((k, n) for k, n, _ in at_once) == sorted((k, n) for k, n, _ in through_team)
