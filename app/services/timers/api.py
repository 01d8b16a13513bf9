"""The user actions of the timers: a sweep, and marking alerts read.

`run_sweep` is what the window's timer thread and `leadgate timers sweep` call; its changes
(reopened, nurtured, decayed leads, new alerts) are the sweep result's own `changes()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from app.clock import ensure_utc
from app.services.auth import Actor, Perm, require
from app.services.changes import NOTHING, Changes, Result
from app.services.errors import NotFound
from app.services.followups.settings import load_settings
from app.services.team.identity import restricted_to
from app.services.timers import alerts as alert_svc
from app.services.timers import team
from app.services.timers.sweep import SweepResult, sweep
from app.store.uow import UnitOfWork


def run_sweep(
    uow: UnitOfWork,
    actor: Actor,
    now: datetime | None = None,
    since: datetime | None = None,
    *,
    fresh_for: timedelta = timedelta(0),
) -> Result[SweepResult]:
    """One timer sweep as of `now` (default: the clock).

    On SQLite: incremental after `since` (None: full). On a team database (PostgreSQL) the
    team decides (services/timers/team.py): one workstation sweeps at a time, under an
    advisory lock, from the team's last completed sweep (`since` is not used); a round
    another workstation is sweeping, or the team swept less than `fresh_for` ago, is skipped
    and says so (`SweepResult.skipped`), raising and changing nothing.
    """
    with uow:
        require(actor, Perm.SWEEP_RUN)
        when = ensure_utc(now) if now is not None else uow.clock.now()
        session = uow.session
        if not team.is_shared(session):
            result = sweep(session, when, since=since)
        else:
            if not team.try_lock(session):
                holder = team.lock_holder(session) or "another workstation"
                return Result(SweepResult(now=when, skipped=f"{holder} is sweeping"), NOTHING)
            record = team.load(session)
            acts_for = restricted_to(session)
            cfg = load_settings(session)
            plan = team.plan(
                record,
                when,
                full_every=timedelta(minutes=cfg.full_sweep_minutes),
                fresh_for=fresh_for,
                restricted=acts_for is not None,
            )
            if plan.skip is not None:
                return Result(SweepResult(now=when, skipped=plan.skip), NOTHING)
            result = sweep(session, when, settings=cfg, since=plan.since, acts_for=acts_for)
            team.save(
                session,
                record,
                when,
                since=result.since,
                restricted=acts_for is not None,
                held_back=result.held_back,
                by=team.describe_login(session, team.current_login(session)),
            )
        uow.commit()
    return Result(result, result.changes())


def mark_alerts_read(
    uow: UnitOfWork, actor: Actor, alert_ids: Sequence[int] | None = None
) -> Result[int]:
    """Mark the actor's alerts read (the given ones, or all); the value is how many.

    A team member marks only their own alerts; the system actor marks anyone's.
    """
    with uow:
        require(actor, Perm.LEAD_VIEW)
        if alert_ids:
            missing = alert_svc.missing_alerts(uow.session, alert_ids)
            if missing:
                raise NotFound(f"No alert with id {', '.join(map(str, missing[:10]))}.")
        count = alert_svc.mark_read(
            uow.session,
            uow.clock.now(),
            alert_ids=list(alert_ids) if alert_ids is not None else None,
            user_id=actor.user_id,
        )
        uow.commit()
    return Result(count, Changes(alerts=True) if count else NOTHING)
