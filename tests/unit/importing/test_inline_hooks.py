"""The import scores and routes new leads as it writes them (not in a second pass): the
result must be what scoring and routing the stored leads afterwards would give."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.demo import generator as demo
from app.models import Activity, Lead
from app.services.importing import load
from app.services.importing.synth import write_badge_csv
from app.services.scoring import core as scoring
from tests.unit.importing.helpers import do_import


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Repeats of a lead then land in a later chunk than the lead itself (late rescans).
    monkeypatch.setattr(load, "CHUNK", 100)


def test_imported_leads_scored_as_rescoring_would(store, clock, tmp_path: Path, small_chunks):
    path = tmp_path / "badges.csv"
    write_badge_csv(path, 1500, seed=7)
    with store.session() as session:
        demo.ensure_team(session, clock)
        session.commit()
    result = do_import(store, clock, path, event="Expo")
    assert result.merged > 0  # the file has repeat scans, some across chunks
    with store.session() as session:
        unscored = session.scalar(select(func.count()).select_from(Lead).where(Lead.tier.is_(None)))
        assert unscored == 0
        check = scoring.rescore_leads(session, clock, None, dry_run=True)
        assert check.scored == result.created
        assert check.changed == 0  # every stored score is what rescoring computes now
        owned = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.owner_id.is_not(None))
        )
        assert owned and owned > 0  # routed to the team on the way in
        # Routed leads start their cadence, as routing after creation did.
        started = session.scalar(
            select(func.count(func.distinct(Activity.lead_id))).where(
                Activity.cadence_step_id.is_not(None)
            )
        )
        assert started == owned
