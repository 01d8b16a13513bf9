"""The collapsible right-hand panel that shows the selected lead, for every view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QListView,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.changes import Changes
from app.services.leads.detail import HistoryItem, LeadDetail, get_lead_detail
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_sections import DetailSection, section_factories


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


class DetailPanel(QFrame):
    """Loads the lead in the background and hands it to every section."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailPanel")
        self.ctx = ctx
        self.lead_id = 0
        self.detail: LeadDetail | None = None
        self.setMinimumWidth(260)
        self.setMaximumWidth(440)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(16, 16, 16, 16)
        self._layout.setSpacing(12)
        self.name = QLabel()
        self.name.setObjectName("ViewTitle")
        self.name.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setProperty("secondary", True)
        self.subtitle.setWordWrap(True)
        self._layout.addWidget(self.name)
        self._layout.addWidget(self.subtitle)
        self.empty = QLabel("Select a lead to see its details, score and history here.")
        self.empty.setWordWrap(True)
        self.empty.setProperty("secondary", True)
        self._layout.addWidget(self.empty)
        self.sections: list[DetailSection] = []
        self._titles: list[QLabel] = []
        for factory in section_factories():
            section = factory(ctx)
            title = QLabel(section.title)
            title.setObjectName("SectionTitle")
            self._layout.addWidget(title)
            self._layout.addWidget(section)
            self.sections.append(section)
            self._titles.append(title)
        self._layout.addStretch(1)
        ctx.events.lead_selected.connect(self.show_lead)
        ctx.events.changed.connect(self._on_changed)
        self._render(None)

    def show_lead(self, lead_id: int) -> None:
        self.lead_id = lead_id
        if not lead_id:
            self._render(None)
            return
        self.ctx.tasks.submit(
            lambda s: get_lead_detail(s, lead_id), on_done=self._render, key="detail-panel"
        )

    def _on_changed(self, changes: Changes) -> None:
        if changes.affects(self.lead_id):
            self.show_lead(self.lead_id)

    def _render(self, detail: LeadDetail | None) -> None:
        self.detail = detail
        has = detail is not None
        self.empty.setVisible(not has)
        for widget in (self.name, self.subtitle, *self._titles, *self.sections):
            widget.setVisible(has)
        if detail is not None:
            row = detail.row
            self.name.setText(row.name or "(no name)")
            self.subtitle.setText(" at ".join(p for p in (row.title, row.company) if p))
        for section in self.sections:
            section.show_lead(detail)
