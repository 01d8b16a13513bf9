"""What the kanban board shows: per-stage totals and lazily fetched pages of cards.

Built for 100,000 open leads: column totals are one GROUP BY, a page of cards is one query for
the leads plus one for their activities (unmet counts and rot are computed for the page in
Python from those), never a query per card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from app.models import Activity, ActivityStatus, Lead, LeadStatus, StageKind, User
from app.services.pipeline.gates import facts_for_rows, unmet_for_stage
from app.services.pipeline.stages import StageInfo, list_stages
from app.store.search import lead_text_match, search_backlog


@dataclass(frozen=True)
class BoardFilter:
    owner_id: int | None = None
    text: str = ""
    tiers: tuple[str, ...] = ()
    rotting_only: bool = False


@dataclass(frozen=True)
class ColumnSummary:
    stage: StageInfo
    count: int
    total_value: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage_id": self.stage.id,
            "stage": self.stage.name,
            "count": self.count,
            "total_value": float(self.total_value),
        }


@dataclass(frozen=True)
class CardRow:
    id: int
    name: str
    company: str | None
    deal_value: Decimal | None
    owner_id: int | None
    owner_name: str | None
    tier: str | None
    score: int
    stage_id: int
    stage_entered_at: datetime | None
    days_in_stage: int
    unmet: tuple[str, ...]
    rotting: bool
    version: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def unmet_count(self) -> int:
        return len(self.unmet)

    @property
    def owner_initials(self) -> str:
        parts = [p for p in (self.owner_name or "").split() if p]
        return "".join(p[0] for p in parts[:2]).upper()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "deal_value": float(self.deal_value) if self.deal_value is not None else None,
            "owner": self.owner_name,
            "owner_initials": self.owner_initials,
            "tier": self.tier,
            "days_in_stage": self.days_in_stage,
            "unmet_count": self.unmet_count,
            "unmet": list(self.unmet),
            "rotting": self.rotting,
            "version": self.version,
        }


# Lead columns a card page reads: everything a gate may look at, but not the bulky raw row.
_CARD_COLUMNS = [c for c in Lead.__table__.columns if c.key not in ("raw_row", "qualifiers")]


def future_activity_exists(now: datetime) -> Any:
    return exists().where(
        Activity.lead_id == Lead.id,
        Activity.status == ActivityStatus.PLANNED,
        Activity.due_at > now,
    )


def rot_clause(stages: list[StageInfo], now: datetime) -> Any:
    """SQL for "past its stage's stale threshold and nothing planned ahead"."""
    stale = [
        and_(Lead.stage_id == s.id, Lead.stage_entered_at < now - timedelta(hours=s.stale_hours))
        for s in stages
        if s.kind == StageKind.OPEN and s.stale_hours
    ]
    if not stale:
        return false()
    return and_(or_(*stale), ~future_activity_exists(now))


def _where(flt: BoardFilter, stages: list[StageInfo], now: datetime) -> list[Any]:
    clauses: list[Any] = [Lead.status == LeadStatus.OPEN]
    if flt.owner_id is not None:
        clauses.append(Lead.owner_id == flt.owner_id)
    if flt.text.strip():  # the inbox's search: word prefixes, the same on both stores
        clauses.append(lead_text_match(flt.text))
    if flt.tiers:
        clauses.append(Lead.tier.in_(flt.tiers))
    if flt.rotting_only:
        clauses.append(rot_clause(stages, now))
    return clauses


def board_summary(
    session: Session,
    now: datetime,
    flt: BoardFilter | None = None,
    stages: list[StageInfo] | None = None,
) -> list[ColumnSummary]:
    """Count and total deal value of each open stage, in pipeline order (one query)."""
    flt = flt or BoardFilter()
    stages = stages if stages is not None else list_stages(session)
    rows = session.execute(
        select(Lead.stage_id, func.count(), func.coalesce(func.sum(Lead.deal_value), 0))
        .where(*_where(flt, stages, now))
        .group_by(Lead.stage_id)
    )
    totals = {sid: (int(n), Decimal(str(v or 0))) for sid, n, v in rows}
    return [
        ColumnSummary(s, *totals.get(s.id, (0, Decimal(0))))
        for s in stages
        if s.kind == StageKind.OPEN
    ]


@dataclass(frozen=True)
class BoardTotals:
    columns: list[ColumnSummary]
    # New leads the search index has not taken in yet, when the filter searches (a big
    # import's last leads, for a few seconds): the board says its search may miss them.
    indexing: int = 0


def board_totals(
    session: Session, now: datetime, flt: BoardFilter, stages: list[StageInfo]
) -> BoardTotals:
    """The board's head: each column's count and value (`board_summary`) and, while a
    search runs, how many new leads it may miss until they are indexed."""
    indexing = search_backlog(session) if flt.text.strip() else 0
    return BoardTotals(board_summary(session, now, flt, stages), indexing)


def count_cards(
    session: Session,
    now: datetime,
    stage_id: int,
    flt: BoardFilter | None = None,
    stages: list[StageInfo] | None = None,
) -> int:
    flt = flt or BoardFilter()
    stages = stages if stages is not None else list_stages(session)
    query = (
        select(func.count())
        .select_from(Lead)
        .where(Lead.stage_id == stage_id, *_where(flt, stages, now))
    )
    return int(session.scalar(query) or 0)


def board_cards(
    session: Session,
    now: datetime,
    stage_id: int,
    flt: BoardFilter | None = None,
    *,
    offset: int = 0,
    limit: int = 50,
    stages: list[StageInfo] | None = None,
) -> list[CardRow]:
    """One page of cards of a column: highest score first, then the biggest deal, then the
    newest lead (the order of ix_leads_board, so a page is read off the index, not sorted)."""
    flt = flt or BoardFilter()
    stages = stages if stages is not None else list_stages(session)
    query = (
        select(*_CARD_COLUMNS, User.name.label("owner_name"))
        .outerjoin(User, User.id == Lead.owner_id)
        .where(Lead.stage_id == stage_id, *_where(flt, stages, now))
        .order_by(Lead.score.desc(), Lead.deal_value.desc(), Lead.id.desc())
        .offset(offset)
        .limit(limit)
    )
    rows = [dict(r._mapping) for r in session.execute(query)]
    return _cards(session, now, rows, stages)


def cards_by_ids(
    session: Session, now: datetime, ids: list[int], stages: list[StageInfo] | None = None
) -> list[CardRow]:
    """Fresh cards for `ids` (after a move or an edit), in the order of `ids`."""
    if not ids:
        return []
    stages = stages if stages is not None else list_stages(session)
    query = (
        select(*_CARD_COLUMNS, User.name.label("owner_name"))
        .outerjoin(User, User.id == Lead.owner_id)
        .where(Lead.id.in_(ids))
    )
    rows = [dict(r._mapping) for r in session.execute(query)]
    found = {c.id: c for c in _cards(session, now, rows, stages)}
    return [found[i] for i in ids if i in found]


def stages_of(session: Session, ids: list[int]) -> dict[int, int]:
    """Where these leads are now: lead id -> stage id (leads gone or without a stage are
    left out). A board told that a teammate changed them reloads just those columns."""
    if not ids:
        return {}
    rows = session.execute(select(Lead.id, Lead.stage_id).where(Lead.id.in_(ids))).all()
    return {r.id: r.stage_id for r in rows if r.stage_id is not None}


def _cards(
    session: Session, now: datetime, rows: list[dict[str, Any]], stages: list[StageInfo]
) -> list[CardRow]:
    by_id = {s.id: s for s in stages}
    facts = facts_for_rows(session, rows, now)
    cards = []
    for r in rows:
        stage = by_id.get(r["stage_id"])
        f = facts[r["id"]]
        unmet = unmet_for_stage(stage, f) if stage and stage.kind == StageKind.OPEN else []
        entered = r["stage_entered_at"]
        age = (now - entered) if entered else timedelta(0)
        rotting = bool(
            stage
            and stage.kind == StageKind.OPEN
            and stage.stale_hours
            and age > timedelta(hours=stage.stale_hours)
            and not f.scheduled_types
        )
        cards.append(
            CardRow(
                id=r["id"],
                name=r["display_name"] or r["email"] or f"Lead {r['id']}",
                company=r["company"],
                deal_value=r["deal_value"],
                owner_id=r["owner_id"],
                owner_name=r["owner_name"],
                tier=r["tier"],
                score=r["score"] or 0,
                stage_id=r["stage_id"],
                stage_entered_at=entered,
                days_in_stage=max(0, age.days),
                unmet=tuple(u.text for u in unmet),
                rotting=rotting,
                version=r["version"],
            )
        )
    return cards
