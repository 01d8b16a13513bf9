"""Shared bits of the import tests: where the samples are, running an import, counting."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.clock import Clock
from app.models import EngagementEvent, ImportBatch, ImportChange, Lead, StageTransition
from app.services.importing import ImportCancelled, ImportOptions, ImportResult, run_import
from app.store.db import Store

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "tests" / "data" / "badges"


def samples_dir() -> Path:
    """The badge-scan samples kept with the tests (`tests/data/badges`, see its README)."""
    return SAMPLES


def expected() -> dict[str, Any]:
    return json.loads((samples_dir() / "expected.json").read_text(encoding="utf-8"))


def do_import(store: Store, clock: Clock, path: Path, **options: Any) -> ImportResult:
    with store.session() as session:
        result = run_import(session, clock, path, options=ImportOptions(**options))
        session.commit()
    return result


def import_until_cancelled(store: Store, clock: Clock, path: Path, state: Any) -> None:
    """Run an import that `state` cancels: it must stop with ImportCancelled; the caller's
    rollback follows, as the app's task runner does. Then wait for the cancelled import's
    memory to be released (its helper thread) so later checks see the settled process."""
    with store.session() as session:
        try:
            run_import(session, clock, path, state=state)
        except ImportCancelled:
            session.rollback()
        else:
            raise AssertionError("the import was not cancelled")
    for thread in threading.enumerate():
        if thread.name == "import-release":
            thread.join(timeout=30)


def accounted(r: ImportResult) -> int:
    return r.created + r.updated + r.merged + r.rejected + r.skipped_blank


def snapshot(store: Store) -> dict[str, Any]:
    """Everything an import may touch, as comparable plain data."""
    with store.session() as s:
        leads = s.execute(
            select(
                Lead.id, Lead.display_name, Lead.email, Lead.email_normalized, Lead.phone,
                Lead.title, Lead.company, Lead.country, Lead.qualifiers, Lead.incomplete,
            ).order_by(Lead.id)
        ).all()  # fmt: skip
        return {
            "leads": [tuple(r) for r in leads],
            "events": s.scalar(select(func.count()).select_from(EngagementEvent)),
            "transitions": s.scalar(select(func.count()).select_from(StageTransition)),
            "changes": s.scalar(select(func.count()).select_from(ImportChange)),
            "batches": s.scalar(select(func.count()).select_from(ImportBatch)),
        }


def lead_count(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Lead)) or 0)
