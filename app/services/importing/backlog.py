"""A backlog import (scans older than a day) tells the manager once, not lead by lead.

Its leads' response clock starts when they enter Leadgate (timers/windows.response_start), so
they raise no "waited 42 days" alerts or escalations; the manager gets one summary instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Lead, Role, User
from app.services.chunks import chunks
from app.services.timers.alerts import fire_alerts

# Scans older than this at import time make the import a backlog.
BACKLOG_AGE = timedelta(hours=24)


def summarize_backlog(
    session: Session, now: datetime, batch_id: int | None, lead_ids: Sequence[int]
) -> int:
    """One `backlog_import` alert for the manager (else the owner) when leads this import
    created were captured more than a day ago; returns how many were."""
    if batch_id is None or not lead_ids:
        return 0
    old, oldest = 0, None
    for chunk in chunks(list(lead_ids), 1000):
        count, first = session.execute(
            select(func.count(), func.min(Lead.captured_at)).where(
                Lead.id.in_(chunk), Lead.captured_at < now - BACKLOG_AGE
            )
        ).one()
        old += int(count or 0)
        if first is not None and (oldest is None or first < oldest):
            oldest = first
    if not old or oldest is None:
        return 0
    manager = session.scalar(
        select(User.id)
        .where(User.role.in_((Role.MANAGER, Role.OWNER)))
        .order_by((User.role == Role.OWNER).asc(), User.id)
        .limit(1)
    )
    days = max((now - _aware(oldest, now)).days, 1)
    fire_alerts(
        session,
        [
            {
                "key": f"backlog_import:{batch_id}",
                "kind": "backlog_import",
                "lead_id": None,
                "user_id": manager,
                "level": "info",
                "message": (
                    f"Backlog import: {old} leads were captured up to {days} days ago. Their "
                    "first-response clock starts now (no overdue alerts for the wait before "
                    "the import)."
                ),
                "fired_at": now,
            }
        ],
    )
    return old


def _aware(value: datetime, like: datetime) -> datetime:
    return value.replace(tzinfo=like.tzinfo) if value.tzinfo is None else value
