"""The leads view: every lead in the store, searchable and sortable (in SQL)."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QItemSelection, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.models import LeadStatus
from app.services.leads import LeadFilter
from app.ui import theme
from app.ui.common.empty_state import EmptyState
from app.ui.common.lazy_model import ROW_ID_ROLE
from app.ui.context import AppContext
from app.ui.leads.model import LEAD_COLUMNS, LeadTableModel


class LeadsView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = LeadTableModel(ctx.tasks)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)

        top = QHBoxLayout()
        top.setSpacing(8)
        self.title = QLabel("Leads")
        self.title.setObjectName("ViewTitle")
        self.count = QLabel()
        self.count.setProperty("secondary", True)
        top.addWidget(self.title)
        top.addWidget(self.count)
        top.addStretch(1)
        self.status = QComboBox()
        self.status.addItem("All statuses", None)
        for status in LeadStatus:
            self.status.addItem(status.value.title(), status.value)
        self.status.currentIndexChanged.connect(self._apply_filter)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, company, e-mail, title  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(theme.icon("magnify"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(300)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        top.addWidget(self.status)
        top.addWidget(self.search)
        layout.addLayout(top)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            self.model.column_of("captured_at"), Qt.SortOrder.DescendingOrder
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        for i, col in enumerate(LEAD_COLUMNS):
            self.table.setColumnWidth(i, col.width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

        self.empty = EmptyState("account-search-outline")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(lambda msg: ctx.events.status_message.emit(msg))
        ctx.events.leads_changed.connect(lambda _ids: self.model.reload())
        ctx.events.show_leads.connect(self.show_filtered)
        self._base_filter = LeadFilter()
        self._started = False

    def activate(self) -> None:
        if not self._started:
            self._started = True
            self.model.reload()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_filtered(self, spec: dict[str, Any]) -> None:
        """Show the leads a chart or alert points at (a dict of LeadFilter fields)."""
        spec = dict(spec)
        title = spec.pop("title", None)
        fields = {f.name for f in dataclasses.fields(LeadFilter)}
        self._base_filter = LeadFilter(**{k: v for k, v in spec.items() if k in fields})
        self.title.setText(f"Leads: {title}" if title else "Leads")
        self._apply_filter()

    def current_filter(self) -> LeadFilter:
        return dataclasses.replace(
            self._base_filter,
            text=self.search.text(),
            status=self.status.currentData() or self._base_filter.status,
        )

    def _apply_filter(self) -> None:
        self._started = True
        self.model.set_params(self.current_filter())

    def _on_loaded(self) -> None:
        n = self.model.rowCount()
        self.count.setText(f"{n:,} lead{'s' if n != 1 else ''}")
        if n:
            self.stack.setCurrentWidget(self.table)
            return
        if self.current_filter() == LeadFilter():
            self.empty.show_state(
                "No leads yet",
                "Leads you import from a badge-scan file or create appear here. To look "
                "around first, fill this store with a demo team and six months of history.",
                [("Load demo data", self.load_demo)],
            )
        else:
            self.empty.show_state(
                "No lead matches these filters",
                "Try fewer words in the search, or another status.",
                [("Clear filters", self.clear_filters)],
            )
        self.stack.setCurrentWidget(self.empty)

    def clear_filters(self) -> None:
        self._base_filter = LeadFilter()
        self.title.setText("Leads")
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.status.setCurrentIndex(0)
        self._apply_filter()

    def load_demo(self) -> None:
        """Fill an empty store with the demo team and leads (in the background)."""
        from app.services import demo

        clock = self.ctx.clock
        self.empty.show_state("Loading demo data…", "A team, 300 accounts and 2,000 leads.")
        self.ctx.tasks.submit(
            lambda session: demo.generate(session, clock),
            on_done=lambda _r: self.ctx.events.leads_changed.emit([]),
            on_error=lambda e: self.ctx.events.status_message.emit(
                f"Could not load demo data: {e.message}"
            ),
        )

    def _on_selection(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if len(rows) == 1:
            lead_id = self.model.data(rows[0], ROW_ID_ROLE)
            if lead_id:
                self.ctx.events.lead_selected.emit(int(lead_id))

    def selected_ids(self) -> list[int]:
        ids = []
        for index in self.table.selectionModel().selectedRows():
            value = self.model.data(index, ROW_ID_ROLE)
            if value:
                ids.append(int(value))
        return ids
