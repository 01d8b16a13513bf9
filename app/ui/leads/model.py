"""The leads table model: a LazyTableModel over services.leads."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from sqlalchemy.orm import Session

from app.services.leads import LeadFilter, LeadRow, LeadSort, count_leads, list_leads
from app.ui import theme
from app.ui.common.lazy_model import Column, LazyTableModel
from app.ui.workers import TaskRunner

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _date(value: datetime | None) -> str:
    return value.astimezone().strftime("%d %b %Y") if value else ""


LEAD_COLUMNS = [
    Column("name", "Name", lambda r: r.name, "name", width=180),
    Column("company", "Company", lambda r: r.company or "", "company", width=180),
    Column("title", "Title", lambda r: r.title or "", "title", width=160),
    Column("stage", "Stage", lambda r: r.stage or "", "stage", width=150),
    Column("owner", "Owner", lambda r: r.owner or "Unassigned", "owner", width=130),
    Column("source", "Source", lambda r: r.event or r.source or "", "source", width=150),
    Column("captured", "Captured", lambda r: _date(r.captured_at), "captured_at", width=100),
    Column(
        "value",
        "Deal value",
        lambda r: theme.money(float(r.deal_value)) if r.deal_value is not None else "",
        "deal_value",
        RIGHT,
        90,
    ),
    Column("status", "Status", lambda r: r.status.title(), "status", width=90),
]


def _count(session: Session, flt: LeadFilter | None) -> int:
    return count_leads(session, flt)


def _page(
    session: Session, flt: LeadFilter | None, key: str, desc: bool, offset: int, limit: int
) -> list[LeadRow]:
    return list_leads(session, flt, LeadSort(key, desc), offset=offset, limit=limit)


class LeadTableModel(LazyTableModel):
    def __init__(self, runner: TaskRunner, flt: LeadFilter | None = None) -> None:
        super().__init__(
            runner,
            LEAD_COLUMNS,
            _count,
            _page,
            params=flt or LeadFilter(),
            sort_key="captured_at",
            descending=True,
            name="leads-table",
        )
