"""Import history: every batch with its file, who ran it, when, its counts, and where its
new leads went (by owner, or the manager's queue)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import ImportBatch, Lead, User

QUEUE = "Manager's queue"


@dataclass(frozen=True)
class BatchRow:
    id: int
    file_name: str
    user_id: int | None
    user: str | None
    started_at: datetime | None
    finished_at: datetime | None
    undone_at: datetime | None
    status: str
    counts: dict[str, Any]
    routed: dict[str, int] = field(default_factory=dict)  # owner name (or QUEUE) -> leads

    @property
    def queued(self) -> int:
        return self.routed.get(QUEUE, 0)

    def to_dict(self) -> dict[str, Any]:
        def iso(v: datetime | None) -> str | None:
            return v.isoformat() if v else None

        return {
            "id": self.id,
            "file_name": self.file_name,
            "user_id": self.user_id,
            "user": self.user,
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "undone_at": iso(self.undone_at),
            "status": self.status,
            "counts": self.counts,
            "routed": self.routed,
        }


def routed_summary(session: Session, batch_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per batch: how many of its leads each owner holds; unowned ones are the queue."""
    out: dict[int, dict[str, int]] = {b: {} for b in batch_ids}
    if not batch_ids:
        return out
    rows = session.execute(
        select(Lead.import_batch_id, User.name, func.count(Lead.id))
        .outerjoin(User, User.id == Lead.owner_id)
        .where(Lead.import_batch_id.in_(batch_ids))
        .group_by(Lead.import_batch_id, User.name)
    )
    for batch_id, name, n in rows:
        if batch_id is not None:
            out[batch_id][name or QUEUE] = int(n)
    return {b: dict(sorted(r.items(), key=lambda kv: (-kv[1], kv[0]))) for b, r in out.items()}


def import_history(session: Session, limit: int = 100) -> list[BatchRow]:
    """The latest batches, newest first."""
    batches = session.execute(
        select(ImportBatch, User.name)
        .outerjoin(User, User.id == ImportBatch.user_id)
        .order_by(ImportBatch.id.desc())
        .limit(limit)
    ).all()
    routed = routed_summary(session, [b.id for b, _ in batches])
    return [
        BatchRow(
            b.id,
            b.file_name,
            b.user_id,
            who,
            b.started_at,
            b.finished_at,
            b.undone_at,
            b.status,
            dict(b.counts or {}),
            routed.get(b.id, {}),
        )
        for b, who in batches
    ]


def batch_lead_ids(session: Session, batch_id: int, limit: int = 5000) -> list[int]:
    """The leads a batch created (still in the store), for "Show leads"."""
    return list(
        session.scalars(
            select(Lead.id).where(Lead.import_batch_id == batch_id).order_by(Lead.id).limit(limit)
        )
    )


def routing_sentence(routed: dict[str, int]) -> tuple[str, bool]:
    """Where a batch's leads went, in words, and whether any sit in the manager's queue."""
    total = sum(routed.values())
    queued = routed.get(QUEUE, 0)
    if not total:
        return "No new leads to route.", False
    owners = ", ".join(f"{who} {n:,}" for who, n in routed.items() if who != QUEUE)
    if queued:
        everyone = "All" if queued == total else f"{queued:,} of"
        text = (
            f"{everyone} {total:,} new leads went to the manager's queue (no rep was available "
            "with capacity): assign them from the Inbox's Unassigned chip."
        )
        return (text + (f" Routed: {owners}." if owners else "")), True
    return f"New leads are scored and routed: {owners}.", False
