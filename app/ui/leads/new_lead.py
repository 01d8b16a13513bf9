"""New lead (Ctrl+N): a short form; the lead lands in the first stage, scored and routed."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

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
        self.error.setText(error.message)
