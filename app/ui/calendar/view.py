"""The calendar: month and week views of follow-ups, a day agenda, drag to reschedule.

All reads and writes go through services on the task runner; the view only shows results.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.services.changes import Changes
from app.services.followups import cadence as cad
from app.services.team.users import list_users
from app.ui import theme
from app.ui.calendar.delegates import FollowupDelegate, MonthDelegate
from app.ui.calendar.model import (
    TYPE_LABELS,
    TYPE_ORDER,
    FollowupListModel,
    MonthModel,
    type_icon,
)
from app.ui.context import AppContext

SHOWN_STATUSES = ("planned", "done", "skipped")
WEEK_LIMIT = 3000  # a week of one team; more than this is not readable in columns anyway

OUTCOMES = {
    "email": ["Sent"],
    "call": ["Connected", "Left voicemail", "No answer"],
    "linkedin": ["Connection sent", "Message sent"],
    "meeting": ["Held", "No-show"],
    "task": ["Done"],
}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A local calendar day as a UTC [start, end) range (DST-aware through the system zone)."""
    start = datetime.combine(day, time()).astimezone()
    end = datetime.combine(day + timedelta(days=1), time()).astimezone()
    return start.astimezone(UTC), end.astimezone(UTC)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


class _DayColumn(QFrame):
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
        self.list = QListView()
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


class CalendarView(QWidget):
    loaded = Signal()  # a period (month or week) finished loading
    day_loaded = Signal()  # the agenda of the selected day finished loading
    changed = Signal()  # a follow-up was rescheduled, done or skipped

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.mode = "month"
        today = self.today()
        self.anchor = today
        self.selected_day = today
        self.owner_id: int | None = ctx.user.id if ctx.user.role == "rep" else None
        self._started = False
        self._users_loaded = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(8)
        outer.addLayout(self._build_header())

        body = QHBoxLayout()
        body.setSpacing(12)
        grid_box = QVBoxLayout()
        grid_box.setSpacing(6)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_month())
        self.stack.addWidget(self._build_week())
        grid_box.addWidget(self.stack, 1)
        body.addLayout(grid_box, 1)
        body.addWidget(self._build_agenda())
        outer.addLayout(body, 1)
        outer.addWidget(self._build_action_bar())
        outer.addLayout(self._build_legend())

        ctx.events.changed.connect(lambda _changes: self.reload() if self._started else None)
        ctx.events.user_changed.connect(self._on_user_changed)

    # -- building ---------------------------------------------------------------------------
    def _build_header(self) -> QHBoxLayout:
        top = QHBoxLayout()
        top.setSpacing(8)
        self.title = QLabel("Calendar")
        self.title.setObjectName("ViewTitle")
        top.addWidget(self.title)
        top.addSpacing(12)
        self.prev_button = self._tool("chevron-left", "Previous")
        self.next_button = self._tool("chevron-right", "Next")
        self.today_button = QPushButton("Today")
        self.prev_button.clicked.connect(lambda: self.shift(-1))
        self.next_button.clicked.connect(lambda: self.shift(1))
        self.today_button.clicked.connect(self.go_today)
        top.addWidget(self.today_button)
        top.addWidget(self.prev_button)
        top.addWidget(self.next_button)
        self.period = QLabel()
        self.period.setStyleSheet("font-size: 15px; font-weight: 600;")
        top.addWidget(self.period)
        top.addStretch(1)
        self.mode_group = QButtonGroup(self)
        self.month_button = QPushButton("Month")
        self.week_button = QPushButton("Week")
        for button, mode in ((self.month_button, "month"), (self.week_button, "week")):
            button.setObjectName("Chip")
            button.setMinimumWidth(64)
            button.setCheckable(True)
            button.clicked.connect(lambda _c=False, m=mode: self.set_mode(m))
            self.mode_group.addButton(button)
            top.addWidget(button)
        self.month_button.setChecked(True)
        top.addSpacing(8)
        self.rep = QComboBox()
        self.rep.setMinimumWidth(170)
        self.rep.addItem(theme.icon("account-multiple-outline"), "All reps", None)
        self.rep.setToolTip("Show the follow-ups of one rep")
        self.rep.currentIndexChanged.connect(self._on_rep_changed)
        top.addWidget(self.rep)
        self.export_button = QPushButton(theme.icon("calendar-export"), "Export .ics")
        self.export_button.setToolTip(
            "Save the shown rep's planned follow-ups as an .ics file for Outlook or Google Calendar"
        )
        self.export_button.clicked.connect(self._ask_export)
        top.addWidget(self.export_button)
        return top

    def _tool(self, icon: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(theme.icon(icon))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    def _build_month(self) -> QWidget:
        self.month_model = MonthModel(self)
        self.month_model.reschedule_requested.connect(self.reschedule)
        self.month_table = QTableView()
        self.month_table.setModel(self.month_model)
        self.month_table.setItemDelegate(MonthDelegate(self.month_table))
        self.month_table.setShowGrid(False)
        self.month_table.verticalHeader().hide()
        self.month_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.month_table.horizontalHeader().setHighlightSections(False)
        self.month_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.month_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.month_table.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.month_table.setAcceptDrops(True)
        self.month_table.setDropIndicatorShown(True)
        self.month_table.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.month_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.month_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.month_table.clicked.connect(self._on_month_clicked)
        self.month_table.activated.connect(self._on_month_clicked)
        return self.month_table

    def _build_week(self) -> QWidget:
        page = QFrame()
        page.setObjectName("WeekPage")
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.day_columns: list[_DayColumn] = []
        for i in range(7):
            column = _DayColumn()
            column.model.reschedule_requested.connect(self.reschedule)
            column.header.clicked.connect(lambda _c=False, i=i: self._on_week_header(i))
            column.list.clicked.connect(self._on_item_clicked)
            column.list.doubleClicked.connect(self._on_item_double_clicked)
            row.addWidget(column, 1)
            self.day_columns.append(column)
        return page

    def _build_legend(self) -> QHBoxLayout:
        legend = QHBoxLayout()
        legend.setSpacing(12)
        c = theme.colors()
        self.legend_texts: list[QLabel] = []
        for kind in TYPE_ORDER:
            icon = QLabel()
            icon.setPixmap(type_icon(kind).pixmap(14, 14))
            icon.setToolTip(TYPE_LABELS[kind])
            text = QLabel(TYPE_LABELS[kind])
            text.setProperty("secondary", True)
            self.legend_texts.append(text)
            pair = QHBoxLayout()
            pair.setSpacing(4)
            pair.addWidget(icon)
            pair.addWidget(text)
            legend.addLayout(pair)
        overdue = QLabel("Overdue")
        overdue.setStyleSheet(f"color: {c.danger}; font-weight: 600;")
        legend.addWidget(overdue)
        legend.addStretch(1)
        self.hint = QLabel("Drag a follow-up onto another day to reschedule it")
        self.hint.setProperty("secondary", True)
        legend.addWidget(self.hint)
        return legend

    def _build_agenda(self) -> QWidget:
        panel = QFrame()
        panel.setObjectName("AgendaPanel")  # styled by the theme
        panel.setFixedWidth(300)
        self.agenda_panel = panel
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        self.day_title = QLabel()
        self.day_title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.day_count = QLabel()
        self.day_count.setProperty("secondary", True)
        layout.addWidget(self.day_title)
        layout.addWidget(self.day_count)
        self.agenda_model = FollowupListModel(self)
        self.agenda_model.reschedule_requested.connect(self.reschedule)
        self.agenda = QListView()
        self.agenda.setModel(self.agenda_model)
        self.agenda.setItemDelegate(FollowupDelegate(self.agenda))
        self.agenda.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.agenda.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.agenda.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.agenda.setFrameShape(QFrame.Shape.NoFrame)
        self.agenda.setMouseTracking(True)
        self.agenda.setSpacing(1)
        self.agenda.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.agenda.clicked.connect(self._on_item_clicked)
        self.agenda.doubleClicked.connect(self._on_item_double_clicked)
        self.agenda.selectionModel().currentChanged.connect(self._on_agenda_current)
        self.agenda_empty = QLabel(
            "Nothing planned for this day.\nPick another day, or drag a "
            "follow-up here from the week view."
        )
        self.agenda_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.agenda_empty.setWordWrap(True)
        self.agenda_empty.setProperty("secondary", True)
        self.agenda_stack = QStackedWidget()
        self.agenda_stack.addWidget(self.agenda)
        self.agenda_stack.addWidget(self.agenda_empty)
        layout.addWidget(self.agenda_stack, 1)

        return panel

    def _build_action_bar(self) -> QWidget:
        """The current follow-up (picked in the agenda or the week) and what to do with it."""
        bar = QFrame()
        bar.setObjectName("ActionBar")  # styled by the theme
        row = QHBoxLayout(bar)
        row.setContentsMargins(12, 8, 8, 8)
        row.setSpacing(8)
        self.current_icon = QLabel()
        self.current_icon.setFixedSize(20, 20)
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.detail.setProperty("secondary", True)
        self.open_button = QPushButton(theme.icon("open-in-new"), "Open")
        self.open_button.clicked.connect(self.open_selected)
        self.done_button = QPushButton(theme.icon("check", theme.colors().accent_text), "Done")
        self.done_button.setProperty("primary", True)
        self.done_menu = QMenu(self)
        self.done_button.setMenu(self.done_menu)
        self.skip_button = QPushButton("Skip")
        self.skip_button.clicked.connect(self.skip_selected)
        row.addWidget(self.current_icon)
        row.addWidget(self.detail, 1)
        row.addWidget(self.open_button)
        row.addWidget(self.skip_button)
        row.addWidget(self.done_button)
        self._current: cad.FollowUp | None = None
        self._update_actions()
        return bar

    # -- state ------------------------------------------------------------------------------
    def today(self) -> date:
        return self.ctx.clock.now().astimezone().date()

    def activate(self) -> None:
        if not self._started:
            self._started = True
            self._load_users()
            self.reload()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        (self.month_button if mode == "month" else self.week_button).setChecked(True)
        self.stack.setCurrentIndex(0 if mode == "month" else 1)
        # the week columns already list every follow-up; the grid gets the room
        self.agenda_panel.setVisible(mode == "month")
        self.anchor = self.selected_day
        self.reload()

    def shift(self, step: int) -> None:
        if self.mode == "month":
            month = self.anchor.replace(day=1)
            y, m = divmod(month.month - 1 + step, 12)
            self.anchor = month.replace(year=month.year + y, month=m + 1)
            self.selected_day = self.anchor
        else:
            self.anchor = week_start(self.anchor) + timedelta(days=7 * step)
            self.selected_day = self.anchor
        self.reload()

    def go_today(self) -> None:
        self.anchor = self.selected_day = self.today()
        self.reload()

    def period_range(self) -> tuple[date, date]:
        if self.mode == "month":
            return self.month_model.grid_start(self.anchor), self.month_model.grid_start(
                self.anchor
            ) + timedelta(days=42)
        start = week_start(self.anchor)
        return start, start + timedelta(days=7)

    def set_owner(self, owner_id: int | None) -> None:
        index = self.rep.findData(owner_id)
        if index >= 0 and index != self.rep.currentIndex():
            self.rep.setCurrentIndex(index)  # reloads through _on_rep_changed
        else:
            self.owner_id = owner_id
            self.reload()

    def _on_rep_changed(self, _index: int) -> None:
        self.owner_id = self.rep.currentData()
        if self._started:
            self.reload()

    def _on_user_changed(self, user: Any) -> None:
        self.set_owner(user.id if user.role == "rep" else None)

    # -- loading ----------------------------------------------------------------------------
    def _load_users(self) -> None:
        def work(session: Session) -> Any:
            return list_users(session)

        def done(users: Any) -> None:
            self.rep.blockSignals(True)
            while self.rep.count() > 1:
                self.rep.removeItem(1)
            for u in users:
                self.rep.addItem(theme.icon("account-outline"), u.name, u.id)
            index = self.rep.findData(self.owner_id)
            self.rep.setCurrentIndex(max(index, 0))
            self.rep.blockSignals(False)
            self._users_loaded = True

        self.ctx.tasks.submit(work, on_done=done, key=f"calendar-users:{id(self)}")

    def reload(self) -> None:
        first, last = self.period_range()
        if self.mode == "month":
            self.month_model.set_month(self.anchor, self.today())
        self._update_period()
        start_utc, _ = day_bounds(first)
        end_utc, _ = day_bounds(last)
        day_start, day_end = day_bounds(self.selected_day)
        owner, now, mode = self.owner_id, self.ctx.clock.now(), self.mode

        def work(session: Session) -> dict[str, Any]:
            out: dict[str, Any] = {
                "loads": cad.day_loads(session, start_utc, end_utc, now, owner_id=owner),
                "day": cad.list_followups(
                    session,
                    cad.FollowupFilter(
                        start=day_start, end=day_end, owner_id=owner, statuses=SHOWN_STATUSES
                    ),
                ),
            }
            if mode == "week":
                out["week"] = cad.list_followups(
                    session,
                    cad.FollowupFilter(
                        start=start_utc,
                        end=end_utc,
                        owner_id=owner,
                        statuses=SHOWN_STATUSES,
                        limit=WEEK_LIMIT,
                    ),
                )
            return out

        self.ctx.tasks.submit(
            work,
            on_done=lambda r: self._on_loaded(r, now, first),
            on_error=lambda e: self.ctx.events.status_message.emit(
                f"Could not load the calendar: {e.message}"
            ),
            key=f"calendar:{id(self)}",
        )

    def _on_loaded(self, result: dict[str, Any], now: datetime, first: date) -> None:
        self.month_model.set_loads(result["loads"])
        if "week" in result:
            by_day: dict[date, list[cad.FollowUp]] = {}
            for f in result["week"]:
                if f.due_at is not None:
                    by_day.setdefault(f.due_at.astimezone().date(), []).append(f)
            for i, column in enumerate(self.day_columns):
                day = first + timedelta(days=i)
                column.model.set_rows(by_day.get(day, []), now, day)
            self._style_week_headers()
        self._show_day(result["day"], now)
        index = self.month_model.index_of(self.selected_day)
        if index.isValid():
            self.month_table.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        self.loaded.emit()

    def _update_period(self) -> None:
        narrow = self.width() < 980
        if self.mode == "month":
            self.period.setText(self.anchor.strftime("%b %Y" if narrow else "%B %Y"))
            return
        first, last = self.period_range()
        end = last - timedelta(days=1)
        month = "%b" if narrow else "%B"
        if first.month == end.month:
            self.period.setText(f"{first.day} – {end.day} {end.strftime(month)} {end.year}")
        else:
            self.period.setText(f"{first:%d %b} – {end:%d %b %Y}")

    def _style_week_headers(self) -> None:
        today, c, now = self.today(), theme.colors(), self.ctx.clock.now()
        for column in self.day_columns:
            day = column.model.day
            if day is None:
                continue
            rows = column.model.rows()
            planned = sum(1 for r in rows if r.status == "planned")
            overdue = sum(1 for r in rows if r.is_overdue(now))
            # narrow columns keep the date; the count stays in the tooltip
            show_count = planned and column.width() >= 120
            column.header.setText(f"{day:%a} {day.day}" + (f"  ·  {planned}" if show_count else ""))
            column.header.setToolTip(
                f"{day:%A %d %B}: {planned} planned" + (f", {overdue} overdue" if overdue else "")
            )
            chosen = day == self.selected_day
            color = c.danger if overdue else (c.accent if day == today else c.text)
            column.header.setStyleSheet(
                f"QPushButton#DayHeader {{ color: {color}; font-weight: {700 if chosen else 600};"
                " text-align: left; padding: 4px 8px; border: none; border-radius: 0;"
                f" border-bottom: 2px solid {c.accent if chosen else c.border}; }}"
            )

    def select_day(self, day: date) -> None:
        self.selected_day = day
        start, end = day_bounds(day)
        owner, now = self.owner_id, self.ctx.clock.now()

        def work(session: Session) -> list[cad.FollowUp]:
            return cad.list_followups(
                session,
                cad.FollowupFilter(start=start, end=end, owner_id=owner, statuses=SHOWN_STATUSES),
            )

        self.ctx.tasks.submit(
            work, on_done=lambda rows: self._show_day(rows, now), key=f"calendar-day:{id(self)}"
        )

    def _show_day(self, rows: list[cad.FollowUp], now: datetime) -> None:
        day = self.selected_day
        self.agenda_model.set_rows(rows, now, day)
        self.day_title.setText(f"{day:%A} {day.day} {day:%B}")
        planned = sum(1 for r in rows if r.status == "planned")
        overdue = sum(1 for r in rows if r.is_overdue(now))
        parts = [f"{planned} planned" if planned else "Nothing open"]
        if overdue:
            parts.append(f"{overdue} overdue")
        done = len(rows) - planned
        if done:
            parts.append(f"{done} done")
        self.day_count.setText(" · ".join(parts))
        self.agenda_stack.setCurrentIndex(0 if rows else 1)
        self._refresh_current()
        self.day_loaded.emit()

    # -- interaction ------------------------------------------------------------------------
    def _on_month_clicked(self, index: QModelIndex) -> None:
        day = self.month_model.date_at(index)
        if day is None:
            return
        if day.month != self.anchor.month:
            self.anchor = self.selected_day = day
            self.reload()
        else:
            self.select_day(day)

    def _on_week_header(self, i: int) -> None:
        first, _ = self.period_range()
        self.select_day(first + timedelta(days=i))
        self._style_week_headers()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._apply_density(self.width())

    def _apply_density(self, width: int) -> None:
        """Narrow windows keep the grid readable: secondary labels go, icons stay."""
        narrow = width < 980
        self.title.setVisible(not narrow)
        self.hint.setVisible(width >= 1040)
        for label in self.legend_texts:
            label.setVisible(not narrow)
        self.export_button.setText("" if narrow else "Export .ics")
        self.rep.setMinimumWidth(140 if narrow else 170)
        self.agenda_panel.setFixedWidth(250 if narrow else 300)
        self._update_period()
        if self.mode == "week":
            self._style_week_headers()

    def _on_item_clicked(self, index: QModelIndex) -> None:
        f = index.model().followup(index) if hasattr(index.model(), "followup") else None
        if f is None:
            return
        self._current = f
        if index.model() is not self.agenda_model:
            # the week's day headers follow the follow-up picked in them
            day = f.due_at.astimezone().date() if f.due_at else self.selected_day
            if day != self.selected_day:
                self.selected_day = day
                self._style_week_headers()
        self.ctx.events.lead_selected.emit(f.lead_id)
        self._update_actions()

    def _on_item_double_clicked(self, index: QModelIndex) -> None:
        f = index.model().followup(index) if hasattr(index.model(), "followup") else None
        if f is not None:
            self.ctx.events.open_lead.emit(f.lead_id)

    def selected_followup(self) -> cad.FollowUp | None:
        return self._current

    def _on_agenda_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        f = self.agenda_model.followup(current)
        if f is not None:
            self._current = f
            self._update_actions()

    def select_followup(self, activity_id: int) -> bool:
        """Make a shown follow-up the current one (agenda, or week column)."""
        row = self.agenda_model.row_of(activity_id)
        if row >= 0:
            self.agenda.setCurrentIndex(self.agenda_model.index(row))
            self._current = self.agenda_model.followup(self.agenda_model.index(row))
            self._update_actions()
            return True
        for column in self.day_columns:
            row = column.model.row_of(activity_id)
            if row >= 0:
                index = column.model.index(row)
                column.list.setCurrentIndex(index)
                self._current = column.model.followup(index)
                self._update_actions()
                return True
        return False

    def _refresh_current(self) -> None:
        """After a reload, the current follow-up is the fresh copy of the same one (or none)."""
        if self._current is None:
            return
        wanted = self._current.id
        self._current = None
        if not self.select_followup(wanted):
            self._update_actions()

    def _update_actions(self) -> None:
        f = self.selected_followup()
        planned = f is not None and f.status == "planned"
        self.done_button.setEnabled(planned)
        self.skip_button.setEnabled(planned)
        self.open_button.setEnabled(f is not None and f.type in ("email", "linkedin", "call"))
        self.open_button.setText(
            {"email": "Write email", "linkedin": "Open LinkedIn", "call": "Call"}.get(
                f.type if f else "", "Open"
            )
        )
        self.done_menu.clear()
        if f is not None:
            for outcome in OUTCOMES.get(f.type, ["Done"]):
                self.done_menu.addAction(outcome, lambda o=outcome: self.mark_done_selected(o))
            self.done_menu.addSeparator()
            self.done_menu.addAction("Other outcome…", self._ask_outcome)
            self.done_menu.addAction(
                theme.icon("reply-outline"), "Lead replied: stop the cadence", self.log_reply
            )
            now = self.ctx.clock.now()
            due = f.due_at.astimezone() if f.due_at else None
            parts = [
                f"{TYPE_LABELS.get(f.type, f.type)} · {f.lead_name}"
                + (f" ({f.company})" if f.company else ""),
                due.strftime("%a %d %b %H:%M") if due else "",
                "" if f.subject == TYPE_LABELS.get(f.type) else (f.subject or ""),
            ]
            if f.owner_name and self.owner_id is None:
                parts.append(f.owner_name)
            if f.is_overdue(now):
                parts.insert(1, "Overdue")
            elif f.status != "planned":
                parts.insert(1, f"{f.status.title()}: {f.outcome or ''}")
            self.detail.setText("   ·   ".join(p for p in parts if p))
            self.detail.setToolTip(f.notes or "")
            c = theme.colors()
            self.detail.setStyleSheet(f"color: {c.danger if f.is_overdue(now) else c.text};")
            self.current_icon.setPixmap(type_icon(f.type, f.is_overdue(now)).pixmap(20, 20))
        else:
            self.detail.setText("Pick a follow-up in the day list or the week to act on it.")
            self.detail.setToolTip("")
            self.detail.setStyleSheet("")
            self.current_icon.clear()

    def _ask_outcome(self) -> None:
        text, ok = QInputDialog.getText(self, "Mark done", "What happened?")
        if ok and text.strip():
            self.mark_done_selected(text.strip())

    def _after_change(self, f: cad.FollowUp, message: str) -> None:
        self.ctx.events.status_message.emit(message)
        self.ctx.events.changed.emit(Changes.for_leads([f.lead_id]))
        if not self._started:
            self.reload()
        self.changed.emit()

    def _error(self, err: Any) -> None:
        self.ctx.events.status_message.emit(f"Could not update the follow-up: {err.message}")
        self.reload()

    def reschedule(self, activity_id: int, day: date) -> None:
        """Move a follow-up to `day`, keeping its time of day (the drop handler)."""
        clock, user_id = self.ctx.clock, self.ctx.user.id

        def work(session: Session) -> cad.FollowUp:
            return cad.move_to_day(session, clock, activity_id, day, user_id=user_id)

        self.ctx.tasks.submit(
            work,
            on_done=lambda f: self._after_change(
                f, f"{TYPE_LABELS.get(f.type, f.type)} with {f.lead_name} moved to {day:%a %d %b}."
            ),
            on_error=self._error,
        )

    def mark_done_selected(self, outcome: str) -> None:
        f = self.selected_followup()
        if f is None or f.status != "planned":
            return
        clock, user_id = self.ctx.clock, self.ctx.user.id

        def work(session: Session) -> cad.FollowUp:
            return cad.mark_done(session, clock, f.id, outcome, user_id=user_id)

        self.ctx.tasks.submit(
            work,
            on_done=lambda d: self._after_change(d, f"Done: {d.subject} ({outcome})."),
            on_error=self._error,
        )

    def skip_selected(self) -> None:
        f = self.selected_followup()
        if f is None or f.status != "planned":
            return
        clock, user_id = self.ctx.clock, self.ctx.user.id

        def work(session: Session) -> cad.FollowUp:
            return cad.skip(session, clock, f.id, user_id=user_id)

        self.ctx.tasks.submit(
            work,
            on_done=lambda d: self._after_change(d, f"Skipped: {d.subject}."),
            on_error=self._error,
        )

    def log_reply(self) -> None:
        """The lead answered: record it and cancel the rest of its cadence."""
        f = self.selected_followup()
        if f is None:
            return
        clock, user_id = self.ctx.clock, self.ctx.user.id

        def work(session: Session) -> int:
            return cad.log_reply(session, clock, f.lead_id, user_id=user_id)

        self.ctx.tasks.submit(
            work,
            on_done=lambda n: self._after_change(
                f, f"Reply from {f.lead_name} logged; {n} planned step(s) stopped."
            ),
            on_error=self._error,
        )

    def open_selected(self) -> None:
        f = self.selected_followup()
        if f is None:
            return

        def work(session: Session) -> str | None:
            return cad.action_url(session, f.id)

        def done(url: str | None) -> None:
            if url:
                QDesktopServices.openUrl(QUrl(url))
            else:
                what = "LinkedIn profile" if f.type == "linkedin" else "address"
                self.ctx.events.status_message.emit(f"No {what} known for {f.lead_name}.")

        self.ctx.tasks.submit(work, on_done=done)

    def _ask_export(self) -> None:
        name = self.rep.currentText().replace(" ", "-").lower()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export follow-ups", f"leadgate-{name}.ics", "iCalendar (*.ics)"
        )
        if path:
            self.export_ics(Path(path))

    def export_ics(self, path: Path) -> None:
        """Write the shown rep's planned follow-ups (from 30 days back) to an .ics file."""
        from app.services.followups.ics import to_ics

        owner, now = self.owner_id, self.ctx.clock.now()
        label = self.rep.currentText()

        def work(session: Session) -> int:
            rows = cad.list_followups(
                session,
                cad.FollowupFilter(start=now - timedelta(days=30), owner_id=owner),
            )
            path.write_bytes(to_ics(rows, now, name=f"Leadgate follow-ups: {label}"))
            return len(rows)

        self.ctx.tasks.submit(
            work,
            on_done=lambda n: self.ctx.events.status_message.emit(
                f"Exported {n:,} follow-ups to {path.name}."
            ),
            on_error=lambda e: self.ctx.events.status_message.emit(
                f"Could not export to {path}: {e.message}"
            ),
        )
