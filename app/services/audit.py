"""Append-only audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import AuditEvent


def record(
    session: Session,
    *,
    at: datetime,
    entity: str,
    entity_id: int | None,
    action: str,
    user_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=at, user_id=user_id, entity=entity, entity_id=entity_id, action=action, data=data or {}
    )
    session.add(event)
    return event
