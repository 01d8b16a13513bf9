"""Undoing an import batch, and the list of batches.

Undo removes the leads a batch created and reverts the fields it filled in on existing leads;
a lead changed since the import (its version moved on) is left alone and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EngagementEvent, ImportBatch, ImportChange, Lead
from app.services.chunks import chunks
from app.services.errors import ActionError

LEADS = cast(Table, Lead.__table__)
EVENTS = cast(Table, EngagementEvent.__table__)


@dataclass
class UndoResult:
    batch_id: int
    deleted: int = 0
    reverted: int = 0
    skipped: list[int] = field(default_factory=list)  # leads changed since the import

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "deleted": self.deleted,
            "reverted": self.reverted,
            "changed_since": self.skipped,
        }


class UndoError(ActionError):
    pass


def _version_ranges(
    session: Session, batch_id: int, pulse: Callable[..., None] | None = None
) -> list[list[int]]:
    """[[first_id, last_id, version], ...] for the batch's leads, consecutive ids with the
    same version folded into one range (imports create consecutive ids)."""
    rows = session.connection().execute(
        select(LEADS.c.id, LEADS.c.version)
        .where(LEADS.c.import_batch_id == batch_id)
        .order_by(LEADS.c.id)
    )
    ranges: list[list[int]] = []
    for n, (lead_id, version) in enumerate(rows):
        if pulse is not None and n % 20_000 == 0:
            pulse()
        if ranges and ranges[-1][1] == lead_id - 1 and ranges[-1][2] == version:
            ranges[-1][1] = lead_id
        else:
            ranges.append([lead_id, lead_id, version])
    return ranges


def _versions_from_ranges(ranges: list[list[int]]) -> dict[int, int]:
    return {i: version for first, last, version in ranges for i in range(first, last + 1)}


def undo_batch(
    session: Session, clock: Clock, batch_id: int, *, user_id: int | None = None
) -> UndoResult:
    """Remove the leads a batch created and revert the fields it filled in. A lead changed
    after the import (its version moved on) is left alone and reported."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise UndoError(f"There is no import batch {batch_id}.")
    if batch.undone_at is not None:
        raise UndoError(f"Import batch {batch_id} was already undone.")
    conn = session.connection()
    res = UndoResult(batch_id)
    leads = LEADS
    # Created leads: untouched when still at the version the import (and its scoring and
    # routing) left them.
    left_at = _versions_from_ranges((batch.settings or {}).get("created_versions", []))
    created = conn.execute(
        select(leads.c.id, leads.c.version).where(leads.c.import_batch_id == batch_id)
    ).all()
    untouched = [lid for lid, v in created if v == left_at.get(lid, 1)]
    res.skipped.extend(lid for lid, v in created if v != left_at.get(lid, 1))
    for part in chunks(untouched, 1000):
        conn.execute(leads.delete().where(leads.c.id.in_(part)))
    res.deleted = len(untouched)
    # Filled leads: revert when the version is still the one the import left.
    changes = conn.execute(
        select(ImportChange.lead_id, ImportChange.previous, ImportChange.version_after)
        .where(ImportChange.batch_id == batch_id)
        .order_by(ImportChange.id.desc())
    ).all()
    by_lead: dict[int, list[tuple[dict[str, Any], int]]] = {}
    for lead_id, previous, version_after in changes:
        by_lead.setdefault(lead_id, []).append((previous or {}, version_after or 0))
    now = clock.now()
    for lead_id, items in by_lead.items():
        row = conn.execute(
            select(leads.c.version, leads.c.qualifiers).where(leads.c.id == lead_id)
        ).first()
        if row is None:
            continue
        if row.version != max(v for _, v in items):
            res.skipped.append(lead_id)
            continue
        values: dict[str, Any] = {}
        quals = dict(row.qualifiers or {})
        for previous, _ in items:  # newest first, so the oldest value wins
            values.update(previous.get("fields", {}))
            for k, old in previous.get("qualifiers", {}).items():
                if old is None:
                    quals.pop(k, None)
                else:
                    quals[k] = old
            if "incomplete" in previous:
                values["incomplete"] = previous["incomplete"]
        values.update(
            qualifiers=quals, version=row.version + 1, updated_at=now, updated_by_id=user_id
        )
        conn.execute(update(leads).where(leads.c.id == lead_id).values(**values))
        res.reverted += 1
    events = EVENTS
    conds = [events.c.import_batch_id == batch_id]
    if res.skipped:
        conds.append(events.c.lead_id.not_in(res.skipped))
    conn.execute(events.delete().where(*conds))
    batch.undone_at = now
    batch.status = "undone"
    batch.counts = {**(batch.counts or {}), "undo": res.to_dict()}
    session.flush()
    return res


def list_batches(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit))
    return [
        {
            "id": b.id,
            "file_name": b.file_name,
            "status": b.status,
            "user_id": b.user_id,
            "started_at": b.started_at.isoformat() if b.started_at else None,
            "counts": b.counts,
        }
        for b in rows
    ]


__all__ = ["UndoError", "UndoResult", "list_batches", "undo_batch"]
