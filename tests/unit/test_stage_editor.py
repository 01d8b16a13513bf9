"""Editing the pipeline: rename, reorder, criteria, and removing a stage that holds leads."""

from __future__ import annotations

import pytest

from app.clock import SettableClock
from app.models import Lead
from app.services.leads.detail import lead_history
from app.services.pipeline.editor import StageDraft, StageEditError, save_pipeline
from app.services.pipeline.gates import can_move
from app.services.pipeline.stages import list_stages
from app.store.db import Store, unit_of_work
from tests.helpers.pipeline import make_lead, setup


def _drafts(session) -> list[StageDraft]:  # type: ignore[no-untyped-def]
    return [StageDraft.from_info(s) for s in list_stages(session)]


def test_rename_reorder_and_edit_gates(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        setup(session, clock)
        drafts = _drafts(session)
        drafts[0].name = "Inbound"
        drafts[0].stale_hours = 12
        drafts[0].criteria = [
            {"kind": "field_present", "label": "Phone known", "params": {"field": "phone"}}
        ]
        drafts[2], drafts[3] = drafts[3], drafts[2]
        drafts.insert(1, StageDraft(None, "Qualified call", win_probability=0.08))
        save_pipeline(session, clock, drafts)
    with unit_of_work(store.session_factory) as session:
        stages = list_stages(session)
        assert [s.name for s in stages][:5] == [
            "Inbound",
            "Qualified call",
            "Initial interest",
            "Technical fit confirmed",
            "Discovery complete",
        ]
        assert stages[0].stale_hours == 12
        assert [c["label"] for c in stages[0].criteria] == ["Phone known"]
        lead = make_lead(session, clock, stage=stages[0])
        check = can_move(session, lead, stages[1], clock.now(), stages=stages)
        assert check.labels == ["Phone known"]


def test_removing_a_stage_with_leads_needs_a_destination(
    store: Store, clock: SettableClock
) -> None:
    with unit_of_work(store.session_factory) as session:
        _, stages = setup(session, clock)
        doomed = stages["Discovery complete"]
        lead = make_lead(session, clock, stage=doomed)
        lead_id = lead.id
        drafts = [d for d in _drafts(session) if d.id != doomed.id]
        with pytest.raises(StageEditError, match="holds 1 leads"):
            save_pipeline(session, clock, drafts)
    clock.advance(minutes=5)
    with unit_of_work(store.session_factory) as session:
        drafts = [d for d in _drafts(session) if d.id != doomed.id]
        save_pipeline(session, clock, drafts, {doomed.id: "Initial interest"})
    with unit_of_work(store.session_factory) as session:
        names = [s.name for s in list_stages(session)]
        assert "Discovery complete" not in names
        moved = session.get(Lead, lead_id)
        assert moved is not None and moved.stage_id == stages["Initial interest"].id
        assert "Stage 'Discovery complete' removed" in (
            lead_history(session, lead_id)[0].detail or ""
        )


def test_invalid_pipelines_are_refused(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as session:
        setup(session, clock)
        drafts = _drafts(session)
        drafts[1].name = drafts[0].name
        with pytest.raises(StageEditError, match="names must differ"):
            save_pipeline(session, clock, drafts)
        drafts = _drafts(session)
        drafts[0].criteria = [{"kind": "vibes", "label": "Feels right", "params": {}}]
        with pytest.raises(StageEditError, match="unknown criterion kind"):
            save_pipeline(session, clock, drafts)
