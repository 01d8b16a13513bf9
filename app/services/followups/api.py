"""The user actions on follow-ups and cadences: one function each, `(uow, actor, ...) -> Result`.

Follow-up work on a lead (done, skip, reschedule, a reply) needs Perm.LEAD_EDIT; changing the
cadence templates or the follow-up settings needs Perm.SETTINGS_EDIT. Each checks first, does
the work through the session-level functions of this package, commits, and says what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from app.clock import ensure_utc
from app.models import CadenceStep
from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError, NotFound
from app.services.followups import cadence as cad
from app.services.followups import settings as cfg
from app.services.followups.days import clean_outcome
from app.services.validation import check_year
from app.store.uow import UnitOfWork

T = TypeVar("T")

# A cadence or settings edit changes what is planned from now on and the timer thresholds.
_TEMPLATES = Changes(followups=True, settings=True)


def _checked(work: Callable[[], T]) -> T:
    """Run a session-level function, turning its LookupError/ValueError into ActionErrors."""
    try:
        return work()
    except ActionError:
        raise
    except LookupError as exc:
        raise NotFound(str(exc).strip("'\"")) from exc
    except ValueError as exc:
        raise ActionError(str(exc)) from exc


def _followup_changed(f: cad.FollowUp) -> Changes:
    return Changes.for_leads([f.lead_id], followups=True)


def mark_done(
    uow: UnitOfWork,
    actor: Actor,
    activity_id: int,
    outcome: str = "Done",
    *,
    notes: str | None = None,
) -> Result[cad.FollowUp]:
    """The follow-up was done now, with this outcome (a touch of the lead for outreach)."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        current = cad.get_followup(uow.session, activity_id)
        if current is None:
            raise NotFound(f"No follow-up {activity_id}.")
        if current.status != "planned":
            raise ActionError(f"Follow-up {activity_id} is already {current.status}.")
        done = _checked(
            lambda: cad.mark_done(
                uow.session,
                uow.clock,
                activity_id,
                clean_outcome(outcome),
                user_id=actor.user_id,
                notes=notes,
            )
        )
        uow.commit()
    return Result(done, _followup_changed(done))


def skip_followup(
    uow: UnitOfWork, actor: Actor, activity_id: int, *, reason: str = "Skipped"
) -> Result[cad.FollowUp]:
    """Skip a planned follow-up (the rest of the cadence stays planned)."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        skipped = _checked(
            lambda: cad.skip(
                uow.session,
                uow.clock,
                activity_id,
                user_id=actor.user_id,
                reason=clean_outcome(reason),
            )
        )
        uow.commit()
    return Result(skipped, _followup_changed(skipped))


def reschedule(
    uow: UnitOfWork, actor: Actor, activity_id: int, due_at: datetime
) -> Result[cad.FollowUp]:
    """Move a planned follow-up to another instant."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        check_year("the new time", due_at)
        moved = _checked(
            lambda: cad.reschedule(
                uow.session, uow.clock, activity_id, ensure_utc(due_at), user_id=actor.user_id
            )
        )
        uow.commit()
    return Result(moved, _followup_changed(moved))


def move_to_day(
    uow: UnitOfWork, actor: Actor, activity_id: int, day: date, *, tz: tzinfo | None = None
) -> Result[cad.FollowUp]:
    """Move a planned follow-up to another local day at the same time of day (a drag)."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        check_year("the new day", day)
        current = cad.get_followup(uow.session, activity_id)
        if current is None:
            raise NotFound(f"No follow-up {activity_id}.")
        if current.status != "planned":
            raise ActionError("Only a planned follow-up can be rescheduled.")
        moved = _checked(
            lambda: cad.move_to_day(
                uow.session, uow.clock, activity_id, day, tz=tz, user_id=actor.user_id
            )
        )
        uow.commit()
    return Result(moved, _followup_changed(moved))


def log_reply(
    uow: UnitOfWork, actor: Actor, lead_id: int, *, note: str | None = None
) -> Result[int]:
    """The lead replied: record it and stop its cadence; the value is the steps stopped."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        stopped = _checked(
            lambda: cad.log_reply(uow.session, uow.clock, lead_id, user_id=actor.user_id, note=note)
        )
        uow.commit()
    return Result(stopped, Changes.for_leads([lead_id], followups=True))


def update_step(
    uow: UnitOfWork, actor: Actor, step_id: int, **changes: Any
) -> Result[cad.StepInfo]:
    """Change one cadence step (offset_days, channel, subject, template); plans made keep theirs."""
    with uow:
        require(actor, Perm.SETTINGS_EDIT)
        if not changes:
            raise ActionError("Nothing to change in the step.")
        step = _checked(lambda: cad.update_step(uow.session, step_id, **changes))
        uow.commit()
    return Result(step, _TEMPLATES)


def add_step(
    uow: UnitOfWork,
    actor: Actor,
    cadence_id: int,
    offset_days: float,
    channel: str,
    subject: str,
    template: str = "",
) -> Result[cad.StepInfo]:
    """Append a step to a cadence."""
    with uow:
        require(actor, Perm.SETTINGS_EDIT)
        step = _checked(
            lambda: cad.add_step(uow.session, cadence_id, offset_days, channel, subject, template)
        )
        uow.commit()
    return Result(step, _TEMPLATES)


def remove_step(uow: UnitOfWork, actor: Actor, step_id: int) -> Result[int]:
    """Remove a cadence step; follow-ups already planned from it stay. The value is its id."""
    with uow:
        require(actor, Perm.SETTINGS_EDIT)
        if uow.session.get(CadenceStep, step_id) is None:
            raise NotFound(f"No cadence step {step_id}.")
        cad.remove_step(uow.session, step_id)
        uow.commit()
    return Result(step_id, _TEMPLATES)


def move_step(uow: UnitOfWork, actor: Actor, step_id: int, up: bool) -> Result[list[cad.StepInfo]]:
    """Move a step one place earlier or later (it takes its neighbour's day); the value is
    the cadence's steps in their new order."""
    with uow:
        require(actor, Perm.SETTINGS_EDIT)
        if uow.session.get(CadenceStep, step_id) is None:
            raise NotFound(f"No cadence step {step_id}.")
        steps = _checked(lambda: cad.move_step(uow.session, step_id, up))
        uow.commit()
    return Result(steps, _TEMPLATES)


def save_settings(uow: UnitOfWork, actor: Actor, **changes: Any) -> Result[cfg.FollowupSettings]:
    """Store follow-up settings (SLA windows, sweep interval, thresholds); the effective ones."""
    with uow:
        require(actor, Perm.SETTINGS_EDIT)
        problem = cfg.invalid_settings(changes)
        if problem:
            raise ActionError(problem)
        saved = _checked(lambda: cfg.save_settings(uow.session, uow.clock.now(), **changes))
        uow.commit()
    return Result(saved, _TEMPLATES)
