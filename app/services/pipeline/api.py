"""The user actions on the pipeline: one function each, `(uow, actor, ...) -> Result`."""

from __future__ import annotations

from app.services.auth import Actor, Perm, require
from app.services.changes import NOTHING, Changes, Result
from app.services.pipeline import editor
from app.services.pipeline.editor import StageDraft
from app.services.pipeline.stages import (
    StageInfo,
    default_pipeline,
    ensure_default_pipeline,
    list_stages,
)
from app.store.uow import UnitOfWork


def pipeline_stages(uow: UnitOfWork, actor: Actor) -> Result[list[StageInfo]]:
    """The default pipeline's stages in order, creating the pipeline (with its standard stages
    and gates) the first time anyone looks at it."""
    with uow:
        require(actor, Perm.LEAD_VIEW)
        created = default_pipeline(uow.session) is None
        if created:
            ensure_default_pipeline(uow.session)
            uow.commit()
        stages = list_stages(uow.session)
    return Result(stages, Changes(pipeline=True) if created else NOTHING)


def save_pipeline(
    uow: UnitOfWork,
    actor: Actor,
    drafts: list[StageDraft],
    reassign: dict[int, int | str] | None = None,
) -> Result[list[StageInfo]]:
    """Make the default pipeline look like `drafts` (the stage editor); `reassign` says where
    the leads of removed stages go. Managers and the owner only. Returns the saved stages."""
    with uow:
        require(actor, Perm.PIPELINE_EDIT)
        editor.save_pipeline(uow.session, uow.clock, drafts, reassign, by_user=actor.user_id)
        uow.commit()
        stages = list_stages(uow.session)
    return Result(stages, Changes(pipeline=True, all_leads=bool(reassign)))
