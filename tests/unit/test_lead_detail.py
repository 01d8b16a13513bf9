from __future__ import annotations

from app.clock import SettableClock
from app.models import Lead, StageTransition, TransitionKind
from app.services.leads.detail import get_lead_detail
from app.services.pipeline.stages import ensure_default_pipeline, list_stages
from app.store.db import Store


def test_history_is_newest_first_and_same_instant_keeps_record_order(
    store: Store, clock: SettableClock
) -> None:
    with store.session() as s:
        ensure_default_pipeline(s)
        new, interest = list_stages(s)[:2]
        lead = Lead(display_name="Ada", stage_id=new.id)
        s.add(lead)
        s.flush()
        now = clock.now()
        s.add_all(
            [
                StageTransition(
                    lead_id=lead.id, to_stage_id=new.id, kind=TransitionKind.CREATED, at=now
                ),
                StageTransition(
                    lead_id=lead.id,
                    from_stage_id=new.id,
                    to_stage_id=interest.id,
                    kind=TransitionKind.BLOCKED,
                    at=now,
                    unmet=["An owner is assigned"],
                ),
                StageTransition(
                    lead_id=lead.id,
                    from_stage_id=new.id,
                    to_stage_id=interest.id,
                    kind=TransitionKind.OVERRIDE,
                    at=clock.advance(minutes=1),
                    override_reason="CEO asked for it",
                ),
            ]
        )
        s.commit()
        detail = get_lead_detail(s, lead.id)
    assert detail is not None
    kinds = [h.kind for h in detail.history]
    assert kinds == ["override", "blocked", "created"]
    assert detail.history[0].detail == "Reason: CEO asked for it"
    assert detail.history[1].text == "Blocked moving New → Initial interest"
    assert detail.history[1].detail == "Missing: An owner is assigned"
