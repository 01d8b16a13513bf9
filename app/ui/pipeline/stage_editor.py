"""The "Stages & gates" editor: stages in order, their exit criteria, stale threshold and win
probability. Removing a stage that holds leads asks where they go."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QIntValidator, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models import StageKind
from app.services.auth import Perm
from app.services.pipeline import api as pipeline_api
from app.services.pipeline.editor import StageDraft, stage_lead_counts
from app.services.pipeline.gates import CRITERION_KINDS
from app.services.pipeline.stages import StageInfo
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.workers import TaskError

KIND_WORDS = {StageKind.OPEN: "Open", StageKind.WON: "Won", StageKind.LOST: "Exit"}
PARAM_TEMPLATES: dict[str, dict[str, Any]] = {
    "owner_assigned": {},
    "n_of_m": {"n": 1, "criteria": []},
    "field_in": {"field": "industry", "values": []},
    "number_at_least": {"field": "headcount", "min": 1},
    "field_present": {"field": "tech_stack"},
    "field_true": {"field": "contact_confirmed"},
    "field_false": {"field": "blocking_objection"},
    "date_set": {"field": "review_date"},
    "checklist": {"item": "proposal_received"},
    "activity_scheduled": {"types": ["call", "meeting"]},
    "activity_done": {"types": ["call"]},
}
CRIT_LABEL, CRIT_KIND, CRIT_PARAMS = range(3)


def _tool(icon: str, tip: str) -> QToolButton:
    b = QToolButton()
    b.setIcon(theme.icon(icon))
    b.setToolTip(tip)
    b.setAutoRaise(True)
    return b


class StageEditorDialog(QDialog):
    saved = Signal()

    def __init__(self, ctx: AppContext, stages: list[StageInfo], parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.drafts = [StageDraft.from_info(s) for s in stages]
        self.counts: dict[int, int] = {}
        self.current = -1
        self.setWindowTitle("Stages & gates")
        self.resize(900, 560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        self._build_header(layout)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addLayout(self._build_stage_list())
        right = QVBoxLayout()
        right.addLayout(self._build_form())
        self._build_criteria(right)
        body.addLayout(right, 1)
        layout.addLayout(body, 1)
        self._build_footer(layout)
        if not self.editable:
            self._read_only()
        self._fill_list()
        if self.drafts:
            self.stage_list.setCurrentIndex(self.stage_model.index(0, 0))
        ctx.tasks.submit(lambda s: stage_lead_counts(s), on_done=self._counts_loaded)

    def _build_header(self, layout: QVBoxLayout) -> None:
        title = QLabel("Stages & gates")
        title.setObjectName("ViewTitle")
        layout.addWidget(title)
        intro = QLabel(
            "A lead leaves a stage forward only when all its exit criteria hold. The list is "
            "the pipeline order (use the arrows); exits such as Lost sit at the end."
        )
        intro.setProperty("secondary", True)
        intro.setWordWrap(True)
        layout.addWidget(intro)

    def _build_stage_list(self) -> QVBoxLayout:
        """The stages in pipeline order, with the buttons that add, remove and reorder them."""
        left = QVBoxLayout()
        self.stage_model = QStandardItemModel(self)
        self.stage_list = QListView()
        self.stage_list.setModel(self.stage_model)
        self.stage_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.stage_list.setMinimumWidth(220)
        self.stage_list.selectionModel().currentChanged.connect(self._stage_chosen)
        left.addWidget(self.stage_list, 1)
        tools = QHBoxLayout()
        self.add_button = _tool("plus", "Add a stage")
        self.remove_button = _tool("delete-outline", "Remove the stage")
        self.up_button = _tool("arrow-up", "Move up")
        self.down_button = _tool("arrow-down", "Move down")
        for b in (self.add_button, self.remove_button, self.up_button, self.down_button):
            tools.addWidget(b)
        tools.addStretch(1)
        left.addLayout(tools)
        self.add_button.clicked.connect(self.add_stage)
        self.remove_button.clicked.connect(self.remove_stage)
        self.up_button.clicked.connect(lambda: self.shift(-1))
        self.down_button.clicked.connect(lambda: self.shift(1))
        return left

    def _build_form(self) -> QFormLayout:
        """The chosen stage's own fields; every edit is stored into its draft at once."""
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.name = QLineEdit()
        self.name.textEdited.connect(self._name_edited)
        self.kind = QLabel()
        # Line edits with validators: the themed QSpinBox draws broken step buttons.
        self.stale = QLineEdit()
        self.stale.setValidator(QIntValidator(0, 24 * 365, self.stale))
        self.stale.setPlaceholderText("Never")
        self.stale.setToolTip("Hours in this stage, with nothing planned, before a card rots")
        self.stale.textEdited.connect(lambda _t: self._store_form())
        self.win = QLineEdit()
        self.win.setValidator(QIntValidator(0, 100, self.win))
        self.win.setPlaceholderText("0")
        self.win.textEdited.connect(lambda _t: self._store_form())
        for edit in (self.stale, self.win):
            edit.setMaximumWidth(120)
        self.leads = QLabel()
        self.leads.setProperty("secondary", True)
        form.addRow("Name", self.name)
        form.addRow("Type", self.kind)
        form.addRow("Rotting after (hours)", self.stale)
        form.addRow("Win probability (%)", self.win)
        form.addRow("Leads", self.leads)
        return form

    def _build_criteria(self, right: QVBoxLayout) -> None:
        """The exit criteria of the chosen stage: a heading with add/remove, then the table."""
        crit_head = QHBoxLayout()
        crit_title = QLabel("Exit criteria")
        crit_title.setObjectName("SectionTitle")
        crit_head.addWidget(crit_title)
        crit_head.addStretch(1)
        self.add_crit = QPushButton(theme.icon("plus"), "Add criterion")
        menu = QMenu(self)
        for kind, words in CRITERION_KINDS.items():
            menu.addAction(words, partial(self.add_criterion, kind))
        self.add_crit.setMenu(menu)
        self.remove_crit = _tool("delete-outline", "Remove the criterion")
        self.remove_crit.clicked.connect(self.remove_criterion)
        crit_head.addWidget(self.add_crit)
        crit_head.addWidget(self.remove_crit)
        right.addLayout(crit_head)
        self.crit_model = QStandardItemModel(0, 3, self)
        self.crit_model.setHorizontalHeaderLabels(["Criterion", "Kind", "Settings (JSON)"])
        self._loading = False
        self.crit_model.itemChanged.connect(self._criterion_edited)
        self.crit_view = QTableView()
        self.crit_view.setModel(self.crit_model)
        self.crit_view.verticalHeader().hide()
        self.crit_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.crit_view.horizontalHeader()
        header.setSectionResizeMode(CRIT_LABEL, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CRIT_KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CRIT_PARAMS, QHeaderView.ResizeMode.Stretch)
        right.addWidget(self.crit_view, 1)

    def _build_footer(self, layout: QVBoxLayout) -> None:
        """The error line, then the note and Cancel/Save (Close alone when read only)."""
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.note = QLabel()
        self.note.setProperty("secondary", True)
        buttons.addWidget(self.note)
        buttons.addStretch(1)
        self.editable = self.ctx.can(Perm.PIPELINE_EDIT)
        cancel = QPushButton("Cancel" if self.editable else "Close")
        cancel.clicked.connect(self.reject)
        self.save_button = QPushButton("Save pipeline")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)

    def _criterion_edited(self, _item: QStandardItem) -> None:
        if not self._loading:
            self._store_form()

    def _read_only(self) -> None:
        """A role that may not change the pipeline sees it, with nothing to edit."""
        self.setWindowTitle("Stages & gates (read only)")
        for widget in (
            self.add_button,
            self.remove_button,
            self.up_button,
            self.down_button,
            self.add_crit,
            self.remove_crit,
            self.save_button,
        ):
            widget.hide()
        for edit in (self.name, self.stale, self.win):
            edit.setReadOnly(True)
        self.crit_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.note.setText("Only a manager or the owner can change the pipeline and its gates.")

    # -- list -----------------------------------------------------------------------------
    def _fill_list(self) -> None:
        self.stage_model.clear()
        for d in self.drafts:
            item = QStandardItem(f"{d.name}")
            item.setToolTip(f"{KIND_WORDS.get(StageKind(d.kind), d.kind)} stage")
            icon = {"open": "circle-outline", "won": "trophy-outline"}.get(
                d.kind, "close-circle-outline"
            )
            item.setIcon(theme.icon(icon))
            self.stage_model.appendRow(item)

    def _counts_loaded(self, counts: dict[int, int]) -> None:
        self.counts = counts
        self._load_form()

    def _stage_chosen(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self.current = current.row() if current.isValid() else -1
        self._load_form()

    def _load_form(self) -> None:
        if not 0 <= self.current < len(self.drafts):
            return
        d = self.drafts[self.current]
        for w in (self.name, self.stale, self.win):
            w.blockSignals(True)
        self.name.setText(d.name)
        self.kind.setText(KIND_WORDS.get(StageKind(d.kind), d.kind))
        self.stale.setText(str(d.stale_hours) if d.stale_hours else "")
        self.win.setText(str(round(d.win_probability * 100)))
        n = self.counts.get(d.id or -1, 0)
        self.leads.setText(f"{n:,} lead{'s' if n != 1 else ''} in this stage")
        for w in (self.name, self.stale, self.win):
            w.blockSignals(False)
        self._loading = True
        self.crit_model.removeRows(0, self.crit_model.rowCount())
        for c in d.criteria:
            kind = QStandardItem(CRITERION_KINDS.get(c["kind"], c["kind"]))
            kind.setData(c["kind"], Qt.ItemDataRole.UserRole)
            kind.setEditable(False)
            params = QStandardItem(json.dumps(c.get("params") or {}))
            self.crit_model.appendRow([QStandardItem(c["label"]), kind, params])
        self._loading = False
        self.crit_view.resizeColumnToContents(CRIT_KIND)

    def _name_edited(self, text: str) -> None:
        self._store_form()
        item = self.stage_model.item(self.current)
        if item is not None:
            item.setText(text)

    def _store_form(self) -> None:
        if not 0 <= self.current < len(self.drafts):
            return
        d = self.drafts[self.current]
        d.name = self.name.text()
        d.stale_hours = int(self.stale.text()) if self.stale.text().strip() else None
        d.win_probability = int(self.win.text() or 0) / 100
        criteria = []
        self.error.hide()
        for row in range(self.crit_model.rowCount()):
            label = self.crit_model.item(row, CRIT_LABEL).text()
            kind = self.crit_model.item(row, CRIT_KIND).data(Qt.ItemDataRole.UserRole)
            raw = self.crit_model.item(row, CRIT_PARAMS).text()
            try:
                params = json.loads(raw or "{}")
            except ValueError:
                self._show_error(f"Criterion '{label}': settings are not valid JSON.")
                params = {}
            criteria.append({"kind": kind, "label": label, "params": params})
        d.criteria = criteria

    def add_stage(self) -> None:
        position = sum(1 for d in self.drafts if d.kind != StageKind.LOST)
        names = {d.name for d in self.drafts}
        name, n = "New stage", 2
        while name in names:
            name, n = f"New stage {n}", n + 1
        self.drafts.insert(max(position - 1, 0), StageDraft(None, name, stale_hours=72))
        self._fill_list()
        self.stage_list.setCurrentIndex(self.stage_model.index(max(position - 1, 0), 0))
        self.name.setFocus()
        self.name.selectAll()

    def remove_stage(self) -> None:
        if 0 <= self.current < len(self.drafts):
            del self.drafts[self.current]
            row = min(self.current, len(self.drafts) - 1)
            self._fill_list()
            self.stage_list.setCurrentIndex(self.stage_model.index(row, 0))

    def shift(self, step: int) -> None:
        i, j = self.current, self.current + step
        if 0 <= i < len(self.drafts) and 0 <= j < len(self.drafts):
            self.drafts[i], self.drafts[j] = self.drafts[j], self.drafts[i]
            self._fill_list()
            self.stage_list.setCurrentIndex(self.stage_model.index(j, 0))

    def add_criterion(self, kind: str) -> None:
        kind_item = QStandardItem(CRITERION_KINDS[kind])
        kind_item.setData(kind, Qt.ItemDataRole.UserRole)
        kind_item.setEditable(False)
        self.crit_model.appendRow(
            [
                QStandardItem(CRITERION_KINDS[kind]),
                kind_item,
                QStandardItem(json.dumps(PARAM_TEMPLATES.get(kind, {}))),
            ]
        )
        self._store_form()
        self.crit_view.edit(self.crit_model.index(self.crit_model.rowCount() - 1, CRIT_LABEL))

    def remove_criterion(self) -> None:
        index = self.crit_view.currentIndex()
        if index.isValid():
            self.crit_model.removeRow(index.row())
            self._store_form()

    # -- saving ---------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def removed_with_leads(self) -> list[tuple[int, int]]:
        kept = {d.id for d in self.drafts}
        return [(sid, n) for sid, n in self.counts.items() if n and sid not in kept]

    def save(self, reassign: dict[int, int | str] | None = None) -> None:
        self._store_form()
        if self.error.isVisible():
            return
        reassign = dict(reassign or {})
        names = [d.name for d in self.drafts]
        for sid, n in self.removed_with_leads():
            if sid in reassign:
                continue
            target, ok = QInputDialog.getItem(
                self,
                "Where do its leads go?",
                f"The removed stage holds {n:,} leads. Move them to:",
                names,
                0,
                False,
            )
            if not ok:
                return
            reassign[sid] = target

        def done(_stages: list[StageInfo]) -> None:
            self.saved.emit()  # the board reloads from the broadcast (pipeline changed)
            self.accept()

        def failed(err: TaskError) -> None:
            self._show_error(err.message)

        run_op(
            self.ctx,
            pipeline_api.save_pipeline,
            list(self.drafts),
            reassign,
            on_done=done,
            on_error=failed,
        )
