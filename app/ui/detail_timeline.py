"""The lead panel's timeline: a note field, "Log activity…", "Undo last log", and one list,
newest first, of notes, calls/e-mails/meetings with their outcome, stage moves, score
crossings and scans (services/leads/detail.py reads them)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
)

from app.services.activities import api as activities_api
from app.services.leads.detail import HistoryItem, LeadDetail
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_facts import local_time
from app.ui.detail_log import CHANNEL_ICONS, LogActivityDialog, journal, undo_last_log
from app.ui.detail_sections import DetailSection
from app.ui.ops import run_op, show_error
from app.ui.workers import TaskError

KIND_ICONS = {
    "created": "plus-circle-outline",
    "forward": "arrow-right-bold-outline",
    "back": "arrow-left-bold-outline",
    "override": "lock-open-variant-outline",
    "blocked": "lock-outline",
    "exit": "flag-checkered",
    "reopen": "restore",
    "tier_changed": "chart-line",
    "fields_updated": "pencil-outline",
    "activity_undone": "undo",
    "engagement": "lightning-bolt-outline",
}


def item_icon(item: HistoryItem) -> str:
    if item.channel:
        return CHANNEL_ICONS.get(item.channel, "calendar-check-outline")
    return KIND_ICONS.get(item.kind, "circle-small")


class TimelineModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self._items: list[HistoryItem] = []

    def set_items(self, items: list[HistoryItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> HistoryItem:
        return self._items[row]

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
        if role == Qt.ItemDataRole.DecorationRole:
            c = theme.colors()
            colour = c.danger if item.kind == "blocked" else c.text_secondary
            if item.kind == "note":
                colour = c.accent
            return theme.icon(item_icon(item), colour)
        if role == Qt.ItemDataRole.ForegroundRole and item.kind == "blocked":
            return theme.colors().q("danger")
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.detail
        return None


class TimelineSection(DetailSection):
    title = "Timeline"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.lead_id = 0
        self.lead_name = ""
        self.version: int | None = None
        self.dialog: LogActivityDialog | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Add a note… (Enter saves)")
        self.note.setClearButtonEnabled(True)
        self.note.returnPressed.connect(self.add_note)
        layout.addWidget(self.note)
        row = QHBoxLayout()
        row.setSpacing(4)
        self.log_button = QPushButton(theme.icon("phone-log-outline"), "Log activity…")
        self.log_button.setProperty("compact", True)
        self.log_button.setToolTip("Log a call, e-mail, meeting or LinkedIn with its outcome")
        self.log_button.clicked.connect(lambda: self.open_log("call"))
        self.undo_button = QPushButton(theme.icon("undo"), "Undo last log")
        self.undo_button.setProperty("compact", True)
        self.undo_button.setToolTip("Take back the last activity you logged on this lead")
        self.undo_button.clicked.connect(self.undo)
        row.addWidget(self.log_button)
        row.addWidget(self.undo_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.model = TimelineModel()
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.view.setSpacing(3)
        self.view.setIconSize(QSize(16, 16))
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        # The panel scrolls; the list shows every entry at its full height (no inner scroll).
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setUniformItemSizes(False)
        layout.addWidget(self.view)
        journal(ctx).changed.connect(self._update_undo)

    def show_lead(self, detail: LeadDetail | None) -> None:
        if detail is None or detail.row.id != self.lead_id:
            self.note.clear()
        self.lead_id = detail.row.id if detail else 0
        self.lead_name = detail.row.name if detail else ""
        self.version = detail.row.version if detail else None
        self.model.set_items(detail.history if detail else [])
        self._fit_height()
        self._update_undo()

    def _fit_height(self) -> None:
        rows = self.model.rowCount()
        spacing = 2 * self.view.spacing()
        height = sum(self.view.sizeHintForRow(r) + spacing for r in range(rows))
        self.view.setFixedHeight(max(48, height + 4))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_height()  # wrapped lines change with the width

    def _update_undo(self) -> None:
        self.undo_button.setVisible(journal(self.ctx).last_for(self.lead_id) is not None)

    def add_note(self) -> None:
        text = self.note.text().strip()
        if not self.lead_id or not text:
            return
        self.note.setEnabled(False)

        def done(_note_id: int) -> None:
            self.note.setEnabled(True)
            self.note.clear()
            self.ctx.events.status_message.emit("Note added.")

        def failed(error: TaskError) -> None:
            self.note.setEnabled(True)
            show_error(self, error)

        run_op(
            self.ctx,
            activities_api.add_note,
            self.lead_id,
            text,
            on_done=done,
            on_error=failed,
            parent=self,
        )

    def open_log(self, channel: str) -> LogActivityDialog | None:
        if not self.lead_id:
            return None
        self.dialog = LogActivityDialog(
            self.ctx, self.lead_id, self.lead_name, channel, self.version, self
        )
        self.dialog.open()
        return self.dialog

    def undo(self) -> None:
        undo_last_log(self.ctx, self.lead_id, self)
