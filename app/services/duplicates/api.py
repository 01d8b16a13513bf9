"""The user actions on duplicates: check a new lead, merge two leads, dismiss a pair."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.duplicates import core
from app.services.duplicates.core import Match, MergePlan
from app.services.leads import hooks
from app.store.uow import UnitOfWork


def check_new_lead(uow: UnitOfWork, actor: Actor, values: dict[str, Any]) -> Result[list[Match]]:
    """Existing leads a new lead with `values` would duplicate (nothing is written)."""
    with uow:
        require(actor, Perm.LEAD_CREATE)
        matches = core.find_matches(uow.session, values)
    return Result(matches, Changes())


def merge_preview(uow: UnitOfWork, actor: Actor, keep_id: int, other_id: int) -> Result[MergePlan]:
    """Both leads and the fields where they differ (what the Merge dialog asks about)."""
    with uow:
        require(actor, Perm.LEAD_VIEW)
        plan = core.merge_plan(uow.session, keep_id, other_id)
    return Result(plan, Changes())


def merge_leads(
    uow: UnitOfWork,
    actor: Actor,
    keep_id: int,
    other_id: int,
    take_other: Iterable[str] = (),
    keep_version: int | None = None,
    other_version: int | None = None,
) -> Result[int]:
    """Merge `other_id` into `keep_id`; the other id then opens the kept lead. Returns the
    kept lead's id."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        keep_id = core.resolve_lead_id(uow.session, keep_id)
        other_id = core.resolve_lead_id(uow.session, other_id)
        core.merge_leads(
            uow.session, uow.clock, keep_id, other_id, set(take_other), actor.user_id,
            keep_version, other_version,
        )  # fmt: skip
        hooks.on_leads_changed(uow.session, uow.clock, [keep_id])
        uow.commit()
    return Result(keep_id, Changes.for_leads([keep_id, other_id], followups=True))


def dismiss_duplicate(uow: UnitOfWork, actor: Actor, lead_id: int, other_id: int) -> Result[bool]:
    """Two leads are different people: the review list stops offering the pair."""
    with uow:
        require(actor, Perm.LEAD_EDIT)
        new = core.dismiss_pair(uow.session, uow.clock, lead_id, other_id, actor.user_id)
        uow.commit()
    return Result(new, Changes())
