"""Shared bits of the import tests: where the samples are, running an import, counting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.clock import Clock
from app.db import Store
from app.models import EngagementEvent, ImportBatch, ImportChange, Lead, StageTransition
from app.services.importing import ImportOptions, ImportResult, run_import

REPO = Path(__file__).resolve().parents[3]


def samples_dir() -> Path:
    """`<repo>/../shared/data/badges` (CI clones main with shared/ beside it), else /work."""
    for candidate in (REPO.parent / "shared" / "data" / "badges", Path("/work/shared/data/badges")):
        if (candidate / "expected.json").exists():
            return candidate
    raise FileNotFoundError("badge samples not found beside the repository nor in /work/shared")


def expected() -> dict[str, Any]:
    return json.loads((samples_dir() / "expected.json").read_text(encoding="utf-8"))


def do_import(store: Store, clock: Clock, path: Path, **options: Any) -> ImportResult:
    with store.session() as session:
        result = run_import(session, clock, path, options=ImportOptions(**options))
        session.commit()
    return result


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
