"""Editing the pipeline: stages (add, rename, reorder, remove), their gates, stale threshold
and win probability. A stage holding leads is only removed once they have somewhere to go."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from app.clock import Clock
from app.models import GateCriterion, Lead, Stage, StageKind, StageTransition, TransitionKind
from app.services import audit
from app.services.errors import ActionError
from app.services.pipeline.gates import CRITERION_KINDS
from app.services.pipeline.stages import StageInfo, ensure_default_pipeline


class StageEditError(ActionError, ValueError):
    pass


@dataclass
class StageDraft:
    id: int | None  # None: a new stage
    name: str
    kind: str = StageKind.OPEN
    exit_status: str | None = None
    stale_hours: int | None = None
    win_probability: float = 0.0
    criteria: list[dict[str, Any]] = field(default_factory=list)  # {kind, label, params}

    @classmethod
    def from_info(cls, info: StageInfo) -> StageDraft:
        return cls(
            info.id,
            info.name,
            info.kind,
            info.exit_status,
            info.stale_hours,
            info.win_probability,
            [dict(c) for c in info.criteria],
        )


def stage_lead_counts(session: Session) -> dict[int, int]:
    rows = session.execute(select(Lead.stage_id, func.count()).group_by(Lead.stage_id))
    return {sid: int(n) for sid, n in rows if sid is not None}


def _validate(drafts: list[StageDraft]) -> None:
    names = [d.name.strip() for d in drafts]
    if any(not n for n in names):
        raise StageEditError("Every stage needs a name.")
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise StageEditError(f"Two stages are called '{sorted(dupes)[0]}'; names must differ.")
    if not any(d.kind == StageKind.OPEN for d in drafts):
        raise StageEditError("The pipeline needs at least one open stage.")
    for d in drafts:
        if d.stale_hours is not None and d.stale_hours < 0:
            raise StageEditError(f"{d.name}: the stale threshold cannot be negative.")
        if not 0.0 <= d.win_probability <= 1.0:
            raise StageEditError(f"{d.name}: win probability must be between 0 and 100%.")
        for c in d.criteria:
            if c.get("kind") not in CRITERION_KINDS:
                raise StageEditError(f"{d.name}: unknown criterion kind '{c.get('kind')}'.")
            if not str(c.get("label") or "").strip():
                raise StageEditError(f"{d.name}: every criterion needs a label.")


def save_pipeline(
    session: Session,
    clock: Clock,
    drafts: list[StageDraft],
    reassign: dict[int, int | str] | None = None,
    by_user: int | None = None,
) -> None:
    """Make the default pipeline look like `drafts`, in their order.

    `reassign` maps each removed stage that still has leads to where they go: an existing
    stage id, or the name of a stage in `drafts` (for a new one).
    """
    _validate(drafts)
    reassign = reassign or {}
    pipeline = ensure_default_pipeline(session)
    existing = {
        s.id: s
        for s in session.scalars(
            select(Stage)
            .where(Stage.pipeline_id == pipeline.id)
            .options(selectinload(Stage.criteria))
        )
    }
    kept_ids = {d.id for d in drafts if d.id is not None}
    removed = [s for sid, s in existing.items() if sid not in kept_ids]
    counts = stage_lead_counts(session)
    for stage in removed:
        if counts.get(stage.id) and stage.id not in reassign:
            raise StageEditError(
                f"'{stage.name}' holds {counts[stage.id]} leads: choose where they go first."
            )
    # Park positions out of the way so re-numbering never collides mid-flush.
    for parked in existing.values():
        parked.position += 10_000
    session.flush()
    by_name: dict[str, Stage] = {}
    for position, d in enumerate(drafts):
        found = existing.get(d.id) if d.id is not None else None
        if found is None:
            found = Stage(pipeline_id=pipeline.id)
            session.add(found)
        stage = found
        stage.name = d.name.strip()
        stage.position = position
        stage.kind = d.kind
        stage.exit_status = d.exit_status
        stage.stale_hours = d.stale_hours
        stage.win_probability = d.win_probability
        old = [(c.kind, c.label, c.params) for c in stage.criteria]
        new = [(c["kind"], c["label"].strip(), dict(c.get("params") or {})) for c in d.criteria]
        if old != new:
            stage.criteria.clear()
            session.flush()
            stage.criteria.extend(
                GateCriterion(position=i, kind=k, label=label, params=params)
                for i, (k, label, params) in enumerate(new)
            )
        by_name[stage.name] = stage
    session.flush()
    now = clock.now()
    for stage in removed:
        target_ref = reassign.get(stage.id)
        if target_ref is not None and counts.get(stage.id):
            target = (
                by_name.get(target_ref)
                if isinstance(target_ref, str)
                else session.get(Stage, target_ref)
            )
            if target is None or target.id == stage.id:
                raise StageEditError(f"Where should the leads of '{stage.name}' go?")
            ids = list(session.scalars(select(Lead.id).where(Lead.stage_id == stage.id)))
            session.execute(
                insert(StageTransition),
                [
                    {
                        "lead_id": i,
                        "from_stage_id": stage.id,
                        "to_stage_id": target.id,
                        "kind": TransitionKind.BACK,
                        "at": now,
                        "by_user_id": by_user,
                        "note": f"Stage '{stage.name}' removed",
                    }
                    for i in ids
                ],
            )
            session.execute(
                update(Lead)
                .where(Lead.stage_id == stage.id)
                .values(stage_id=target.id, stage_entered_at=now, version=Lead.version + 1)
            )
        session.delete(stage)
    audit.record(
        session,
        at=now,
        entity="pipeline",
        entity_id=pipeline.id,
        action="pipeline_edited",
        user_id=by_user,
        data={"stages": [d.name for d in drafts], "removed": [s.name for s in removed]},
    )
    session.flush()
