"""New follow-up from the calendar: pick the lead (search), the kind, the day and time.
One API call (activities.api.schedule_followup); the calendar reloads from the broadcast."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt, QTime, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.services.activities import api as activities_api
from app.services.activities.core import NEXT_TYPES
from app.services.leads.queries import LeadFilter, LeadRow, LeadSort, list_leads
from app.ui import theme
from app.ui.common.rows_model import RowsModel
from app.ui.context import AppContext
from app.ui.detail_log import CHANNEL_ICONS, NEXT_WORDS
from app.ui.ops import run_op
from app.ui.workers import TaskError

MATCHES = 8


class NewFollowupDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        day: date,
        lead: tuple[int, str] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.created_id: int | None = None
        self.setWindowTitle("New follow-up")
        self.setMinimumWidth(460)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        title = QLabel(f"Plan a follow-up on {day:%A} {day.day} {day:%B}")
        title.setObjectName("ViewTitle")
        layout.addWidget(title)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Type a name, company or e-mail")
        self.search.setClearButtonEnabled(True)
        form.addRow("Lead", self.search)
        self.match_model = RowsModel(("Lead",), self)
        self.matches = QListView()
        self.matches.setModel(self.match_model)
        self.matches.setFixedHeight(120)
        form.addRow("", self.matches)
        self.kind = QComboBox()
        for kind in NEXT_TYPES:
            self.kind.addItem(theme.icon(CHANNEL_ICONS[kind]), NEXT_WORDS[kind], kind)
        form.addRow("Kind", self.kind)
        when = QHBoxLayout()
        when.setSpacing(8)
        self.day = QDateEdit(QDate(day.year, day.month, day.day))
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("ddd dd MMM yyyy")
        self.time = QTimeEdit(QTime(9, 0))
        self.time.setDisplayFormat("HH:mm")
        when.addWidget(self.day, 1)
        when.addWidget(self.time)
        form.addRow("When", when)
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("Optional, e.g. Send the pricing sheet")
        form.addRow("Subject", self.subject)
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
        self.ok = QPushButton("Plan follow-up")
        self.ok.setProperty("primary", True)
        self.ok.clicked.connect(self.submit)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self.find_leads)
        self.search.textEdited.connect(lambda _t: self._debounce.start())
        self.matches.selectionModel().currentChanged.connect(lambda *_: self._update())
        if lead is not None:
            self._fill([(lead[0], lead[1])])
        self._update()

    def find_leads(self) -> None:
        text = self.search.text().strip()

        def work(session: Session) -> list[LeadRow]:
            flt = LeadFilter(text=text, status="open")
            return list_leads(session, flt, LeadSort("score", True), limit=MATCHES)

        self.ctx.tasks.submit(
            work,
            on_done=lambda rows: self._fill(
                [(r.id, f"{r.name} · {r.company}" if r.company else r.name) for r in rows]
            ),
            key=f"new-followup:{id(self)}",
        )

    def _fill(self, rows: list[tuple[int, str]]) -> None:
        self.match_model.set_rows([(label,) for _id, label in rows], [i for i, _l in rows])
        if rows:
            self.matches.setCurrentIndex(self.match_model.index(0, 0))
        self._update()

    def lead_id(self) -> int | None:
        lead_id = self.match_model.data(self.matches.currentIndex(), Qt.ItemDataRole.UserRole)
        return int(lead_id) if lead_id is not None else None

    def due_at(self) -> datetime:
        d, t = self.day.date(), self.time.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute()).astimezone()

    def _update(self) -> None:
        self.ok.setEnabled(self.lead_id() is not None)

    def submit(self) -> None:
        lead_id = self.lead_id()
        if lead_id is None:
            return
        self.ok.setEnabled(False)
        self.error.hide()
        run_op(
            self.ctx,
            activities_api.schedule_followup,
            lead_id,
            self.kind.currentData(),
            self.due_at(),
            self.subject.text().strip() or None,
            on_done=self._done,
            on_error=self._failed,
            parent=self,
        )

    def _done(self, activity_id: int) -> None:
        self.created_id = activity_id
        self.ctx.events.status_message.emit("Follow-up planned.")
        self.accept()

    def _failed(self, error: TaskError) -> None:
        self.ok.setEnabled(True)
        self.error.setText(error.message)
        self.error.show()
