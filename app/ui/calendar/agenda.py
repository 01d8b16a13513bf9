"""The selected day's agenda: its follow-ups, newest state first, or what to do when empty."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QListView,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.followups.planned import FollowUp
from app.ui.calendar.delegates import FollowupDelegate
from app.ui.calendar.model import FollowupListModel


def day_summary(rows: list[FollowUp], now: datetime) -> str:
    """ "3 planned · 1 overdue · 2 done" (or "Nothing open")."""
    planned = sum(1 for r in rows if r.status == "planned")
    overdue = sum(1 for r in rows if r.is_overdue(now))
    parts = [f"{planned} planned" if planned else "Nothing open"]
    if overdue:
        parts.append(f"{overdue} overdue")
    done = len(rows) - planned
    if done:
        parts.append(f"{done} done")
    return " · ".join(parts)


class AgendaPanel(QFrame):
    item_clicked = Signal(QModelIndex)
    item_double_clicked = Signal(QModelIndex)
    current_changed = Signal(QModelIndex)
    reschedule_requested = Signal(int, object)  # activity id, date (a drop on the agenda)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AgendaPanel")  # styled by the theme
        self.setFixedWidth(300)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        self.day_title = QLabel()
        self.day_title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.day_count = QLabel()
        self.day_count.setProperty("secondary", True)
        layout.addWidget(self.day_title)
        layout.addWidget(self.day_count)
        self.model = FollowupListModel(self)
        self.model.reschedule_requested.connect(self.reschedule_requested)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(FollowupDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setMouseTracking(True)
        self.list.setSpacing(1)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.clicked.connect(self.item_clicked)
        self.list.doubleClicked.connect(self.item_double_clicked)
        self.list.selectionModel().currentChanged.connect(
            lambda current, _previous: self.current_changed.emit(current)
        )
        self.empty = QLabel(
            "Nothing planned for this day.\nPick another day, or drag a "
            "follow-up here from the week view."
        )
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setProperty("secondary", True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)

    def show_day(self, day: date, rows: list[FollowUp], now: datetime) -> None:
        self.model.set_rows(rows, now, day)
        self.day_title.setText(f"{day:%A} {day.day} {day:%B}")
        self.day_count.setText(day_summary(rows, now))
        self.stack.setCurrentIndex(0 if rows else 1)

    def select_activity(self, activity_id: int) -> QModelIndex | None:
        row = self.model.row_of(activity_id)
        if row < 0:
            return None
        index = self.model.index(row)
        self.list.setCurrentIndex(index)
        return index
