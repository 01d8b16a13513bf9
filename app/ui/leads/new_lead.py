"""New lead (Ctrl+N): a short form; the lead lands in the first stage, scored and routed."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.duplicates.core import DuplicateLeadError, Match
from app.services.leads import api as leads_api
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.workers import TaskError

SOURCES = ["Web form", "Referral", "LinkedIn", "Event scan", "Partner", "Phone", "Other"]
FIELDS = [
    ("first_name", "First name", "Ada"),
    ("last_name", "Last name", "Lovelace"),
    ("email", "E-mail", "ada@company.com"),
    ("phone", "Phone", "+44 20 7946 0000"),
    ("company", "Company", "Analytical Engines Ltd"),
    ("title", "Title", "CTO"),
    ("country", "Country", "United Kingdom"),
    ("industry", "Industry", "Software"),
    ("headcount", "Headcount", "250"),
    ("budget", "Budget", "Approved, Planned or None"),
    ("timeframe", "Purchase timeframe", "This quarter"),
    ("deal_value", "Deal value", "25000"),
]


class NewLeadDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.created_id: int | None = None
        self.setWindowTitle("New lead")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        form = QFormLayout()
        form.setVerticalSpacing(8)
        self.inputs: dict[str, QLineEdit] = {}
        for key, label, example in FIELDS:
            edit = QLineEdit()
            edit.setPlaceholderText(example)
            form.addRow(label, edit)
            self.inputs[key] = edit
        self.source = QComboBox()
        self.source.setEditable(True)
        self.source.addItems(SOURCES)
        form.addRow("Source", self.source)
        layout.addLayout(form)
        note = QLabel("It starts in the first stage and is scored and routed like any new lead.")
        note.setWordWrap(True)
        note.setProperty("secondary", True)
        layout.addWidget(note)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        layout.addWidget(self.error)
        self.duplicate = DuplicateBox()
        self.duplicate.open_button.clicked.connect(self._open_existing)
        self.duplicate.reason.textChanged.connect(self._reason_changed)
        layout.addWidget(self.duplicate)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = buttons.addButton(
            "Create lead", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setProperty("primary", True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            k: e.text().strip() for k, e in self.inputs.items() if e.text().strip()
        }
        if self.source.currentText().strip():
            values["source"] = self.source.currentText().strip()
        return values

    def submit(self) -> None:
        self.create_button.setEnabled(False)
        self.error.setText("")
        # The service checks the values (a name or an e-mail, a readable deal value...).
        run_op(
            self.ctx,
            leads_api.create_lead,
            self.values(),
            self.duplicate.reason_text() or None,
            on_done=self._created,
            on_error=self._failed,
            parent=self,
        )

    def _created(self, lead_id: int) -> None:
        self.created_id = lead_id
        self.ctx.events.lead_selected.emit(lead_id)
        self.ctx.events.status_message.emit("Lead created.")
        self.accept()

    def _failed(self, error: TaskError) -> None:
        self.create_button.setEnabled(True)
        if isinstance(error.exception, DuplicateLeadError):
            self.duplicate.show_matches(error.exception.matches)
            self._reason_changed()
            return
        self.error.setText(error.message)

    def _reason_changed(self) -> None:
        if self.duplicate.isVisible():
            anyway = bool(self.duplicate.reason_text())
            self.create_button.setText("Create anyway" if anyway else "Create lead")
            self.create_button.setEnabled(anyway)

    def _open_existing(self) -> None:
        lead_id = self.duplicate.lead_id
        if lead_id is not None:
            self.ctx.events.lead_selected.emit(lead_id)
            self.ctx.events.open_lead.emit(lead_id)
            self.reject()


class DuplicateBox(QFrame):
    """Shown when the entry matches existing leads: open it, or give a reason to create."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lead_id: int | None = None
        self.setObjectName("DuplicateBox")
        c = theme.colors()
        self.setStyleSheet(
            f"QFrame#DuplicateBox {{ border: 1px solid {c.warning}; border-radius: 6px; }}"
        )
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        box.setSpacing(8)
        self.text = QLabel()
        self.text.setWordWrap(True)
        box.addWidget(self.text)
        row = QHBoxLayout()
        self.open_button = QPushButton(theme.icon("open-in-new"), "Open it")
        row.addWidget(self.open_button)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Or say why this is a different lead, to create it anyway")
        row.addWidget(self.reason, 1)
        box.addLayout(row)
        self.hide()

    def show_matches(self, matches: list[Match]) -> None:
        first = matches[0]
        self.lead_id = first.lead_id
        others = "".join(f"<br>· also {m.sentence()}" for m in matches[1:3])
        self.text.setText(
            f"<b>This looks like an existing lead.</b><br>{first.sentence()}.{others}"
        )
        self.open_button.setText(f"Open lead {first.lead_id}")
        self.show()

    def reason_text(self) -> str:
        return self.reason.text().strip() if self.isVisible() else ""
