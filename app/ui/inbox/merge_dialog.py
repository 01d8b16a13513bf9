"""Merge two leads: side by side, a radio per differing field, the result previewed, then
one "Merge" (the other lead's history, activities and scans come along; its id keeps
opening the kept lead)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.duplicates import api as dup_api
from app.services.duplicates.core import LeadSummary, MergePlan
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.workers import TaskError

WORDS = {
    "display_name": "Name", "first_name": "First name", "last_name": "Last name",
    "email": "E-mail", "phone": "Phone", "title": "Title", "company": "Company",
    "industry": "Industry", "headcount": "Headcount", "country": "Country", "source": "Source",
    "event": "Event", "deal_value": "Deal value", "owner_id": "Owner",
}  # fmt: skip


def _field_words(name: str) -> str:
    if name.startswith("details."):
        return name.split(".", 1)[1].replace("_", " ").capitalize()
    return WORDS.get(name, name)


def _value_words(value: Any) -> str:
    return "" if value is None else str(value)


class MergeDialog(QDialog):
    """Merge `other_id` into `keep_id` (Swap turns it around)."""

    merged = Signal(int)  # the kept lead's id

    def __init__(
        self, ctx: AppContext, keep_id: int, other_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.plan: MergePlan | None = None
        self.groups: dict[str, QButtonGroup] = {}
        self.setWindowTitle("Merge leads")
        self.resize(760, 520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        self.title = QLabel("Merge leads")
        self.title.setObjectName("ViewTitle")
        layout.addWidget(self.title)
        intro = QLabel(
            "Pick the value to keep where the two leads differ. Empty fields are filled from "
            "the other lead; histories, activities and scans are combined, and the merged "
            "lead's id keeps opening the kept one."
        )
        intro.setWordWrap(True)
        intro.setProperty("secondary", True)
        layout.addWidget(intro)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(16)
        self.grid.setVerticalSpacing(8)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        layout.addWidget(scroll, 1)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        self.preview.setObjectName("MergePreview")
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.preview)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        self.swap_button = QPushButton(theme.icon("swap-horizontal"), "Keep the other one")
        self.swap_button.clicked.connect(self.swap)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.merge_button = QPushButton("Merge")
        self.merge_button.setProperty("primary", True)
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.merge)
        buttons.addWidget(self.swap_button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.merge_button)
        layout.addLayout(buttons)
        self.load(keep_id, other_id)

    def load(self, keep_id: int, other_id: int) -> None:
        self.merge_button.setEnabled(False)
        run_op(
            self.ctx, dup_api.merge_preview, keep_id, other_id,
            on_done=self._show, on_error=self._failed, parent=self,
        )  # fmt: skip

    def swap(self) -> None:
        if self.plan is not None:
            self.load(self.plan.other.id, self.plan.keep.id)

    def _show(self, plan: MergePlan) -> None:
        self.plan = plan
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item is not None and (w := item.widget()) is not None:
                w.deleteLater()
        self.groups = {}
        keep, other = plan.keep, plan.other
        self.title.setText(f"Merge lead {other.id} into lead {keep.id}")
        self.grid.addWidget(self._head(keep, "Keep"), 0, 1)
        self.grid.addWidget(self._head(other, "Merge in"), 0, 2)
        row = 1
        if not plan.fields:
            same = QLabel("No field differs: the other lead only adds what this one lacks.")
            same.setProperty("secondary", True)
            self.grid.addWidget(same, row, 0, 1, 3)
        for choice in plan.fields:
            label = QLabel(_field_words(choice.field))
            label.setProperty("secondary", True)
            group = QButtonGroup(self)
            a = QRadioButton(_value_words(choice.keep))
            b = QRadioButton(_value_words(choice.other))
            for button in (a, b):
                button.setToolTip(button.text())
            a.setChecked(True)
            group.addButton(a, 0)
            group.addButton(b, 1)
            group.idToggled.connect(lambda *_: self._update_preview())
            self.groups[choice.field] = group
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(a, row, 1)
            self.grid.addWidget(b, row, 2)
            row += 1
        self.grid.setRowStretch(row, 1)
        self.merge_button.setText(f"Merge into lead {keep.id}")
        self.merge_button.setEnabled(True)
        self._update_preview()

    def _head(self, lead: LeadSummary, role: str) -> QLabel:
        company = f" · {lead.company}" if lead.company else ""
        head = QLabel(
            f"<b>{role}: lead {lead.id}</b><br>{lead.name}{company}<br>"
            f"<span style='color:{theme.colors().text_secondary}'>{lead.email or 'no e-mail'} · "
            f"{lead.stage or '-'} · {lead.owner or 'unassigned'}</span>"
        )
        head.setWordWrap(True)
        return head

    def take_other(self) -> list[str]:
        return [name for name, group in self.groups.items() if group.checkedId() == 1]

    def choose(self, field: str, other: bool) -> None:
        """Pick the other lead's value of `field` (tests, keyboard users)."""
        group = self.groups[field]
        button = group.button(1 if other else 0)
        if button is not None:
            button.setChecked(True)

    def _update_preview(self) -> None:
        plan = self.plan
        if plan is None:
            return
        picked = []
        for choice in plan.fields:
            other = self.groups[choice.field].checkedId() == 1
            value = choice.other if other else choice.keep
            picked.append(f"{_field_words(choice.field)}: <b>{value}</b>")
        kept = "; ".join(picked) if picked else "its own values"
        self.preview.setText(
            f"<b>Result:</b> lead {plan.keep.id} with {kept}, plus both histories. "
            f"Lead {plan.other.id} is removed and opens lead {plan.keep.id} from now on."
        )

    def merge(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self.merge_button.setEnabled(False)
        self.error.hide()
        run_op(
            self.ctx, dup_api.merge_leads, plan.keep.id, plan.other.id, self.take_other(),
            plan.keep.version, plan.other.version,
            on_done=self._merged, on_error=self._failed, parent=self,
        )  # fmt: skip

    def _merged(self, keep_id: int) -> None:
        self.ctx.events.status_message.emit(f"Merged into lead {keep_id}")
        self.ctx.events.lead_selected.emit(keep_id)
        self.merged.emit(keep_id)
        self.accept()

    def _failed(self, error: TaskError) -> None:
        self.merge_button.setEnabled(self.plan is not None)
        self.error.setText(error.message)
        self.error.show()
