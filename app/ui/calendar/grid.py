"""The calendar grids: the month table and the week's seven day columns (drag to reschedule).

They show what the view loads and pass on clicks and drops; they never call a service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QListView,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.ui import theme
from app.ui.calendar.delegates import FollowupDelegate, MonthDelegate
from app.ui.calendar.model import FollowupListModel, MonthModel


class MonthGrid(QTableView):
    """Six weeks of days, each with its follow-up counts; a drop on a day reschedules, a
    double-click or the context menu plans a new follow-up on that day."""

    new_requested = Signal(object)  # the date

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.month_model = MonthModel(self)
        self.setModel(self.month_model)
        self.setItemDelegate(MonthDelegate(self))
        self.setShowGrid(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setHighlightSections(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        day = self.month_model.date_at(self.indexAt(event.position().toPoint()))
        super().mouseDoubleClickEvent(event)
        if day is not None and event.button() == Qt.MouseButton.LeftButton:
            self.new_requested.emit(day)

    def _menu(self, pos: QPoint) -> None:
        day = self.month_model.date_at(self.indexAt(pos))
        if day is not None:
            new_followup_menu(self, day, self.new_requested.emit).popup(
                self.viewport().mapToGlobal(pos)
            )


def new_followup_menu(parent: QWidget, day: date, create: Callable[[date], None]) -> QMenu:
    menu = QMenu(parent)
    action = menu.addAction(theme.icon("calendar-plus"), f"New follow-up on {day:%a %d %b}…")
    action.triggered.connect(lambda: create(day))
    return menu


class DayList(QListView):
    """A day's follow-ups; a double-click on the empty part asks for a new one."""

    empty_double_clicked = Signal()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if not self.indexAt(event.position().toPoint()).isValid():
            self.empty_double_clicked.emit()
            return
        super().mouseDoubleClickEvent(event)


class DayColumn(QFrame):
    """One day of the week view: a header and the day's follow-ups (drag source and target)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DayColumn")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.header = QPushButton()
        self.header.setFlat(True)
        self.header.setObjectName("DayHeader")
        self.header.setCursor(Qt.CursorShape.PointingHandCursor)
        self.model = FollowupListModel(self)
        self.list = DayList()
        self.list.setModel(self.model)
        self.list.setItemDelegate(FollowupDelegate(self.list, compact=True))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setMouseTracking(True)
        self.list.setSpacing(1)
        # Thin scroll bars (theme style sheet, QFrame#DayColumn): seven columns cannot each
        # give up 15 px.
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)

    def style_header(self, today: date, selected: date, now: datetime) -> None:
        """Date and open count; the chosen day underlined, a day with overdue work in red."""
        day = self.model.day
        if day is None:
            return
        c = theme.colors()
        rows = self.model.rows()
        planned = sum(1 for r in rows if r.status == "planned")
        overdue = sum(1 for r in rows if r.is_overdue(now))
        # narrow columns keep the date; the count stays in the tooltip
        show_count = planned and self.width() >= 120
        self.header.setText(f"{day:%a} {day.day}" + (f"  ·  {planned}" if show_count else ""))
        self.header.setToolTip(
            f"{day:%A %d %B}: {planned} planned" + (f", {overdue} overdue" if overdue else "")
        )
        chosen = day == selected
        color = c.danger if overdue else (c.accent if day == today else c.text)
        self.header.setStyleSheet(
            f"QPushButton#DayHeader {{ color: {color}; font-weight: {700 if chosen else 600};"
            " text-align: left; padding: 4px 8px; border: none; border-radius: 0;"
            f" border-bottom: 2px solid {c.accent if chosen else c.border}; }}"
        )


class WeekGrid(QFrame):
    """Seven day columns side by side."""

    header_clicked = Signal(int)  # the column (0 = Monday)
    item_clicked = Signal(QModelIndex)
    item_double_clicked = Signal(QModelIndex)
    reschedule_requested = Signal(int, object)  # activity id, date
    new_requested = Signal(object)  # a date: plan a new follow-up then

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("WeekPage")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.columns: list[DayColumn] = []
        for i in range(7):
            column = DayColumn()
            column.model.reschedule_requested.connect(self.reschedule_requested)
            column.header.clicked.connect(lambda _c=False, i=i: self.header_clicked.emit(i))
            column.list.clicked.connect(self.item_clicked)
            column.list.doubleClicked.connect(self.item_double_clicked)
            column.list.empty_double_clicked.connect(lambda c=column: self._new_on(c))
            column.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            column.list.customContextMenuRequested.connect(lambda pos, c=column: self._menu(c, pos))
            row.addWidget(column, 1)
            self.columns.append(column)

    def _new_on(self, column: DayColumn) -> None:
        if column.model.day is not None:
            self.new_requested.emit(column.model.day)

    def _menu(self, column: DayColumn, pos: QPoint) -> None:
        if column.model.day is not None:
            menu = new_followup_menu(self, column.model.day, self.new_requested.emit)
            menu.popup(column.list.viewport().mapToGlobal(pos))

    def style_headers(self, today: date, selected: date, now: datetime) -> None:
        for column in self.columns:
            column.style_header(today, selected, now)

    def select_activity(self, activity_id: int) -> QModelIndex | None:
        """Make a shown follow-up current in its column; its index, or None if not shown."""
        for column in self.columns:
            row = column.model.row_of(activity_id)
            if row >= 0:
                index = column.model.index(row)
                column.list.setCurrentIndex(index)
                return index
        return None
