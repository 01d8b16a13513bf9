"""The possible duplicates an import found: merge each pair, or dismiss it as two people."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.duplicates import api as dup_api
from app.services.duplicates.core import dismissed_pairs
from app.services.importing.dedup import PossibleDuplicate
from app.ui import theme
from app.ui.context import AppContext
from app.ui.inbox.merge_dialog import MergeDialog
from app.ui.ops import run_op
from app.ui.workers import TaskError

HEADERS = ("New lead", "Looks like", "Why", "Score")
AnyIndex = QModelIndex | QPersistentModelIndex


class PairsModel(QAbstractTableModel):
    """The pairs left to review, one row each (an import can find over a thousand)."""

    def __init__(self, pairs: list[PossibleDuplicate], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pairs = list(pairs)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.pairs)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section] if 0 <= section < len(HEADERS) else None
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        p = self.pairs[index.row()]
        column = index.column()
        if column == 0:
            return f"#{p.lead_id} {p.name}" + (f" (row {p.row})" if p.row else "")
        if column == 1:
            return f"#{p.other_id} {p.other_name}" + (
                f" (row {p.other_row})" if p.other_row else ""
            )
        return p.reason if column == 2 else str(p.score)

    def set_pairs(self, pairs: list[PossibleDuplicate]) -> None:
        self.beginResetModel()
        self.pairs = list(pairs)
        self.endResetModel()

    def remove(self, pair: PossibleDuplicate) -> None:
        if pair not in self.pairs:
            return
        row = self.pairs.index(pair)
        self.beginRemoveRows(QModelIndex(), row, row)
        del self.pairs[row]
        self.endRemoveRows()


class DuplicatesDialog(QDialog):
    def __init__(
        self, ctx: AppContext, pairs: list[PossibleDuplicate], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        # Only pairs of two stored leads can be merged (the import wrote both by now).
        self.merge_dialog: MergeDialog | None = None
        self.setWindowTitle("Possible duplicates")
        self.resize(820, 480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        head = QLabel("Possible duplicates")
        head.setObjectName("ViewTitle")
        layout.addWidget(head)
        intro = QLabel(
            "Leads this import created that look like another lead. Merge a pair into one "
            "lead, or dismiss it when they are different people."
        )
        intro.setWordWrap(True)
        intro.setProperty("secondary", True)
        layout.addWidget(intro)
        self.model = PairsModel(
            [p for p in pairs if p.lead_id and p.other_id and p.lead_id != p.other_id], self
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(self._update)
        self.model.modelReset.connect(self._select_first)
        self.model.rowsRemoved.connect(self._select_next)
        layout.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.merge_button = QPushButton(theme.icon("call-merge"), "Merge…")
        self.merge_button.clicked.connect(self.merge_selected)
        self.dismiss_button = QPushButton(theme.icon("close"), "Not the same person")
        self.dismiss_button.clicked.connect(self.dismiss_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(self.merge_button)
        row.addWidget(self.dismiss_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self._select_first()
        # Pairs someone already said are two people are not offered again.
        ids = sorted({i for p in self.model.pairs for i in (p.lead_id, p.other_id) if i})
        self.ctx.tasks.submit(lambda s: dismissed_pairs(s, ids), on_done=self._skip_dismissed)

    @property
    def pairs(self) -> list[PossibleDuplicate]:
        return self.model.pairs

    def _skip_dismissed(self, dismissed: set[tuple[int, int]]) -> None:
        keep = [
            p for p in self.pairs
            if tuple(sorted((p.lead_id or 0, p.other_id or 0))) not in dismissed
        ]  # fmt: skip
        if len(keep) != len(self.pairs):
            self.model.set_pairs(keep)

    def _select_first(self) -> None:
        if self.pairs:
            self.table.selectRow(0)
        self._update()

    def _select_next(self, _parent: Any, first: int, _last: int) -> None:
        """After a pair is merged or dismissed, the one below it (or the new last)."""
        if self.pairs:
            self.table.selectRow(min(first, len(self.pairs) - 1))
        self._update()

    def selected(self) -> PossibleDuplicate | None:
        row = self.table.currentIndex().row()
        return self.pairs[row] if 0 <= row < len(self.pairs) else None

    def _update(self, *_args: Any) -> None:
        has = self.selected() is not None
        self.merge_button.setEnabled(has)
        self.dismiss_button.setEnabled(has)
        if not self.pairs:
            self.status.setText("Nothing left to review.")

    def _drop(self, pair: PossibleDuplicate) -> None:
        self.model.remove(pair)

    def merge_selected(self) -> None:
        pair = self.selected()
        if pair is None or pair.lead_id is None or pair.other_id is None:
            return
        # The older lead stays; the new one from this import is merged into it.
        dialog = MergeDialog(self.ctx, pair.other_id, pair.lead_id, self)
        dialog.merged.connect(lambda _keep: self._drop(pair))
        self.merge_dialog = dialog
        dialog.open()

    def dismiss_selected(self) -> None:
        pair = self.selected()
        if pair is None or pair.lead_id is None or pair.other_id is None:
            return

        def done(_new: bool) -> None:
            self.status.setText(f"Kept #{pair.lead_id} and #{pair.other_id} as two people.")
            self._drop(pair)

        run_op(
            self.ctx, dup_api.dismiss_duplicate, pair.lead_id, pair.other_id,
            on_done=done, on_error=self._failed, parent=self,
        )  # fmt: skip

    def _failed(self, error: TaskError) -> None:
        self.status.setText(error.message)
