"""Undoing an import batch, and the list of batches.

Undo removes the leads a batch created and reverts the fields it filled in on existing leads;
a lead changed since the import (its version moved on) is left alone and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import EngagementEvent, ImportBatch, ImportChange, Lead, User
from app.services.chunks import chunks
from app.services.errors import ActionError

LEADS = cast(Table, Lead.__table__)
EVENTS = cast(Table, EngagementEvent.__table__)


@dataclass(frozen=True)
class ChangedLead:
    """A lead undo left alone: someone changed it after the import."""

    lead_id: int
    name: str
    changed_by: str | None
    changed_at: datetime | None

    def describe(self) -> str:
        when = f" at {self.changed_at:%Y-%m-%d %H:%M} UTC" if self.changed_at else ""
        return f"#{self.lead_id} {self.name} (changed by {self.changed_by or 'someone'}{when})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "name": self.name,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
        }


@dataclass
class UndoResult:
    batch_id: int
    deleted: int = 0
    reverted: int = 0
    skipped: list[int] = field(default_factory=list)  # leads changed since the import
    changed_by: list[ChangedLead] = field(default_factory=list)  # who changed those, when

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "deleted": self.deleted,
            "reverted": self.reverted,
            "skipped": len(self.skipped),
            "changed_since": self.skipped,
            "changed_since_by": [c.to_dict() for c in self.changed_by],
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
    after the import (its version moved on) is left alone and reported.

    Each delete and each revert checks the version in its own WHERE clause, so a lead a
    teammate changes while the undo runs is caught at the moment it would be removed: on
    PostgreSQL the statement waits for that teammate's commit and then sees the new version;
    on SQLite the undo holds the write lock, so the teammate's write comes after it and is
    refused (the lead is gone) instead of being lost with it.
    """
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise UndoError(f"There is no import batch {batch_id}.")
    if batch.undone_at is not None:
        raise UndoError(f"Import batch {batch_id} was already undone.")
    conn = session.connection()
    res = UndoResult(batch_id)
    leads = LEADS
    # Created leads: removed when still at the version the import (and its scoring and
    # routing) left them.
    left_at = _versions_from_ranges((batch.settings or {}).get("created_versions", []))
    created = conn.execute(
        select(leads.c.id).where(leads.c.import_batch_id == batch_id).order_by(leads.c.id)
    ).scalars()
    by_version: dict[int, list[int]] = {}
    for lead_id in created:
        by_version.setdefault(left_at.get(lead_id, 1), []).append(lead_id)
    for version, ids in sorted(by_version.items()):
        for part in chunks(ids, 1000):
            done = conn.execute(
                leads.delete().where(
                    leads.c.id.in_(part),
                    leads.c.import_batch_id == batch_id,
                    leads.c.version == version,
                )
            )
            res.deleted += int(getattr(done, "rowcount", 0) or 0)
    res.skipped.extend(
        conn.execute(
            select(leads.c.id).where(leads.c.import_batch_id == batch_id).order_by(leads.c.id)
        ).scalars()
    )
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
        left = max(v for _, v in items)
        if row.version != left:
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
        values.update(qualifiers=quals, version=left + 1, updated_at=now, updated_by_id=user_id)
        done = conn.execute(
            update(leads).where(leads.c.id == lead_id, leads.c.version == left).values(**values)
        )
        if getattr(done, "rowcount", 0) != 1:  # changed between the read and the write
            res.skipped.append(lead_id)
            continue
        res.reverted += 1
    res.changed_by = _who_changed(session, res.skipped)
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


def _who_changed(session: Session, lead_ids: list[int]) -> list[ChangedLead]:
    """Who last changed each lead the undo left alone, and when (the lead's own record)."""
    out: list[ChangedLead] = []
    for part in chunks(sorted(lead_ids), 1000):
        rows = session.execute(
            select(Lead.id, Lead.display_name, User.name, Lead.updated_at)
            .outerjoin(User, User.id == Lead.updated_by_id)
            .where(Lead.id.in_(part))
        )
        out += [ChangedLead(int(r[0]), r[1] or "", r[2], r[3]) for r in rows]
    return out


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


__all__ = ["ChangedLead", "UndoError", "UndoResult", "list_batches", "undo_batch"]
