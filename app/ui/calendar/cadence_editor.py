"""The cadence editor: the steps of each cadence (add, remove, reorder, edit; channel, day
offset, text with placeholders) and a preview of the chosen step on a real lead.

Every save is one API call (services/followups/api.py) through run_op; the dialog reloads from
the change broadcast. A role without Perm.SETTINGS_EDIT sees everything read-only. The response
windows, escalation and stale limits are not edited here but on the Response page (one place,
app/ui/team/response_view.py); the link at the bottom goes there.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.changes import Changes
from app.services.followups import api as fu_api
from app.services.followups.cadence import StepPreview, preview_step
from app.services.followups.queries import CadenceOverview, cadence_overview
from app.services.followups.templates import CHANNELS, CadenceInfo, StepInfo
from app.ui import theme
from app.ui.common.number_field import NumberField
from app.ui.context import AppContext
from app.ui.ops import run_op

CHANNEL_LABELS = {"email": "Email", "call": "Call", "linkedin": "LinkedIn", "task": "Task"}
READ_ONLY_NOTE = "Only a manager or the owner can change cadences."
RESPONSE_LINK = "Response windows, escalation and stale limits…"


def step_day(offset_days: float) -> str:
    """A step's timing as people say it: day 1 is the day the cadence starts."""
    if offset_days < 1:
        minutes = round(offset_days * 24 * 60)
        if minutes == 0:
            return "Day 1"
        return f"Day 1 +{minutes} min" if minutes < 60 else f"Day 1 +{round(minutes / 60)} h"
    hours = round((offset_days % 1) * 24)
    return f"Day {int(offset_days) + 1}" + (f" +{hours} h" if hours else "")


class StepForm(QWidget):
    """The selected step: when, channel, subject; save, add after, remove."""

    save_requested = Signal()
    add_requested = Signal()
    remove_requested = Signal()
    move_requested = Signal(bool)  # True: one place earlier

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.offset = NumberField(365, 4, width=80)
        self.offset.setToolTip("Days after the cadence starts (0.5 = twelve hours)")
        days = QHBoxLayout()
        days.setSpacing(8)
        days.addWidget(self.offset)
        days.addWidget(QLabel("days after the start"))
        days.addStretch(1)
        form.addRow("When", days)
        self.channel = QComboBox()
        for channel in CHANNELS:
            self.channel.addItem(CHANNEL_LABELS.get(channel, channel.title()), channel)
        self.channel.setMinimumWidth(120)
        form.addRow("Channel", self.channel)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("Subject; {first_name}, {company}... are filled in")
        form.addRow("Subject", self.subject)
        self.template = QPlainTextEdit()
        self.template.setPlaceholderText(
            "The message or call script: {first_name}, {company}, {owner_name}, {event}..."
        )
        self.template.setFixedHeight(84)
        form.addRow("Text", self.template)
        buttons = QHBoxLayout()
        self.remove_button = QPushButton("Remove step")
        self.add_button = QPushButton("Add step")
        self.save_button = QPushButton("Save step")
        self.save_button.setDefault(True)
        self.up_button = QPushButton("Earlier")
        self.up_button.setToolTip("Move the step one place earlier (it takes that step's day)")
        self.down_button = QPushButton("Later")
        self.down_button.setToolTip("Move the step one place later (it takes that step's day)")
        self.up_button.clicked.connect(lambda: self.move_requested.emit(True))
        self.down_button.clicked.connect(lambda: self.move_requested.emit(False))
        self.remove_button.clicked.connect(self.remove_requested)
        self.add_button.clicked.connect(self.add_requested)
        self.save_button.clicked.connect(self.save_requested)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.up_button)
        buttons.addWidget(self.down_button)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.save_button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(8)
        outer.addLayout(form)
        outer.addLayout(buttons)
        self._shown: StepInfo | None = None
        self._shown_offset = ""
        self.apply_theme()

    def apply_theme(self) -> None:
        for button, name in (
            (self.remove_button, "delete-outline"),
            (self.add_button, "plus"),
            (self.up_button, "arrow-up"),
            (self.down_button, "arrow-down"),
        ):
            button.setIcon(theme.icon(name))

    def show_step(self, step: StepInfo | None) -> None:
        self._shown = step
        self.offset.setValue(step.offset_days if step else 0)
        self._shown_offset = self.offset.text()
        self.channel.setCurrentIndex(max(self.channel.findData(step.channel if step else ""), 0))
        self.subject.setText(step.subject or "" if step else "")
        self.template.setPlainText(step.template or "" if step else "")

    def values(self) -> dict[str, Any]:
        return {
            "offset_days": float(self.offset.value()),
            "channel": self.channel.currentData(),
            "subject": self.subject.text().strip(),
            "template": self.template.toPlainText().strip(),
        }

    def changed_values(self) -> dict[str, Any]:
        """What the user changed in the shown step (an untouched offset is not rounded)."""
        values = self.values()
        step = self._shown
        if step is None:
            return values
        if self.offset.text() == self._shown_offset:
            del values["offset_days"]
        if values["channel"] == step.channel:
            del values["channel"]
        if values["subject"] == (step.subject or ""):
            del values["subject"]
        if values["template"] == (step.template or "").strip():
            del values["template"]
        return values


class CadenceEditor(QDialog):
    """Cadences on the left, the chosen one's steps and the step form on the right."""

    loaded = Signal()
    saved = Signal(str)  # what was saved, once the store has it

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Cadences")
        self.resize(820, 700)
        self.editable = ctx.can(Perm.SETTINGS_EDIT)
        self._cadences: list[CadenceInfo] = []

        self.note = QLabel(READ_ONLY_NOTE)
        self.note.setObjectName("Secondary")
        self.note.setVisible(not self.editable)

        self.cadence_list = QListWidget()
        self.cadence_list.setFixedWidth(200)
        self.cadence_list.setSpacing(2)
        self.cadence_list.currentRowChanged.connect(self._show_cadence)

        self.steps = QTableWidget(0, 3)
        self.steps.setHorizontalHeaderLabels(["When", "Channel", "Subject"])
        self.steps.verticalHeader().hide()
        self.steps.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.steps.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.steps.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.steps.currentCellChanged.connect(lambda *_a: self._show_step())

        self.step_form = StepForm()
        self.step_form.save_requested.connect(self.save_step)
        self.step_form.add_requested.connect(self.add_step)
        self.step_form.remove_requested.connect(self.remove_step)
        self.step_form.move_requested.connect(self.move_step)
        self.preview = QLabel()
        self.preview.setObjectName("Secondary")
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.preview.setMinimumHeight(96)
        # The timers live on the Response page: the link brings it forward and closes this.
        self.response_link = QPushButton(RESPONSE_LINK)
        self.response_link.setFlat(True)
        self.response_link.setCursor(Qt.CursorShape.PointingHandCursor)
        self.response_link.setToolTip(
            "Each tier's first-response window, the escalation and each stage's stale limit "
            "are set on the Response page (Ctrl+7)"
        )
        self.response_link.clicked.connect(self.show_response_page)

        right = QVBoxLayout()
        right.setSpacing(12)
        right.addWidget(self.steps, 1)
        right.addWidget(self.step_form)
        right.addWidget(self.preview)
        body = QHBoxLayout()
        body.setSpacing(16)
        body.addWidget(self.cadence_list)
        body.addLayout(right, 1)

        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.response_link)
        bottom.addSpacing(8)
        bottom.addWidget(self.note)
        bottom.addStretch(1)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addLayout(body, 1)
        layout.addLayout(bottom)

        self.step_form.setEnabled(self.editable)
        ctx.events.changed.connect(self._on_changed)
        self.apply_theme()
        theme.on_change(self.apply_theme)
        self.reload()

    def apply_theme(self) -> None:
        """Icons in the current palette (View → Theme switches it live)."""
        self.step_form.apply_theme()
        self.response_link.setIcon(theme.icon("timer-outline"))

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.ctx.tasks.submit(
            cadence_overview, on_done=self._on_loaded, key=f"cadence-editor:{id(self)}"
        )

    def _on_changed(self, changes: Changes) -> None:
        if changes.settings or changes.followups:
            self.reload()

    def _on_loaded(self, loaded: CadenceOverview) -> None:
        current = self.current_cadence()
        step = self.current_step()
        self._cadences = loaded.cadences
        self.cadence_list.blockSignals(True)
        self.cadence_list.clear()
        for c in loaded.cadences:
            item = QListWidgetItem(f"{c.name}\n{c.tier or 'Any tier'} · {len(c.steps)} steps")
            item.setData(Qt.ItemDataRole.UserRole, c.id)
            self.cadence_list.addItem(item)
        self.cadence_list.blockSignals(False)
        row = next((i for i, c in enumerate(loaded.cadences) if current and c.id == current.id), 0)
        if loaded.cadences:
            self.cadence_list.setCurrentRow(row)
            self._show_cadence(row, keep_step=step.id if step else None)
        self.loaded.emit()

    # -- showing ---------------------------------------------------------------------------
    def current_cadence(self) -> CadenceInfo | None:
        row = self.cadence_list.currentRow()
        return self._cadences[row] if 0 <= row < len(self._cadences) else None

    def current_step(self) -> StepInfo | None:
        cadence = self.current_cadence()
        row = self.steps.currentRow()
        if cadence is None or not 0 <= row < len(cadence.steps):
            return None
        return cadence.steps[row]

    def _show_cadence(self, row: int, keep_step: int | None = None) -> None:
        cadence = self._cadences[row] if 0 <= row < len(self._cadences) else None
        steps = cadence.steps if cadence else []
        self.steps.setRowCount(len(steps))
        for i, st in enumerate(steps):
            channel = CHANNEL_LABELS.get(st.channel, st.channel.title())
            for col, text in enumerate((step_day(st.offset_days), channel, st.subject)):
                self.steps.setItem(i, col, QTableWidgetItem(text or ""))
        wanted = next((i for i, st in enumerate(steps) if st.id == keep_step), 0)
        if steps:
            self.steps.setCurrentCell(wanted, 0)
        self._show_step()

    def _show_step(self) -> None:
        step = self.current_step()
        self.step_form.show_step(step)
        self.step_form.save_button.setEnabled(step is not None)
        self.step_form.remove_button.setEnabled(step is not None)
        row = self.steps.currentRow()
        self.step_form.up_button.setEnabled(step is not None and row > 0)
        self.step_form.down_button.setEnabled(step is not None and row < self.steps.rowCount() - 1)
        self.preview.setText("")
        if step is not None:
            self.ctx.tasks.submit(
                lambda session: preview_step(session, step.id),
                on_done=self._show_preview,
                on_error=lambda error: self.preview.setText(error.message),
                key=f"step-preview:{id(self)}",
            )

    def _show_preview(self, preview: StepPreview) -> None:
        step = self.current_step()
        if step is None:
            return
        body = preview.body if len(preview.body) < 600 else preview.body[:600] + "…"
        self.preview.setText(
            f"Preview on {preview.lead_name}:\n{preview.subject}\n\n{body}".rstrip()
        )

    # -- actions: one API call each --------------------------------------------------------
    def save_step(self) -> None:
        step = self.current_step()
        changes = self.step_form.changed_values()
        if step is None or not changes:
            return
        run_op(
            self.ctx,
            fu_api.update_step,
            step.id,
            **changes,
            on_done=lambda s: self.saved.emit(f"Step saved: {s.subject}."),
            parent=self,
        )

    def add_step(self) -> None:
        cadence = self.current_cadence()
        if cadence is None:
            return
        values = self.step_form.values()
        last = max((st.offset_days for st in cadence.steps), default=0.0)
        offset = values["offset_days"] if values["offset_days"] > last else last + 1
        run_op(
            self.ctx,
            fu_api.add_step,
            cadence.id,
            offset,
            values["channel"],
            values["subject"] or "Follow up",
            values["template"],
            on_done=lambda s: self.saved.emit(f"Step added: {s.subject}."),
            parent=self,
        )

    def remove_step(self) -> None:
        step = self.current_step()
        if step is None:
            return
        run_op(
            self.ctx,
            fu_api.remove_step,
            step.id,
            on_done=lambda _id: self.saved.emit(f"Step removed: {step.subject}."),
            parent=self,
        )

    def move_step(self, up: bool) -> None:
        step = self.current_step()
        if step is None:
            return
        run_op(
            self.ctx,
            fu_api.move_step,
            step.id,
            up,
            on_done=lambda _s: self.saved.emit(f"Step moved: {step.subject}."),
            parent=self,
        )

    def show_response_page(self) -> None:
        """Bring the Response page forward (the window's page switch) and close the editor."""
        self.ctx.events.show_page.emit("response")
        self.accept()
