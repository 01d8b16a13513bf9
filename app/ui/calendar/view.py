"""The calendar: month and week views of follow-ups, a day agenda, drag to reschedule.

This widget coordinates the period (month or week, whose follow-ups) and its parts: the grids
(grid.py), the day's agenda (agenda.py), the action bar (action_bar.py) and the legend. Reads
are query functions on the task runner (services/followups/queries.py); every user action is
one API call through run_op, and the view reloads from the change broadcast.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.services.auth import Perm
from app.services.changes import Changes
from app.services.followups import api as fu_api
from app.services.followups import cadence as cad
from app.services.followups.days import day_bounds, local_day, week_start
from app.services.followups.ics import to_ics
from app.services.followups.queries import CalendarPeriod, calendar_period, day_followups
from app.services.team.users import list_users
from app.ui import theme
from app.ui.calendar.action_bar import ActionBar
from app.ui.calendar.agenda import AgendaPanel
from app.ui.calendar.cadence_editor import CadenceEditor
from app.ui.calendar.grid import MonthGrid, WeekGrid
from app.ui.calendar.legend import Legend
from app.ui.calendar.model import TYPE_LABELS, FollowupListModel
from app.ui.calendar.new_followup import NewFollowupDialog
from app.ui.context import AppContext
from app.ui.ops import run_op, show_error
from app.ui.workers import TaskError


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
        self._current: cad.FollowUp | None = None
        self.new_dialog: NewFollowupDialog | None = None

        self.month = MonthGrid()
        self.month_model = self.month.month_model
        self.month_model.reschedule_requested.connect(self.reschedule)
        self.month.clicked.connect(self._on_month_clicked)
        self.month.activated.connect(self._on_month_clicked)
        self.month.new_requested.connect(self.new_followup)
        self.week = WeekGrid()
        self.day_columns = self.week.columns
        self.week.reschedule_requested.connect(self.reschedule)
        self.week.header_clicked.connect(self._on_week_header)
        self.week.item_clicked.connect(self._on_item_clicked)
        self.week.item_double_clicked.connect(self._on_item_double_clicked)
        self.week.new_requested.connect(self.new_followup)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.month)
        self.stack.addWidget(self.week)

        self.agenda_panel = AgendaPanel()
        self.agenda_model = self.agenda_panel.model
        self.day_count = self.agenda_panel.day_count
        self.agenda_panel.reschedule_requested.connect(self.reschedule)
        self.agenda_panel.item_clicked.connect(self._on_item_clicked)
        self.agenda_panel.item_double_clicked.connect(self._on_item_double_clicked)
        self.agenda_panel.current_changed.connect(self._on_agenda_current)

        self.actions_bar = ActionBar()
        self.done_button = self.actions_bar.done_button
        self.done_menu = self.actions_bar.done_menu
        self.skip_button = self.actions_bar.skip_button
        self.open_button = self.actions_bar.open_button
        self.actions_bar.open_requested.connect(self.open_selected)
        self.actions_bar.skip_requested.connect(self.skip_selected)
        self.actions_bar.done_requested.connect(self.mark_done_selected)
        self.actions_bar.other_outcome_requested.connect(self._ask_outcome)
        self.actions_bar.reply_requested.connect(self.log_reply)
        self.actions_bar.new_requested.connect(lambda: self.new_followup(self.selected_day))
        self.legend = Legend()
        self.hint = self.legend.hint

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.setSpacing(8)
        outer.addLayout(self._build_header())
        body = QHBoxLayout()
        body.setSpacing(12)
        body.addWidget(self.stack, 1)
        body.addWidget(self.agenda_panel)
        outer.addLayout(body, 1)
        outer.addWidget(self.actions_bar)
        outer.addWidget(self.legend)

        ctx.events.changed.connect(self._on_changed)
        ctx.events.user_changed.connect(self._on_user_changed)
        theme.on_change(self.apply_theme)

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
        self.cadences_button = QPushButton(theme.icon("cog-outline"), "Cadences")
        self.cadences_button.setToolTip(
            "The steps of each cadence"
            + ("" if self.ctx.can(Perm.SETTINGS_EDIT) else " (read-only: a manager edits them)")
            + "; response windows and timers are on the Response page"
        )
        self.cadences_button.clicked.connect(self.open_cadences)
        top.addWidget(self.cadences_button)
        return top

    def apply_theme(self) -> None:
        """Re-colour what bakes the palette in (day headers, icons, legend) at once: View →
        Theme switches it live. The grids paint from theme.colors(), so a repaint does."""
        self.prev_button.setIcon(theme.icon("chevron-left"))
        self.next_button.setIcon(theme.icon("chevron-right"))
        self.export_button.setIcon(theme.icon("calendar-export"))
        self.cadences_button.setIcon(theme.icon("cog-outline"))
        for i in range(self.rep.count()):
            name = "account-multiple-outline" if i == 0 else "account-outline"
            self.rep.setItemIcon(i, theme.icon(name))
        self._style_week_headers()
        self.legend.apply_theme()
        self.actions_bar.apply_theme()
        self._update_actions()
        for view in (self.month, self.agenda_panel.list, *(c.list for c in self.day_columns)):
            view.viewport().update()

    def _tool(self, icon: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(theme.icon(icon))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        return button

    # -- state ------------------------------------------------------------------------------
    def today(self) -> date:
        return local_day(self.ctx.clock.now())

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
        """The shown days as [first, end) (six weeks for a month, seven days for a week)."""
        if self.mode == "month":
            first = self.month_model.grid_start(self.anchor)
            return first, first + timedelta(days=42)
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

    def _on_changed(self, changes: Changes) -> None:
        if self._started and (changes.followups or changes.touches_leads):
            self.reload()

    # -- loading ----------------------------------------------------------------------------
    def _load_users(self) -> None:
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

        self.ctx.tasks.submit(list_users, on_done=done, key=f"calendar-users:{id(self)}")

    def reload(self) -> None:
        first, end = self.period_range()
        if self.mode == "month":
            self.month_model.set_month(self.anchor, self.today())
        self._update_period()
        start_utc, end_utc = day_bounds(first)[0], day_bounds(end)[0]
        day = day_bounds(self.selected_day)
        owner, now, week = self.owner_id, self.ctx.clock.now(), self.mode == "week"

        def work(session: Session) -> CalendarPeriod:
            return calendar_period(session, start_utc, end_utc, day, now, owner_id=owner, week=week)

        self.ctx.tasks.submit(
            work,
            on_done=lambda r: self._on_loaded(r, now, first),
            on_error=lambda e: self.ctx.events.status_message.emit(
                f"Could not load the calendar: {e.message}"
            ),
            key=f"calendar:{id(self)}",
        )

    def _on_loaded(self, period: CalendarPeriod, now: datetime, first: date) -> None:
        self.month_model.set_loads(period.loads)
        if period.week is not None:
            by_day: dict[date, list[cad.FollowUp]] = {}
            for f in period.week:
                if f.due_at is not None:
                    by_day.setdefault(local_day(f.due_at), []).append(f)
            for i, column in enumerate(self.day_columns):
                day = first + timedelta(days=i)
                column.model.set_rows(by_day.get(day, []), now, day)
            self._style_week_headers()
        self._show_day(period.day, now)
        index = self.month_model.index_of(self.selected_day)
        if index.isValid():
            self.month.selectionModel().setCurrentIndex(
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
        self.week.style_headers(self.today(), self.selected_day, self.ctx.clock.now())

    def select_day(self, day: date) -> None:
        self.selected_day = day
        start, end = day_bounds(day)
        owner, now = self.owner_id, self.ctx.clock.now()

        def work(session: Session) -> list[cad.FollowUp]:
            return day_followups(session, start, end, owner)

        self.ctx.tasks.submit(
            work, on_done=lambda rows: self._show_day(rows, now), key=f"calendar-day:{id(self)}"
        )

    def _show_day(self, rows: list[cad.FollowUp], now: datetime) -> None:
        self.agenda_panel.show_day(self.selected_day, rows, now)
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
        self.legend.set_compact(narrow, show_hint=width >= 1040)
        self.export_button.setText("" if narrow else "Export .ics")
        self.cadences_button.setText("" if narrow else "Cadences")
        self.rep.setMinimumWidth(140 if narrow else 170)
        self.agenda_panel.setFixedWidth(250 if narrow else 300)
        self._update_period()
        if self.mode == "week":
            self._style_week_headers()

    @staticmethod
    def _followup_at(index: QModelIndex) -> cad.FollowUp | None:
        model = index.model()
        return model.followup(index) if isinstance(model, FollowupListModel) else None

    def _on_item_clicked(self, index: QModelIndex) -> None:
        f = self._followup_at(index)
        if f is None:
            return
        self._current = f
        if index.model() is not self.agenda_model:
            # the week's day headers follow the follow-up picked in them
            day = local_day(f.due_at) if f.due_at else self.selected_day
            if day != self.selected_day:
                self.selected_day = day
                self._style_week_headers()
        self.ctx.events.lead_selected.emit(f.lead_id)
        self._update_actions()

    def _on_item_double_clicked(self, index: QModelIndex) -> None:
        f = self._followup_at(index)
        if f is not None:
            self.ctx.events.open_lead.emit(f.lead_id)

    def selected_followup(self) -> cad.FollowUp | None:
        return self._current

    def _on_agenda_current(self, current: QModelIndex) -> None:
        f = self.agenda_model.followup(current)
        if f is not None:
            self._current = f
            self._update_actions()

    def select_followup(self, activity_id: int) -> bool:
        """Make a shown follow-up the current one (agenda, or week column)."""
        index = self.agenda_panel.select_activity(activity_id)
        if index is None:
            index = self.week.select_activity(activity_id)
        if index is None:
            return False
        self._current = self._followup_at(index)
        self._update_actions()
        return True

    def _refresh_current(self) -> None:
        """After a reload, the current follow-up is the fresh copy of the same one (or none)."""
        if self._current is None:
            return
        wanted = self._current.id
        self._current = None
        if not self.select_followup(wanted):
            self._update_actions()

    def _update_actions(self) -> None:
        self.actions_bar.show_followup(
            self._current, self.ctx.clock.now(), with_owner=self.owner_id is None
        )

    def _ask_outcome(self) -> None:
        text, ok = QInputDialog.getText(self, "Mark done", "What happened?")
        if ok and text.strip():
            self.mark_done_selected(text.strip())

    # -- actions: one API call each ---------------------------------------------------------
    def _after_change(self, message: str) -> None:
        # The action's changes came through ctx.events.changed (run_op), which reloads.
        self.ctx.events.status_message.emit(message)
        if not self._started:
            self.reload()
        self.changed.emit()

    def _error(self, err: TaskError) -> None:
        show_error(self, err, "Could not update the follow-up")
        self.reload()  # a refused drag puts the follow-up back

    def reschedule(self, activity_id: int, day: date) -> None:
        """Move a follow-up to `day`, keeping its time of day (the drop handler)."""
        run_op(
            self.ctx,
            fu_api.move_to_day,
            activity_id,
            day,
            on_done=lambda f: self._after_change(
                f"{TYPE_LABELS.get(f.type, f.type)} with {f.lead_name} moved to {day:%a %d %b}."
            ),
            on_error=self._error,
        )

    def mark_done_selected(self, outcome: str) -> None:
        f = self.selected_followup()
        if f is None or f.status != "planned":
            return
        run_op(
            self.ctx,
            fu_api.mark_done,
            f.id,
            outcome,
            on_done=lambda d: self._after_change(f"Done: {d.subject} ({d.outcome})."),
            on_error=self._error,
        )

    def skip_selected(self) -> None:
        f = self.selected_followup()
        if f is None or f.status != "planned":
            return
        run_op(
            self.ctx,
            fu_api.skip_followup,
            f.id,
            on_done=lambda d: self._after_change(f"Skipped: {d.subject}."),
            on_error=self._error,
        )

    def log_reply(self) -> None:
        """The lead answered: record it and cancel the rest of its cadence."""
        f = self.selected_followup()
        if f is None:
            return
        run_op(
            self.ctx,
            fu_api.log_reply,
            f.lead_id,
            on_done=lambda n: self._after_change(
                f"Reply from {f.lead_name} logged; {n} planned step(s) stopped."
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

    def new_followup(self, day: date) -> NewFollowupDialog:
        """The New follow-up dialog for `day`, on the current follow-up's lead if one is chosen."""
        current = self._current
        lead = (current.lead_id, current.lead_name) if current is not None else None
        self.new_dialog = NewFollowupDialog(self.ctx, day, lead, self)
        self.new_dialog.open()
        return self.new_dialog

    def open_cadences(self) -> CadenceEditor:
        """The cadence editor (read-only for a rep); its link leads to the Response page."""
        editor = CadenceEditor(self.ctx, self)
        editor.saved.connect(self.ctx.events.status_message)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.open()
        return editor

    def _ask_export(self) -> None:
        name = self.rep.currentText().replace(" ", "-").lower()
        path, _ = QFileDialog.getSaveFileName(
            self, "Export follow-ups", f"leadgate-{name}.ics", "iCalendar (*.ics)"
        )
        if path:
            self.export_ics(Path(path))

    def export_ics(self, path: Path) -> None:
        """Write the shown rep's planned follow-ups (from 30 days back) to an .ics file."""
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
