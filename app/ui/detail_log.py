"""Log a call / e-mail / meeting / LinkedIn: a small dialog (outcome, note, "Schedule next"),
never a blind one-click; and the session's journal of logs, so the last one can be undone."""

from __future__ import annotations

from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from PySide6.QtCore import QDate, QDateTime, QObject, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.activities import api as activities_api
from app.services.activities.core import (
    CHANNEL_WORDS,
    CHANNELS,
    NEXT_TYPES,
    OUTCOME_WORDS,
    OUTCOMES,
    Logged,
    Outcome,
)
from app.services.errors import StaleError
from app.ui import theme
from app.ui.context import AppContext, AppEvents
from app.ui.ops import run_op, show_error
from app.ui.workers import TaskError

CHANNEL_ICONS = {
    "call": "phone-outline",
    "email": "email-outline",
    "meeting": "account-group-outline",
    "linkedin": "linkedin",
    "task": "checkbox-marked-outline",
    "note": "note-text-outline",
}
NEXT_WORDS = {**CHANNEL_WORDS, "task": "To-do"}
# "Schedule next" presets: label -> (days ahead, hour); None is "pick a time".
PRESETS: list[tuple[str, tuple[int, int] | None]] = [
    ("Tomorrow 9:00", (1, 9)),
    ("In 2 days, 9:00", (2, 9)),
    ("In 3 days, 9:00", (3, 9)),
    ("Next week, 9:00", (7, 9)),
    ("Pick a time…", None),
]


class LogJournal(QObject):
    """This session's logs, newest last: what "Undo last log" takes back."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.logs: list[Logged] = []

    def add(self, logged: Logged) -> None:
        self.logs.append(logged)
        self.changed.emit()

    def last_for(self, lead_id: int) -> Logged | None:
        return next((x for x in reversed(self.logs) if x.lead_id == lead_id), None)

    def drop(self, activity_id: int) -> None:
        self.logs = [x for x in self.logs if x.activity_id != activity_id]
        self.changed.emit()


_journals: WeakKeyDictionary[AppEvents, LogJournal] = WeakKeyDictionary()


def journal(ctx: AppContext) -> LogJournal:
    """The window's journal of logs (one per app context)."""
    found = _journals.get(ctx.events)
    if found is None:
        found = _journals[ctx.events] = LogJournal()
    return found


def preset_time(now: datetime, days: int, hour: int) -> datetime:
    """`days` ahead at `hour` local time (a weekend pushed to Monday)."""
    local = (now.astimezone() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )
    while local.weekday() >= 5:
        local += timedelta(days=1)
    return local


class LogActivityDialog(QDialog):
    """Channel, outcome and note; optionally the next step. One API call on "Log"."""

    logged = Signal(object)  # Logged

    def __init__(
        self,
        ctx: AppContext,
        lead_id: int,
        lead_name: str,
        channel: str = "call",
        version: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.lead_id = lead_id
        self.version = version
        self.setWindowTitle(f"Log activity · {lead_name}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        title = QLabel(f"What happened with {lead_name}?")
        title.setObjectName("ViewTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.channel = QComboBox()
        for ch in CHANNELS:
            self.channel.addItem(theme.icon(CHANNEL_ICONS[ch]), CHANNEL_WORDS[ch], ch)
        form.addRow("Activity", self.channel)
        self.outcome = QComboBox()
        form.addRow("Outcome", self.outcome)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("What was said, what comes next (optional)")
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(72)
        form.addRow("Note", self.note)
        self.schedule = QCheckBox("Schedule next")
        form.addRow("", self.schedule)
        self.next_kind = QComboBox()
        for kind in NEXT_TYPES:
            self.next_kind.addItem(theme.icon(CHANNEL_ICONS[kind]), NEXT_WORDS[kind], kind)
        form.addRow("Next", self.next_kind)
        self.preset = QComboBox()
        for label, spec in PRESETS:
            self.preset.addItem(label, spec)
        form.addRow("When", self.preset)
        self.when = QDateTimeEdit()
        self.when.setCalendarPopup(True)
        self.when.setDisplayFormat("ddd dd MMM yyyy  HH:mm")
        now = ctx.clock.now().astimezone()
        self.when.setMinimumDateTime(
            QDateTime(QDate(now.year, now.month, now.day), QTime(now.hour, now.minute))
        )
        form.addRow("", self.when)
        self.form = form
        layout.addLayout(form)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.ok = QPushButton()
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.submit)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)

        self.channel.currentIndexChanged.connect(self._channel_changed)
        self.outcome.currentIndexChanged.connect(self._outcome_changed)
        self.schedule.toggled.connect(self._update)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.channel.setCurrentIndex(max(0, self.channel.findData(channel)))
        self._channel_changed()
        self._preset_changed()
        self._update()

    # -- state ------------------------------------------------------------------------------
    def _channel_changed(self) -> None:
        ch = self.channel.currentData()
        self.outcome.blockSignals(True)
        self.outcome.clear()
        for code in OUTCOMES[ch]:
            self.outcome.addItem(OUTCOME_WORDS[code], code.value)
        self.outcome.blockSignals(False)
        self.next_kind.setCurrentIndex(max(0, self.next_kind.findData(ch)))
        self.ok.setText(f"Log {CHANNEL_WORDS[ch].lower() if ch != 'linkedin' else 'LinkedIn'}")
        self._outcome_changed()

    def _outcome_changed(self) -> None:
        code = self.outcome.currentData()
        if code == Outcome.MEETING_BOOKED:
            self.next_kind.setCurrentIndex(self.next_kind.findData("meeting"))
            self.schedule.setChecked(True)
        elif code in (Outcome.LEFT_VOICEMAIL, Outcome.NO_ANSWER, Outcome.CALL_BACK_LATER):
            self.schedule.setChecked(True)

    def _preset_changed(self) -> None:
        spec = self.preset.currentData()
        if spec is not None:
            days, hour = spec
            when = preset_time(self.ctx.clock.now(), days, hour)
            d = when.date()
            self.when.setDateTime(
                QDateTime(QDate(d.year, d.month, d.day), QTime(when.hour, when.minute))
            )
        self._update()

    def _update(self) -> None:
        on = self.schedule.isChecked()
        self.form.setRowVisible(self.next_kind, on)
        self.form.setRowVisible(self.preset, on)
        self.form.setRowVisible(self.when, on and self.preset.currentData() is None)
        self.adjustSize()

    def next_at(self) -> datetime | None:
        if not self.schedule.isChecked():
            return None
        d, t = self.when.date(), self.when.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()).astimezone()

    # -- action -----------------------------------------------------------------------------
    def submit(self) -> None:
        self.ok.setEnabled(False)
        self.error.hide()
        next_at = self.next_at()
        run_op(
            self.ctx,
            activities_api.log_activity,
            self.lead_id,
            self.channel.currentData(),
            self.outcome.currentData(),
            note=self.note.toPlainText().strip() or None,
            next_at=next_at,
            next_kind=self.next_kind.currentData() if next_at else None,
            expected_version=self.version,
            on_done=self._done,
            on_error=self._failed,
            parent=self,
        )

    def _done(self, logged: Logged) -> None:
        journal(self.ctx).add(logged)
        words = f"{CHANNEL_WORDS[logged.channel]} logged ({OUTCOME_WORDS[logged.outcome]})"
        if logged.next_due_at is not None:
            local = logged.next_due_at.astimezone()
            words += f"; next step {local:%a %d %b %H:%M}"
        self.ctx.events.status_message.emit(words + ".")
        self.logged.emit(logged)
        self.accept()

    def _failed(self, error: TaskError) -> None:
        self.ok.setEnabled(True)
        if isinstance(error.exception, StaleError):
            show_error(self, error, "Someone else changed this lead")
        self.error.setText(error.message)
        self.error.show()


def undo_last_log(ctx: AppContext, lead_id: int, parent: QWidget | None = None) -> bool:
    """Take back this session's last log on the lead (one API call); False if there is none."""
    last = journal(ctx).last_for(lead_id)
    if last is None:
        return False

    def done(_lead_id: int) -> None:
        journal(ctx).drop(last.activity_id)
        ctx.events.status_message.emit(f"Took back the {CHANNEL_WORDS[last.channel].lower()}.")

    run_op(ctx, activities_api.undo_log, last.activity_id, on_done=done, parent=parent)
    return True
