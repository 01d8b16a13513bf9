"""The inbox table model: a LazyTableModel over services.leads with tier, score and a live
first-response countdown computed from the cached row and the clock (never the database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.leads.queries import LeadFilter, LeadRow, LeadSort, count_leads, list_leads
from app.ui import theme
from app.ui.common.lazy_model import ROW_ID_ROLE, ROW_ROLE, Column, LazyTableModel
from app.ui.workers import TaskRunner

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter
COUNTDOWN_KEY = "due"
BREACHED_ROLE = int(Qt.ItemDataRole.UserRole) + 10
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_ROLES = frozenset(
    {_DISPLAY, _ALIGN, _FONT, _FOREGROUND, _TOOLTIP, int(ROW_ID_ROLE), int(ROW_ROLE), BREACHED_ROLE}
)


def age_text(delta: timedelta) -> str:
    """Compact age: 45 s, 12 min, 5 h, 3 d, 7 w."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    if seconds < 86400 * 14:
        return f"{seconds // 86400} d"
    return f"{seconds // (86400 * 7)} w"


def countdown_text(row: LeadRow, now: datetime) -> tuple[str, bool]:
    """(text, breached) for the first-response column.

    Under an hour left: mm:ss. Breached: −mm:ss (or −5 h). Contacted: a check mark and how
    long the first response took; the clock has stopped.
    """
    if row.first_contacted_at is not None:
        if row.captured_at is None:
            return "✓", False
        return f"✓ {age_text(row.first_contacted_at - row.captured_at)}", False
    due = row.first_response_due
    if due is None or row.status != "open":
        return "–", False  # only open leads have a first-response clock
    left = int((due - now).total_seconds())
    if left >= 0:
        if left < 3600:
            return f"{left // 60:02d}:{left % 60:02d}", False
        return f"{age_text(timedelta(seconds=left))} left", False
    late = -left
    if late < 3600:
        return f"−{late // 60:02d}:{late % 60:02d}", True
    return f"−{age_text(timedelta(seconds=late))}", True


def _local(value: datetime | None) -> str:
    return value.astimezone().strftime("%d %b %H:%M") if value else "–"


def inbox_columns(clock: Clock) -> list[Column]:
    def age(r: LeadRow) -> str:
        return age_text(clock.now() - r.captured_at) if r.captured_at else ""

    return [
        Column("tier", "Tier", lambda r: r.tier or "", "score", width=84),
        Column("score", "Score", lambda r: str(r.score), "score", width=80),
        Column("name", "Name", lambda r: r.name, "name", width=160),
        Column(
            COUNTDOWN_KEY,
            "First response",
            lambda r: countdown_text(r, clock.now())[0],
            None,
            RIGHT,
            116,
            tooltip=lambda r: (
                f"Due {_local(r.first_response_due)}" if r.first_response_due else "No deadline"
            ),
        ),
        Column("company", "Company", lambda r: r.company or "", "company", width=160),
        Column("owner", "Owner", lambda r: r.owner or "Unassigned", "owner", width=120),
        Column("title", "Title", lambda r: r.title or "", "title", width=140),
        Column(
            "source", "Source / event", lambda r: r.event or r.source or "", "source", width=140
        ),
        Column("stage", "Stage", lambda r: r.stage or "", "stage", width=130),
        Column("age", "Age", age, "captured_at", RIGHT, 64),
        Column("touch", "Last touch", lambda r: _local(r.last_touch_at), "last_touch", RIGHT, 100),
    ]


def _count(session: Session, flt: LeadFilter | None) -> int:
    return count_leads(session, flt)


def _page(
    session: Session, flt: LeadFilter | None, key: str, desc: bool, offset: int, limit: int
) -> list[LeadRow]:
    return list_leads(session, flt, LeadSort(key, desc), offset=offset, limit=limit)


class InboxModel(LazyTableModel):
    def __init__(self, runner: TaskRunner, clock: Clock, flt: LeadFilter | None = None) -> None:
        self.clock = clock
        super().__init__(
            runner,
            inbox_columns(clock),
            _count,
            _page,
            params=flt or LeadFilter(status="open"),
            sort_key="score",
            descending=True,
            name="inbox-table",
        )
        self.countdown_column = self.column_of_key(COUNTDOWN_KEY)
        self.name_column = self.column_of_key("name")
        self._bold = QFont()
        self._bold.setBold(True)

    def column_of_key(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        # A repaint asks each visible cell for ~12 roles; most are roles we never answer, so
        # they return before any lookup (this keeps a full repaint of the table cheap).
        if role not in _ROLES or not index.isValid():
            return None
        col = index.column()
        row = self.row_at(index.row())
        if row is None:
            if role == _DISPLAY and col == 0:
                return "…"
            return None
        if role == _DISPLAY:
            return self.columns[col].display(row)
        if role == _ALIGN:
            return int(self.columns[col].align)
        if role == _FONT:
            # Bold: nobody has contacted this lead yet.
            return (
                self._bold if col == self.name_column and row.first_contacted_at is None else None
            )
        if role in (_FOREGROUND, BREACHED_ROLE):
            if col != self.countdown_column:
                return None
            text, breached = countdown_text(row, self.clock.now())
            if role == BREACHED_ROLE:
                return breached
            c = theme.colors()
            if breached:
                return c.q("danger")
            if text.startswith("✓") or text == "–":
                return c.q("text_secondary")
            return None
        if role == _TOOLTIP:
            tip = self.columns[col].tooltip
            return tip(row) if tip is not None else None
        if role == ROW_ID_ROLE:
            return row.id
        if role == ROW_ROLE:
            return row
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        # Precomputed: combining enum flags in Python on every call showed up in repaints.
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def tick(self) -> None:
        """Repaint the countdown column (a timer calls this each second; no database)."""
        if self.rowCount() and self.countdown_column >= 0:
            self.dataChanged.emit(
                self.index(0, self.countdown_column),
                self.index(self.rowCount() - 1, self.countdown_column),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole],
            )
