"""Every lead an import creates enters the first stage with one "created" transition, by the
importing user at the import's time (the funnel and time-in-stage reports start there), on
both stores, into an empty store and into one with leads, repeats merged in."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Lead, Stage, StageTransition
from app.services.importing.synth import write_badge_csv
from tests.unit.importing.actors import add_team
from tests.unit.importing.helpers import do_import


def _created(store, batch_id: int) -> list[tuple]:
    with store.session() as s:
        return list(
            s.execute(
                select(
                    StageTransition.lead_id, StageTransition.from_stage_id,
                    StageTransition.to_stage_id, StageTransition.kind, StageTransition.at,
                    StageTransition.by_user_id,
                )
                .join(Lead, Lead.id == StageTransition.lead_id)
                .where(Lead.import_batch_id == batch_id)
                .order_by(StageTransition.lead_id)
            )
        )  # fmt: skip


def test_each_new_lead_enters_the_first_stage_once(store, clock, tmp_path):
    manager, _rep = add_team(store)
    first = do_import(store, clock, write_badge_csv(tmp_path / "a.csv", 300, seed=11),
                      user_id=manager.user_id)  # fmt: skip
    clock.advance(hours=2)
    second = do_import(store, clock, write_badge_csv(tmp_path / "b.csv", 300, seed=12),
                       user_id=manager.user_id)  # fmt: skip
    assert second.merged + second.updated > 0  # repeats joined leads, and made none
    with store.session() as s:
        stage = s.scalar(select(Stage).order_by(Stage.pipeline_id, Stage.position).limit(1))
        assert stage is not None
    for result, at in ((first, clock.now().replace(hour=9)), (second, clock.now())):
        rows = _created(store, result.batch_id)
        assert [r.lead_id for r in rows] == sorted(result.created_ids)
        assert {(r.from_stage_id, r.to_stage_id, r.kind, r.by_user_id) for r in rows} == {
            (None, stage.id, "created", manager.user_id)
        }
        assert {r.at.replace(tzinfo=None) for r in rows} == {at.replace(tzinfo=None)}
