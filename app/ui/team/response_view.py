"""The Response and follow-up page: each tier's first-response window, the escalation, the
working day, re-engagement and nurture, and each stage's stale limit, saved together through
`settings.set_settings` (all or nothing; a bad value is the service's one line). The windows
and timers are edited here only (the Calendar's cadence editor links here; Pipeline's stage
editor also sets a stage's stale limit). The cadence editor opens from here. Managers and the
owner edit; reps read it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.changes import Changes
from app.services.followups.settings import ESCALATION_ACTIONS
from app.services.settings import api as settings_api
from app.services.timers.windows import TIERS, ResponseWindows
from app.ui.calendar.cadence_editor import CadenceEditor
from app.ui.context import AppContext
from app.ui.ops import run_op

STALE = settings_api.STALE
# The escalation and working-day settings shown here: (key, label, unit).
_FIELDS: list[tuple[str, str, str]] = [
    ("missed_window_hours", "A follow-up counts as missed after", "hours"),
    ("missed_escalation_count", "Escalate after", "missed follow-ups"),
    ("work_timezone", "Working day time zone", ""),
    ("work_start_hour", "Working day starts at", "o'clock"),
    ("work_end_hour", "Working day ends at", "o'clock"),
]
# Re-engagement and nurture: (key, label, unit).
_LATER_FIELDS: list[tuple[str, str, str]] = [
    ("dormant_days", "Re-engage a lead untouched for", "days"),
    ("nurture_grace_days", "Wait for a reply after the last step", "days"),
    ("nurture_revisit_days", "Revisit a nurtured lead after", "days"),
]
ESCALATION_LABELS = {"alert": "Alert the manager", "reassign": "Reassign the lead"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


def _secondary(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("secondary", True)
    label.setWordWrap(True)
    return label


def _edit(width: int = 90) -> QLineEdit:
    edit = QLineEdit()
    edit.setFixedWidth(width)
    return edit


class ResponseView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.values: dict[str, Any] | None = None  # as the service last returned them
        self.editor: CadenceEditor | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(12)
        top = QHBoxLayout()
        title = QLabel("Response and follow-up")
        title.setObjectName("ViewTitle")
        top.addWidget(title)
        top.addStretch(1)
        self.status = _secondary()
        self.status.setWordWrap(False)
        top.addWidget(self.status)
        self.cadences_button = QPushButton("Cadences…")
        self.cadences_button.setToolTip("Add, remove, reorder and edit the steps of each cadence")
        self.save_button = QPushButton("Save settings")
        self.save_button.setProperty("primary", True)
        top.addWidget(self.cadences_button)
        top.addWidget(self.save_button)
        layout.addLayout(top)
        self.note = _secondary()
        layout.addWidget(self.note)

        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(24)
        grid.addWidget(self._windows_box(), 0, 0)
        grid.addWidget(self._escalation_box(), 1, 0)
        grid.addWidget(self._stale_box(), 0, 1)
        grid.addWidget(self._later_box(), 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(2, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)

        self.save_button.clicked.connect(self.save)
        self.cadences_button.clicked.connect(self.open_cadences)
        ctx.events.changed.connect(self._on_changed)
        ctx.events.user_changed.connect(lambda _u: self._update_editable())
        self._update_editable()
        self.refresh()

    # -- building -----------------------------------------------------------------------------
    def _windows_box(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.addWidget(_heading("First response, per tier"), 0, 0, 1, 4)
        for col, text in enumerate(("Tier", "Minutes", "", "The inbox countdown shows")):
            label = _secondary(text)
            label.setWordWrap(False)
            grid.addWidget(label, 1, col)
        self.minutes: dict[str, QLineEdit] = {}
        self.same_day: dict[str, QCheckBox] = {}
        self.described: dict[str, QLabel] = {}
        for row, tier in enumerate(TIERS, start=2):
            grid.addWidget(QLabel(tier), row, 0)
            self.minutes[tier] = _edit()
            self.minutes[tier].setToolTip("Minutes from when the lead came in (0: no window)")
            self.same_day[tier] = QCheckBox("Same business day")
            self.described[tier] = QLabel()
            self.described[tier].setWordWrap(True)
            self.described[tier].setMinimumWidth(150)
            grid.addWidget(self.minutes[tier], row, 1)
            grid.addWidget(self.same_day[tier], row, 2)
            grid.addWidget(self.described[tier], row, 3)
            self.minutes[tier].textChanged.connect(self._describe)
            self.same_day[tier].toggled.connect(self._describe)
        grid.setColumnStretch(3, 1)
        grid.addWidget(
            _secondary(
                "The same windows drive the inbox countdown, the overdue alerts and the "
                "reports. A lead still not contacted a second window later goes to the manager."
            ),
            len(TIERS) + 2,
            0,
            1,
            4,
        )
        return box

    def _escalation_box(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.addWidget(_heading("Escalation and the working day"), 0, 0, 1, 3)
        self.fields: dict[str, QLineEdit] = {}
        row = 1
        for key, label, unit in _FIELDS:
            self.fields[key] = _edit(160 if key == "work_timezone" else 90)
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(self.fields[key], row, 1)
            unit_label = _secondary(unit)
            unit_label.setWordWrap(False)
            grid.addWidget(unit_label, row, 2)
            row += 1
            if key == "missed_escalation_count":
                self.action = QComboBox()
                for action in ESCALATION_ACTIONS:
                    self.action.addItem(ESCALATION_LABELS.get(action, action), action)
                grid.addWidget(QLabel("Then"), row, 0)
                grid.addWidget(self.action, row, 1, 1, 2, Qt.AlignmentFlag.AlignLeft)
                row += 1
        grid.setColumnStretch(2, 1)
        return box

    def _later_box(self) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(8)
        grid.addWidget(_heading("Re-engagement and nurture"), 0, 0, 1, 3)
        for row, (key, label, unit) in enumerate(_LATER_FIELDS, start=1):
            self.fields[key] = _edit(70)
            grid.addWidget(QLabel(label), row, 0)
            grid.addWidget(self.fields[key], row, 1)
            unit_label = _secondary(unit)
            unit_label.setWordWrap(False)
            grid.addWidget(unit_label, row, 2)
        grid.setColumnStretch(2, 1)
        grid.setRowStretch(len(_LATER_FIELDS) + 1, 1)
        return box

    def _stale_box(self) -> QWidget:
        box = QWidget()
        self.stale_grid = QGridLayout(box)
        self.stale_grid.setContentsMargins(0, 0, 0, 0)
        self.stale_grid.setHorizontalSpacing(12)
        self.stale_grid.setVerticalSpacing(8)
        self.stale_grid.addWidget(_heading("Stale limits, per stage"), 0, 0, 1, 3)
        self.stale_grid.addWidget(
            _secondary("A lead untouched this long in the stage is flagged stale. Blank: never."),
            1,
            0,
            1,
            3,
        )
        self.stale_grid.setColumnStretch(2, 1)
        self.stale: dict[str, QLineEdit] = {}
        self._stale_widgets: list[QWidget] = []  # the rows above, rebuilt when stages change
        return box

    # -- reading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        run_op(self.ctx, settings_api.show_settings, on_done=self._loaded, key="response-settings")

    def activate(self) -> None:
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.settings or changes.all_leads:
            self.refresh()

    def _loaded(self, values: dict[str, Any]) -> None:
        self.values = values
        for tier in TIERS:
            self.minutes[tier].setText(_text(values.get(f"sla_minutes.{tier}")))
            self.same_day[tier].setChecked(tier in values.get("same_day_tiers", []))
        for key, edit in self.fields.items():
            edit.setText(_text(values.get(key)))
        self.action.setCurrentIndex(
            max(self.action.findData(values["missed_escalation_action"]), 0)
        )
        stages = [k.partition(".")[2] for k in values if k.startswith(f"{STALE}.")]
        if list(self.stale) != stages:
            for widget in self._stale_widgets:
                self.stale_grid.removeWidget(widget)
                widget.deleteLater()
            self.stale = {}
            self._stale_widgets = []
            for row, stage in enumerate(stages, start=2):
                self.stale[stage] = _edit(70)
                unit = _secondary("hours")
                unit.setWordWrap(False)
                widgets = (QLabel(stage), self.stale[stage], unit)
                for col, widget in enumerate(widgets):
                    self.stale_grid.addWidget(widget, row, col)
                self._stale_widgets.extend(widgets)
            self.stale_grid.setRowStretch(len(stages) + 2, 1)
        for stage, edit in self.stale.items():
            edit.setText(_text(values.get(f"{STALE}.{stage}")))
        self._update_editable()
        self._describe()

    def _describe(self) -> None:
        """Each tier's window in words, as the countdown will use it once saved."""
        minutes = {}
        for tier, edit in self.minutes.items():
            text = edit.text().strip()
            minutes[tier] = int(text) if text.isdigit() else 0
        windows = ResponseWindows(
            minutes, [t for t, box in self.same_day.items() if box.isChecked()]
        )
        for tier, label in self.described.items():
            text = windows.describe(tier)
            label.setText(text[0].upper() + text[1:])
            self.minutes[tier].setEnabled(self.editable and not self.same_day[tier].isChecked())

    # -- editing ------------------------------------------------------------------------------
    @property
    def editable(self) -> bool:
        return self.ctx.can(Perm.SETTINGS_EDIT)

    def _update_editable(self) -> None:
        editable = self.editable
        self.save_button.setVisible(editable)
        edits = [*self.minutes.values(), *self.fields.values(), *self.stale.values()]
        for edit in edits:
            edit.setReadOnly(not editable)
        for box in self.same_day.values():
            box.setEnabled(editable)
        self.action.setEnabled(editable)
        self.note.setText(
            "Changes apply to every lead from the next sweep; all are saved together or none."
            if editable
            else "Read-only: only a manager or the owner can change these settings."
        )

    def pairs(self) -> dict[str, str]:
        """KEY=VALUE for every setting the user changed, as `leadgate settings set` takes."""
        values = self.values or {}
        typed: dict[str, str] = {}
        for tier in TIERS:
            typed[f"sla_minutes.{tier}"] = self.minutes[tier].text()
        typed.update({key: edit.text() for key, edit in self.fields.items()})
        typed["missed_escalation_action"] = str(self.action.currentData())
        typed.update({f"{STALE}.{stage}": edit.text() for stage, edit in self.stale.items()})
        out = {k: v.strip() for k, v in typed.items() if v.strip() != _text(values.get(k))}
        out.update({k: "none" for k, v in out.items() if k.startswith(f"{STALE}.") and not v})
        same_day = [t for t in TIERS if self.same_day[t].isChecked()]
        if same_day != [t for t in TIERS if t in values.get("same_day_tiers", [])]:
            out["same_day_tiers"] = ",".join(same_day)
        return out

    def save(self) -> None:
        if not self.editable:
            return
        pairs = self.pairs()
        if not pairs:
            self.status.setText("Nothing changed.")
            return
        run_op(
            self.ctx,
            settings_api.set_settings,
            pairs,
            on_done=lambda _v: self.status.setText("Saved."),
            parent=self,
        )

    def open_cadences(self) -> CadenceEditor:
        self.editor = CadenceEditor(self.ctx, self)
        self.editor.open()
        return self.editor
