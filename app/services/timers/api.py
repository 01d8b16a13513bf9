"""The user actions of the timers: a sweep, and marking alerts read.

`run_sweep` is what the window's timer thread and `leadgate timers sweep` call; its changes
(reopened, nurtured, decayed leads, new alerts) are the sweep result's own `changes()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.clock import ensure_utc
from app.services.auth import Actor, Perm, require
from app.services.changes import NOTHING, Changes, Result
from app.services.errors import NotFound
from app.services.team.identity import restricted_to
from app.services.timers import alerts as alert_svc
from app.services.timers.sweep import SweepResult, sweep
from app.store.uow import UnitOfWork


def run_sweep(
    uow: UnitOfWork, actor: Actor, now: datetime | None = None, since: datetime | None = None
) -> Result[SweepResult]:
    """One timer sweep as of `now` (default: the clock); incremental after `since`."""
    with uow:
        require(actor, Perm.SWEEP_RUN)
        when = ensure_utc(now) if now is not None else uow.clock.now()
        result = sweep(uow.session, when, since=since, acts_for=restricted_to(uow.session))
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
