"""File → Import history: every batch with file, who, when, counts and where its leads went;
undo a batch from here (managers and the owner), or show its leads."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.importing import api as importing_api
from app.services.importing.history import BatchRow, batch_lead_ids, routing_sentence
from app.services.importing.undo import UndoResult
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.workers import TaskError

AnyIndex = QModelIndex | QPersistentModelIndex
HEADERS = ("Batch", "File", "By", "When", "Created", "Updated", "Rejected", "Routed to", "Status")


class HistoryModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[BatchRow] = []

    def set_rows(self, rows: list[BatchRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        b = self.rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(b, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 4, 5, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and col == 7 and b.queued:
            return theme.colors().q("warning")
        if role == Qt.ItemDataRole.ToolTipRole and col == 7:
            return routing_sentence(b.routed)[0]
        return None

    @staticmethod
    def _text(b: BatchRow, col: int) -> str:
        c = b.counts
        if col == 0:
            return str(b.id)
        if col == 1:
            return b.file_name
        if col == 2:
            return b.user or "-"
        if col == 3:
            return b.started_at.astimezone().strftime("%Y-%m-%d %H:%M") if b.started_at else ""
        if col in (4, 5, 6):
            return f"{int(c.get(('created', 'updated', 'rejected')[col - 4], 0)):,}"
        if col == 7:
            return ", ".join(f"{who} {n:,}" for who, n in b.routed.items()) or "-"
        return "undone" if b.undone_at else b.status


class ImportHistoryDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import history")
        self.resize(1000, 480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        head = QLabel("Import history")
        head.setObjectName("ViewTitle")
        layout.addWidget(head)
        intro = QLabel(
            "Every badge-file import, newest first. Undo removes the leads a batch created and "
            "reverts what it filled in; leads changed since are left alone."
        )
        intro.setProperty("secondary", True)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = HistoryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(7, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update())
        layout.addWidget(self.table, 1)
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.show_button = QPushButton(theme.icon("account-box-multiple-outline"), "Show leads")
        self.show_button.clicked.connect(self._show_leads)
        self.undo_button = QPushButton(theme.icon("undo-variant"), "Undo this import…")
        self.undo_button.setProperty("danger", True)
        self.undo_button.setVisible(ctx.can(Perm.IMPORT_UNDO))
        self.undo_button.clicked.connect(self._confirm_undo)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        ctx.events.changed.connect(self._on_changed)
        self.reload()
        self._update()

    def reload(self) -> None:
        run_op(self.ctx, importing_api.import_history, on_done=self._loaded, parent=self)

    def _on_changed(self, changes: Any) -> None:
        if getattr(changes, "imports", False) or getattr(changes, "all_leads", False):
            self.reload()

    def _loaded(self, rows: list[BatchRow]) -> None:
        current = self.selected()
        self.model.set_rows(rows)
        row = next((i for i, b in enumerate(rows) if current and b.id == current.id), 0)
        if rows:
            self.table.selectRow(row)
        self._update()

    def selected(self) -> BatchRow | None:
        index = self.table.currentIndex()
        return self.model.rows[index.row()] if index.isValid() else None

    def select_batch(self, batch_id: int) -> None:
        for i, b in enumerate(self.model.rows):
            if b.id == batch_id:
                self.table.selectRow(i)

    def _update(self) -> None:
        b = self.selected()
        self.show_button.setEnabled(b is not None and not b.undone_at)
        self.undo_button.setEnabled(b is not None and not b.undone_at and b.status != "running")
        if b is None:
            self.detail.setText("No imports yet. Import a badge file with Ctrl+I.")
            self.detail.setStyleSheet("")
            return
        text, queued = routing_sentence(b.routed)
        if b.undone_at:
            text = f"Undone {b.undone_at.astimezone():%Y-%m-%d %H:%M}."
            queued = False
        self.detail.setText(f"<b>Batch {b.id}</b> · {b.file_name}: {text}")
        self.detail.setStyleSheet(f"color: {theme.colors().warning};" if queued else "")

    def _show_leads(self) -> None:
        b = self.selected()
        if b is None:
            return
        batch_id, name = b.id, b.file_name

        def shown(ids: list[int]) -> None:
            self.ctx.events.show_leads.emit(
                {"title": f"Imported from {name}", "ids": tuple(ids), "status": None}
            )

        self.ctx.tasks.submit(
            lambda s: batch_lead_ids(s, batch_id), on_done=shown, on_error=self._failed
        )

    def _confirm_undo(self) -> None:
        b = self.selected()
        if b is None:
            return
        created = int(b.counts.get("created", 0))
        answer = QMessageBox.question(
            self,
            "Undo this import?",
            f"Remove the {created:,} leads batch {b.id} ({b.file_name}) created and revert the "
            "fields it filled in on existing leads? Leads changed since the import are left alone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.undo(b.id)

    def undo(self, batch_id: int) -> None:
        self.undo_button.setEnabled(False)
        run_op(
            self.ctx, importing_api.undo_import, batch_id,
            on_done=self._undone, on_error=self._failed, parent=self,
        )  # fmt: skip

    def _undone(self, res: UndoResult) -> None:
        text = (
            f"Batch {res.batch_id} undone: {res.deleted:,} leads removed, "
            f"{res.reverted:,} reverted."
        )
        if res.skipped:
            text += f" {len(res.skipped):,} left alone because they changed since."
        self.ctx.events.status_message.emit(text)
        self.reload()

    def _failed(self, error: TaskError) -> None:
        self._update()
        self.detail.setText(error.message)
        self.detail.setStyleSheet(f"color: {theme.colors().danger};")
