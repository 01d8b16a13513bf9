"""Read models: a lead's notes and activities (for `leads show --json` and the panel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Activity, User
from app.services.activities.core import NOTE, outcome_code


@dataclass(frozen=True)
class ActivityItem:
    id: int
    type: str
    status: str
    subject: str | None
    outcome: str | None  # the code (left_voicemail...) when it is one of ours
    notes: str | None
    due_at: datetime | None
    done_at: datetime | None
    by: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "status": self.status,
            "subject": self.subject,
            "outcome": self.outcome,
            "notes": self.notes,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "by": self.by,
        }


def lead_activities(session: Session, lead_id: int) -> list[ActivityItem]:
    """Every activity of the lead (notes included), newest first."""
    rows = session.execute(
        select(Activity, User.name)
        .outerjoin(User, User.id == Activity.owner_id)
        .where(Activity.lead_id == lead_id)
        .order_by(Activity.id.desc())
    )
    return [
        ActivityItem(
            a.id,
            a.type,
            a.status,
            a.subject,
            outcome_code(a.outcome),
            a.notes,
            a.due_at,
            a.done_at,
            by,
        )
        for a, by in rows
    ]


def split_notes(items: list[ActivityItem]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(notes, other activities) as JSON-ready dicts."""
    notes = [
        {
            "id": i.id,
            "text": i.notes,
            "at": i.done_at.isoformat() if i.done_at else None,
            "by": i.by,
        }
        for i in items
        if i.type == NOTE
    ]
    return notes, [i.to_dict() for i in items if i.type != NOTE]
