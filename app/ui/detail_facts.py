"""The lead panel's own sections: the lead's facts and its history timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QListView,
    QVBoxLayout,
)

from app.services.leads.detail import HistoryItem, LeadDetail
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_sections import DetailSection


def local_time(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """UTC from the store, shown in the workstation's local time."""
    return value.astimezone().strftime(fmt) if value else "–"


def wrappable(text: str) -> str:
    """Long e-mails and URLs wrap at @ . / instead of widening the panel."""
    for mark in ("@", ".", "/"):
        text = text.replace(mark, mark + "\u200b")
    return text


class FactsSection(DetailSection):
    title = "Contact"

    FIELDS = (
        ("Email", lambda r: r.email),
        ("Phone", lambda r: r.phone),
        ("Country", lambda r: r.country),
        ("Owner", lambda r: r.owner or "Unassigned"),
        ("Stage", lambda r: f"{r.stage or '–'} ({r.status})"),
        ("Source", lambda r: " · ".join(p for p in (r.source, r.event) if p) or None),
        ("Captured", lambda r: local_time(r.captured_at)),
        ("Deal value", lambda r: theme.money(float(r.deal_value)) if r.deal_value else None),
    )

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(4)
        self._values: list[QLabel] = []
        for label, _ in self.FIELDS:
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            name = QLabel(label)
            name.setProperty("secondary", True)
            form.addRow(name, value)
            self._values.append(value)

    def show_lead(self, detail: LeadDetail | None) -> None:
        for value, (_, get) in zip(self._values, self.FIELDS, strict=True):
            value.setText(wrappable(str(get(detail.row) or "–")) if detail else "")


class HistoryModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._items: list[HistoryItem] = []

    def set_items(self, items: list[HistoryItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            who = f" · {item.by}" if item.by else ""
            extra = f"\n{item.detail}" if item.detail else ""
            return f"{item.text}\n{local_time(item.at)}{who}{extra}"
        if role == Qt.ItemDataRole.ForegroundRole and item.kind == "blocked":
            return theme.colors().q("danger")
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.detail
        return None


class HistorySection(DetailSection):
    title = "History"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.model = HistoryModel()
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setSpacing(2)
        self.view.setMinimumHeight(220)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        layout.addWidget(self.view)

    def show_lead(self, detail: LeadDetail | None) -> None:
        self.model.set_items(detail.history if detail else [])
