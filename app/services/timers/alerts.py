"""Alerts raised by the timer sweep: firing exactly once, listing, unread counts, mark read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.models import Alert, Lead
from app.services.chunks import chunks

# Markers the sweep keeps in the alerts table for exactly-once bookkeeping, never shown.
SYSTEM_KINDS = ("decay",)


@dataclass(frozen=True)
class AlertInfo:
    id: int
    key: str
    kind: str
    lead_id: int | None
    lead_name: str | None
    user_id: int | None
    level: str
    message: str
    fired_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def nurture_reason(self) -> str | None:
        """For an offer to nurture: the reason the sweep recorded (no_fit / no_timing), which
        the alert's one-click "Move to Nurture" passes on; None for other alerts."""
        if self.kind != "offer_nurture" or self.lead_id is None:
            return None
        reason = self.key.rsplit(":", 1)[-1]
        return reason if reason in ("no_fit", "no_timing") else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fired_at"] = self.fired_at.isoformat()
        data["read_at"] = self.read_at.isoformat() if self.read_at else None
        return data


def _dialect_insert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def fire_alerts(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert alerts whose `key` is new; returns the keys this call inserted.

    ON CONFLICT DO NOTHING on the unique key makes a second sweep (or a second workstation
    racing this one) insert nothing: on PostgreSQL its insert waits for ours to commit, then
    skips. Keys go in sorted order so two racing sweeps lock in the same order (no deadlock).
    """
    if not rows:
        return set()
    insert = _dialect_insert(session)
    ordered = sorted(rows, key=lambda r: r["key"])
    stmt = insert(Alert).on_conflict_do_nothing(index_elements=["key"]).returning(Alert.key)
    inserted: set[str] = set()
    for i in range(0, len(ordered), 1000):
        inserted.update(session.execute(stmt, list(ordered[i : i + 1000])).scalars().all())
    return inserted


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    keys = list(keys)
    for i in range(0, len(keys), 1000):
        found.update(session.scalars(select(Alert.key).where(Alert.key.in_(keys[i : i + 1000]))))
    return found


def _visible(query: Any, user_id: int | None) -> Any:
    query = query.where(Alert.kind.not_in(SYSTEM_KINDS))
    if user_id is not None:
        query = query.where(Alert.user_id == user_id)
    return query


def missing_alerts(session: Session, alert_ids: Sequence[int]) -> list[int]:
    """Which of `alert_ids` are no alert at all."""
    seen: set[int] = set()
    for part in chunks(sorted(set(alert_ids)), 500):
        seen.update(session.scalars(select(Alert.id).where(Alert.id.in_(part))))
    return sorted(set(alert_ids) - seen)


def list_alerts(
    session: Session,
    *,
    user_id: int | None = None,
    unread_only: bool = False,
    limit: int | None = 200,
    after_id: int | None = None,
) -> list[AlertInfo]:
    """Newest first. `user_id` None lists everyone's."""
    query = _visible(
        select(
            Alert.id,
            Alert.key,
            Alert.kind,
            Alert.lead_id,
            Lead.display_name,
            Alert.user_id,
            Alert.level,
            Alert.message,
            Alert.fired_at,
            Alert.read_at,
        ).outerjoin(Lead, Lead.id == Alert.lead_id),
        user_id,
    )
    if unread_only:
        query = query.where(Alert.read_at.is_(None))
    if after_id is not None:
        query = query.where(Alert.id > after_id)
    query = query.order_by(Alert.fired_at.desc(), Alert.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [AlertInfo(*row) for row in session.execute(query).all()]


def unread_count(session: Session, *, user_id: int | None = None) -> int:
    query = _visible(select(func.count()).select_from(Alert), user_id)
    return int(session.scalar(query.where(Alert.read_at.is_(None))) or 0)


def mark_read(
    session: Session,
    now: datetime,
    *,
    alert_ids: Sequence[int] | None = None,
    user_id: int | None = None,
) -> int:
    """Mark the given alerts (or all of a user's, or everyone's) read; returns how many."""
    query = update(Alert).where(Alert.read_at.is_(None))
    if alert_ids is not None:
        if not alert_ids:
            return 0
        query = query.where(Alert.id.in_(list(alert_ids)))
    if user_id is not None:
        query = query.where(Alert.user_id == user_id)
    result = session.execute(query.values(read_at=now).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


# Up to this many leads given to one rep at once get an alert each; more get one summary.
ASSIGNED_ONE_BY_ONE = 3


def _key_time(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%S.%f")


def notify_assigned(
    session: Session, now: datetime, assignments: Sequence[tuple[int, int]]
) -> set[str]:
    """Tell each rep at once about the leads just given to them, (lead id, new owner): an
    `assigned` alert per lead, or one summary when a batch (an import's routing) gave them
    many. The desktop shows it as a tray message. Returns the keys fired."""
    per_owner: dict[int, list[int]] = {}
    for lead_id, owner in assignments:
        per_owner.setdefault(owner, []).append(lead_id)
    if not per_owner:
        return set()
    ids = sorted({lead_id for lead_id, _ in assignments})
    names: dict[int, tuple[str, str | None]] = {}
    for i in range(0, len(ids), 1000):
        for lead_id, name, tier in session.execute(
            select(Lead.id, Lead.display_name, Lead.tier).where(Lead.id.in_(ids[i : i + 1000]))
        ):
            names[lead_id] = (name, tier)
    stamp = _key_time(now)
    rows: list[dict[str, Any]] = []
    for owner, leads in sorted(per_owner.items()):
        base = {"kind": "assigned", "user_id": owner, "level": "info", "fired_at": now}
        if len(leads) > ASSIGNED_ONE_BY_ONE:
            rows.append(
                {
                    **base,
                    "key": f"assigned:batch:{owner}:{stamp}",
                    "lead_id": None,
                    "message": f"{len(leads)} new leads were assigned to you.",
                }
            )
            continue
        for lead_id in leads:
            name, tier = names.get(lead_id, (f"Lead {lead_id}", None))
            rows.append(
                {
                    **base,
                    "key": f"assigned:{lead_id}:{owner}:{stamp}",
                    "lead_id": lead_id,
                    "message": f"New lead assigned to you: {name} ({tier or 'Unscored'}).",
                }
            )
    return fire_alerts(session, rows)
