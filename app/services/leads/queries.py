"""Querying and editing leads: filters and sorting in SQL, plain rows out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session, aliased

from app.clock import Clock
from app.models import Lead, Stage, User
from app.services import audit
from app.services.followups.settings import response_windows
from app.services.timers.windows import ResponseWindows, response_start

# Public sort keys -> columns. Every key is backed by an index or is cheap on the filtered set.
SORT_KEYS: dict[str, Any] = {
    "name": Lead.display_name,
    "company": Lead.company,
    "title": Lead.title,
    "email": Lead.email_normalized,
    "source": Lead.source,
    "event": Lead.event,
    "stage": Lead.stage_id,
    "status": Lead.status,
    "owner": Lead.owner_id,
    "score": Lead.score,
    "tier": Lead.score,  # tiers are score bands: sorting by tier is sorting by score
    "last_touch": Lead.last_touch_at,
    "captured_at": Lead.captured_at,
    "deal_value": Lead.deal_value,
    "id": Lead.id,
    # Best match first when searching (app/store/search.relevance_rank), then score.
    "relevance": Lead.score,
}


@dataclass(frozen=True)
class LeadFilter:
    text: str = ""
    owner_id: int | None = None
    unassigned: bool = False
    status: str | None = None
    stage_id: int | None = None
    source: str | None = None
    event: str | None = None
    tiers: tuple[str, ...] = ()
    incomplete: bool | None = None
    ids: tuple[int, ...] | None = None

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.text.strip():
            from app.store.search import lead_text_match

            clauses.append(lead_text_match(self.text))
        if self.owner_id is not None:
            clauses.append(Lead.owner_id == self.owner_id)
        if self.unassigned:
            clauses.append(Lead.owner_id.is_(None))
        if self.status:
            clauses.append(Lead.status == self.status)
        if self.stage_id is not None:
            clauses.append(Lead.stage_id == self.stage_id)
        if self.source:
            clauses.append(Lead.source == self.source)
        if self.event:
            clauses.append(Lead.event == self.event)
        if self.tiers:
            clauses.append(Lead.tier.in_(self.tiers))
        if self.incomplete is not None:
            clauses.append(Lead.incomplete.is_(self.incomplete))
        if self.ids is not None:
            clauses.append(Lead.id.in_(self.ids))
        return clauses


@dataclass(frozen=True)
class LeadSort:
    key: str = "captured_at"
    descending: bool = True


@dataclass(frozen=True)
class LeadRow:
    """What lists and tables show of a lead: one flat, immutable row."""

    id: int
    name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    company: str | None
    title: str | None
    phone: str | None
    country: str | None
    stage: str | None
    stage_id: int | None
    status: str
    owner: str | None
    owner_id: int | None
    source: str | None
    event: str | None
    captured_at: datetime | None
    first_contacted_at: datetime | None
    deal_value: Decimal | None
    incomplete: bool
    score: int
    tier: str | None
    version: int
    fit: int = 0
    intent: int = 0
    authority: int = 0
    timing: int = 0
    last_touch_at: datetime | None = None
    routing_reason: str | None = None
    created_at: datetime | None = None  # when the lead entered Leadgate
    # When first contact is due (timers/windows.py; None: the tier has no window).
    first_response_due: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def contacted(self) -> bool:
        return self.first_contacted_at is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "company": self.company,
            "title": self.title,
            "phone": self.phone,
            "country": self.country,
            "stage": self.stage,
            "status": self.status,
            "owner": self.owner,
            "source": self.source,
            "event": self.event,
            "captured_at": self.captured_at.isoformat() if self.captured_at else None,
            "first_contacted_at": (
                self.first_contacted_at.isoformat() if self.first_contacted_at else None
            ),
            "deal_value": float(self.deal_value) if self.deal_value is not None else None,
            "incomplete": self.incomplete,
            "score": self.score,
            "tier": self.tier,
            "fit": self.fit,
            "intent": self.intent,
            "authority": self.authority,
            "timing": self.timing,
            "owner_id": self.owner_id,
            "last_touch_at": self.last_touch_at.isoformat() if self.last_touch_at else None,
            "routing_reason": self.routing_reason,
            "first_response_due": (
                self.first_response_due.isoformat() if self.first_response_due else None
            ),
            "version": self.version,
            **self.extra,
        }


_owner = aliased(User)

ROW_COLUMNS = (
    Lead.id,
    Lead.display_name,
    Lead.first_name,
    Lead.last_name,
    Lead.email,
    Lead.company,
    Lead.title,
    Lead.phone,
    Lead.country,
    Stage.name,
    Lead.stage_id,
    Lead.status,
    _owner.name,
    Lead.owner_id,
    Lead.source,
    Lead.event,
    Lead.captured_at,
    Lead.first_contacted_at,
    Lead.deal_value,
    Lead.incomplete,
    Lead.score,
    Lead.tier,
    Lead.version,
    Lead.fit,
    Lead.intent,
    Lead.authority,
    Lead.timing,
    Lead.last_touch_at,
    Lead.routing_reason,
    Lead.created_at,
)


def _row_select() -> Select:  # type: ignore[type-arg]
    query = (
        select(*ROW_COLUMNS)
        .outerjoin(Stage, Stage.id == Lead.stage_id)
        .outerjoin(_owner, _owner.id == Lead.owner_id)
    )
    return query


def _to_row(values: Any, windows: ResponseWindows | None = None) -> LeadRow:
    row = LeadRow(*values)
    if windows is not None:
        start = response_start(row.captured_at, row.created_at)
        due = windows.due(start, row.tier, row.owner_id)
        if due is not None:
            row = replace(row, first_response_due=due)
    return row


def _windows(session: Session) -> ResponseWindows:
    return response_windows(session)


def count_leads(session: Session, flt: LeadFilter | None = None) -> int:
    flt = flt or LeadFilter()
    query = select(func.count()).select_from(Lead)
    clauses = flt.where()
    if clauses:
        query = query.where(and_(*clauses))
    return int(session.scalar(query) or 0)


def _sort_key(sort: LeadSort) -> Any:
    # Stage sorts by pipeline position, owner by name: what a user means by those columns.
    if sort.key == "stage":
        return Stage.position
    if sort.key == "owner":
        return _owner.name
    if sort.key not in SORT_KEYS:
        raise ValueError(f"Cannot sort leads by '{sort.key}'. Use one of: {', '.join(SORT_KEYS)}.")
    return SORT_KEYS[sort.key]


def _ordered(
    query: Select[Any], flt: LeadFilter, sort: LeadSort, offset: int, limit: int | None
) -> Select[Any]:
    clauses = flt.where()
    if clauses:
        query = query.where(and_(*clauses))
    key = _sort_key(sort)
    tie = Lead.id.desc() if sort.descending else Lead.id.asc()
    if flt.text.strip() and sort.key in ("relevance", "score") and sort.descending:
        from app.store.search import relevance_rank

        query = query.order_by(relevance_rank(flt.text))
    query = query.order_by(key.desc() if sort.descending else key.asc(), tie)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return query


def lead_ids(
    session: Session,
    flt: LeadFilter | None = None,
    sort: LeadSort | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[int]:
    """Ids in display order: the cheap part of a lazy table (rows are fetched per page)."""
    sort = sort or LeadSort()
    query = select(Lead.id)
    if sort.key == "stage":
        query = query.outerjoin(Stage, Stage.id == Lead.stage_id)
    elif sort.key == "owner":
        query = query.outerjoin(_owner, _owner.id == Lead.owner_id)
    return list(session.scalars(_ordered(query, flt or LeadFilter(), sort, offset, limit)))


def rows_by_ids(session: Session, ids: list[int]) -> list[LeadRow]:
    """Rows for `ids`, returned in the order of `ids` (missing ids are left out)."""
    if not ids:
        return []
    windows = _windows(session)
    found = {
        r.id: r
        for r in (
            _to_row(v, windows) for v in session.execute(_row_select().where(Lead.id.in_(ids)))
        )
    }
    return [found[i] for i in ids if i in found]


def list_leads(
    session: Session,
    flt: LeadFilter | None = None,
    sort: LeadSort | None = None,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[LeadRow]:
    query = _ordered(_row_select(), flt or LeadFilter(), sort or LeadSort(), offset, limit)
    windows = _windows(session)
    return [_to_row(v, windows) for v in session.execute(query)]


def get_lead_row(session: Session, lead_id: int) -> LeadRow | None:
    rows = rows_by_ids(session, [lead_id])
    return rows[0] if rows else None


def display_name(first: str | None, last: str | None, fallback: str | None = None) -> str:
    name = " ".join(p.strip() for p in (first, last) if p and p.strip())
    return name or (fallback or "").strip()


def normalize_email(email: str | None) -> str | None:
    if email is None:
        return None
    cleaned = email.strip().lower()
    return cleaned or None


def touch(lead: Lead, clock: Clock, user_id: int | None) -> None:
    lead.updated_at = clock.now()
    lead.updated_by_id = user_id


def record_lead_event(
    session: Session, clock: Clock, lead_id: int, action: str, user_id: int | None, **data: Any
) -> None:
    audit.record(
        session,
        at=clock.now(),
        entity="lead",
        entity_id=lead_id,
        action=action,
        user_id=user_id,
        data=data,
    )
