"""The current follow-up and what can be done with it: open, skip, done (with an outcome)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QSizePolicy, QWidget

from app.services.followups.days import local_time, outcomes_for
from app.services.followups.planned import FollowUp
from app.ui import theme
from app.ui.calendar.model import TYPE_LABELS, type_icon

OPEN_LABELS = {"email": "Write email", "linkedin": "Open LinkedIn", "call": "Call"}


def describe(f: FollowUp, now: datetime, *, with_owner: bool) -> str:
    """One line: kind and lead, state, due time, subject (and owner when several are shown)."""
    due = local_time(f.due_at) if f.due_at else None
    parts = [
        f"{TYPE_LABELS.get(f.type, f.type)} · {f.lead_name}"
        + (f" ({f.company})" if f.company else ""),
        due.strftime("%a %d %b %H:%M") if due else "",
        "" if f.subject == TYPE_LABELS.get(f.type) else (f.subject or ""),
    ]
    if f.owner_name and with_owner:
        parts.append(f.owner_name)
    if f.is_overdue(now):
        parts.insert(1, "Overdue")
    elif f.status != "planned":
        parts.insert(1, f"{f.status.title()}: {f.outcome or ''}")
    return "   ·   ".join(p for p in parts if p)


class ActionBar(QFrame):
    open_requested = Signal()
    skip_requested = Signal()
    done_requested = Signal(str)  # the outcome
    other_outcome_requested = Signal()
    reply_requested = Signal()
    new_requested = Signal()  # plan a new follow-up on the chosen day

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ActionBar")  # styled by the theme
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        row.setSpacing(8)
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.detail.setProperty("secondary", True)
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_requested)
        self.done_button = QPushButton("Done")
        self.done_button.setProperty("primary", True)
        self.done_menu = QMenu(self)
        self.done_button.setMenu(self.done_menu)
        self.skip_button = QPushButton("Skip")
        self.skip_button.clicked.connect(self.skip_requested)
        self.new_button = QPushButton("New follow-up")
        self.new_button.setToolTip(
            "Plan a follow-up on the chosen day (or double-click an empty part of a day)"
        )
        self.new_button.clicked.connect(self.new_requested)
        row.addWidget(self.new_button)
        row.addSpacing(4)
        row.addWidget(self.icon)
        row.addWidget(self.detail, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.skip_button)
        row.addWidget(self.done_button)
        self.apply_theme()
        self.show_followup(None, None)

    def apply_theme(self) -> None:
        """The buttons' icons in the current palette (the view re-shows the follow-up)."""
        self.open_button.setIcon(theme.icon("open-in-new"))
        self.done_button.setIcon(theme.icon("check", theme.colors().accent_text))
        self.new_button.setIcon(theme.icon("calendar-plus"))

    def show_followup(
        self, f: FollowUp | None, now: datetime | None, *, with_owner: bool = False
    ) -> None:
        planned = f is not None and f.status == "planned"
        self.done_button.setEnabled(planned)
        self.skip_button.setEnabled(planned)
        self.open_button.setEnabled(f is not None and f.type in OPEN_LABELS)
        self.open_button.setText(OPEN_LABELS.get(f.type if f else "", "Open"))
        self.done_menu.clear()
        if f is None or now is None:
            self.detail.setText("Pick a follow-up to act on it.")
            self.detail.setToolTip("Pick a follow-up in the day list or the week to act on it.")
            self.detail.setStyleSheet("")
            self.icon.clear()
            return
        for outcome in outcomes_for(f.type):
            self.done_menu.addAction(outcome, partial(self.done_requested.emit, outcome))
        self.done_menu.addSeparator()
        self.done_menu.addAction("Other outcome…", self.other_outcome_requested.emit)
        self.done_menu.addAction(
            theme.icon("reply-outline"),
            "Lead replied: stop the cadence",
            self.reply_requested.emit,
        )
        overdue = f.is_overdue(now)
        self.detail.setText(describe(f, now, with_owner=with_owner))
        self.detail.setToolTip(f.notes or "")
        c = theme.colors()
        self.detail.setStyleSheet(f"color: {c.danger if overdue else c.text};")
        self.icon.setPixmap(type_icon(f.type, overdue).pixmap(20, 20))
