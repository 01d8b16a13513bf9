from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.models import Activity
from app.services.changes import Changes
from app.services.followups import api as fu_api
from app.services.followups import cadence as cad
from app.services.team.users import get_user
from app.services.timers.sweep import FiredAlert
from app.store.db import Store, unit_of_work
from app.ui import theme
from app.ui import timers as ui_timers
from app.ui.alerts import AlertCenter, AlertListModel, AlertsButton, AlertsPanel
from app.ui.app import build_window, ensure_app
from app.ui.calendar.cadence_editor import CadenceEditor
from app.ui.calendar.grid import DayColumn
from app.ui.calendar.model import FollowupListModel, MonthModel, decode_ids
from app.ui.calendar.view import CalendarView
from app.ui.context import AppContext
from app.ui.main_window import MainWindow
from app.ui.ops import run_op
from app.ui.team.response_view import ResponseView
from app.ui.workers import TaskRunner
from tests.helpers.followups import Team, make_lead, make_team


@pytest.fixture
def planned(sqlite_store: Store, clock: SettableClock) -> tuple[Team, dict[str, int]]:
    with unit_of_work(sqlite_store.session_factory) as s:
        team = make_team(s)
        urgent = make_lead(s, team, clock.now(), tier="Urgent")
        other = make_lead(s, team, clock.now(), tier="High", owner=team.rep_b)
        cad.start_cadence(s, clock, urgent.id)
        cad.start_cadence(s, clock, other.id)
        late = make_lead(s, team, clock.now() - timedelta(days=3), tier="High")
        s.add(
            Activity(
                lead_id=late.id,
                owner_id=team.rep_a,
                type="call",
                status="planned",
                subject="Overdue call",
                due_at=clock.now() - timedelta(hours=2),
            )
        )
    return team, {"urgent": urgent.id, "other": other.id, "late": late.id}


@pytest.fixture
def win(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, planned: tuple[Team, dict[str, int]]
) -> Iterator[MainWindow]:
    team, _ = planned
    ensure_app()
    with sqlite_store.session() as s:
        rep = get_user(s, team.rep_a)
    assert rep is not None
    window = build_window(sqlite_store, clock, rep)
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    yield window
    window.ctx.tasks.wait(5000)


def _calendar(window: MainWindow, qtbot: QtBot) -> CalendarView:
    with qtbot.waitSignal(window.ctx.tasks.busy_changed, timeout=5000, raising=False):
        view = window.show_view("calendar")
    assert isinstance(view, CalendarView)
    qtbot.waitUntil(lambda: view.agenda_model.rowCount() > 0, timeout=5000)
    return view


def _activity(store: Store, activity_id: int) -> Activity:
    with store.session() as s:
        activity = s.get(Activity, activity_id)
    assert activity is not None
    return activity


def _due_day(when: datetime | None) -> date:
    assert when is not None
    return when.astimezone().date()


def test_month_and_agenda_show_the_reps_followups(
    win: MainWindow, qtbot: QtBot, planned, clock: SettableClock
) -> None:  # type: ignore[no-untyped-def]
    _, ids = planned
    view = _calendar(win, qtbot)
    today = clock.now().astimezone().date()
    assert view.owner_id == win.ctx.user.id  # a rep starts on their own follow-ups
    load = view.month_model.index_of(today).data(Qt.ItemDataRole.UserRole + 6)
    assert load.counts == {"email": 1, "call": 1} and load.overdue == 1
    agenda = view.agenda_model.rows()
    assert [(f.lead_id, f.type) for f in agenda] == [
        (ids["late"], "call"),
        (ids["urgent"], "email"),
    ]
    overdue = view.agenda_model.index(0)
    assert overdue.data(Qt.ItemDataRole.UserRole + 4) is True
    assert overdue.data(Qt.ItemDataRole.ForegroundRole).name() == "#d92d20"  # danger red
    assert "Overdue" in view.day_count.text() or "overdue" in view.day_count.text()
    # all reps: the other rep's day-1 e-mail (4 h window) joins today's cell
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.set_owner(None)
    load = view.month_model.index_of(today).data(Qt.ItemDataRole.UserRole + 6)
    assert load.counts == {"email": 2, "call": 1}


def test_drop_on_another_day_reschedules_keeping_the_time(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, clock: SettableClock
) -> None:
    """Real drag and drop cannot run offscreen (QDrag.exec needs a window system), so the
    test drives the same path a drop takes: the dragged item's mimeData onto the target
    cell's dropMimeData."""
    view = _calendar(win, qtbot)
    source = view.agenda_model.index(1)
    email = view.agenda_model.followup(source)
    assert email is not None and email.type == "email"
    mime = view.agenda_model.mimeData([source])
    assert decode_ids(mime) == [email.id]
    assert email.due_at is not None
    target_day = _due_day(email.due_at) + timedelta(days=2)
    target = view.month_model.index_of(target_day)
    assert view.month_model.canDropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.month_model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    moved = _activity(sqlite_store, email.id)
    assert moved.due_at is not None and _due_day(moved.due_at) == target_day
    assert moved.due_at.astimezone().time() == email.due_at.astimezone().time()
    assert email.id not in [f.id for f in view.agenda_model.rows()]
    load = view.month_model.index_of(target_day).data(Qt.ItemDataRole.UserRole + 6)
    assert load.counts.get("email") == 1


def test_week_view_drop_between_days(win: MainWindow, qtbot: QtBot, sqlite_store: Store) -> None:
    view = _calendar(win, qtbot)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.set_mode("week")
    assert not view.agenda_panel.isVisible()
    source_col = next(c for c in view.day_columns if c.model.rowCount())
    f = source_col.model.followup(source_col.model.index(source_col.model.rowCount() - 1))
    assert f is not None
    target_col = view.day_columns[(view.day_columns.index(source_col) + 1) % 7]
    mime = source_col.model.mimeData([source_col.model.index(source_col.model.rowCount() - 1)])
    with qtbot.waitSignal(view.loaded, timeout=5000):
        target_col.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, QModelIndex())
    assert f.id in [r.id for r in target_col.model.rows()]
    assert _due_day(_activity(sqlite_store, f.id).due_at) == target_col.model.day


def test_mark_done_and_skip_from_the_agenda(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store
) -> None:
    view = _calendar(win, qtbot)
    first = view.agenda_model.rows()[0]
    assert view.select_followup(first.id)
    assert view.done_button.isEnabled()
    assert [a.text() for a in view.done_menu.actions()][:3] == [
        "Connected",
        "Left voicemail",
        "No answer",
    ]
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.mark_done_selected("Connected")
    done = _activity(sqlite_store, first.id)
    assert (done.status, done.outcome) == ("done", "Connected")
    second = next(f for f in view.agenda_model.rows() if f.status == "planned")
    view.select_followup(second.id)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.skip_selected()
    assert _activity(sqlite_store, second.id).status == "skipped"
    assert not view.done_button.isEnabled()  # the current one is skipped now


def test_export_button_writes_the_shown_reps_ics(
    win: MainWindow, qtbot: QtBot, tmp_path, planned
) -> None:  # type: ignore[no-untyped-def]
    from icalendar import Calendar

    view = _calendar(win, qtbot)
    path = tmp_path / "mine.ics"
    with qtbot.waitSignal(win.ctx.events.status_message, timeout=5000) as blocker:
        view.export_ics(path)
    assert "Exported 6 follow-ups" in blocker.args[0]
    events = list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))
    assert len(events) == 6  # rep A: five cadence steps and the overdue call


def test_calendar_models_pass_qtmodeltester(
    qtmodeltester, planned, sqlite_store: Store, clock: SettableClock
) -> None:  # type: ignore[no-untyped-def]
    with sqlite_store.session() as s:
        rows = cad.list_followups(s, cad.FollowupFilter())
        loads = cad.day_loads(
            s, clock.now() - timedelta(days=40), clock.now() + timedelta(days=40), clock.now()
        )
    model = FollowupListModel()
    model.set_rows(rows, clock.now(), date(2026, 3, 2))
    qtmodeltester.check(model, force_py=True)
    month = MonthModel()
    month.set_month(date(2026, 3, 1), date(2026, 3, 2))
    month.set_loads(loads)
    qtmodeltester.check(month, force_py=True)
    assert month.date_at(month.index(0, 0)) == date(2026, 2, 23)  # Monday-first grid


# -- alerts and the timer thread --------------------------------------------------------------


@pytest.fixture
def ctx(qtbot: QtBot, sqlite_store: Store, clock: SettableClock, planned) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    team, _ = planned
    ensure_app()
    with sqlite_store.session() as s:
        user = get_user(s, team.rep_a)
    assert user is not None
    runner = TaskRunner(sqlite_store.session_factory)
    yield AppContext(store=sqlite_store, clock=clock, user=user, tasks=runner)
    runner.wait(5000)


def test_timer_thread_delivers_a_sweep_without_blocking_the_ui(
    qtbot: QtBot, ctx: AppContext, clock: SettableClock, planned, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    _, ids = planned
    threads: list[str] = []
    real = ui_timers.run_sweep

    def spy(uow, actor, now: datetime, since, **kw):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        assert actor.is_system
        return real(uow, actor, now, since, **kw)

    monkeypatch.setattr(ui_timers, "run_sweep", spy)
    broadcast: list[Changes] = []
    ctx.events.changed.connect(broadcast.append)
    clock.advance(hours=6)  # the Urgent lead's first response is long overdue
    ticks: list[int] = []
    from PySide6.QtCore import QTimer

    probe = QTimer()
    probe.timeout.connect(lambda: ticks.append(1))
    probe.start(5)
    timer = ui_timers.TimerThread(ctx, interval_seconds=3600)
    try:
        with qtbot.waitSignal(timer.swept, timeout=10000) as blocker:
            timer.start()
        result = blocker.args[0]
        assert {(a.kind, a.lead_id) for a in result.fired} >= {("sla", ids["urgent"])}
        assert broadcast == [result.changes()] and broadcast[0].alerts  # once, on the UI side
        assert threads and threads[0] != threading.main_thread().name
        assert ticks  # the UI event loop kept running while the sweep ran
        with qtbot.waitSignal(timer.swept, timeout=10000) as again:
            timer.sweep_now()
        assert again.args[0].fired == []  # same store, nothing new: exactly once
    finally:
        probe.stop()
        assert timer.stop()
    assert not timer.is_running()


def test_alert_notification_click_opens_its_lead(qtbot: QtBot, ctx: AppContext, planned) -> None:  # type: ignore[no-untyped-def]
    _, ids = planned
    center = AlertCenter(ctx)
    fired = [
        FiredAlert("sla:x", "sla", ids["urgent"], ctx.user.id, "warning", "First response due"),
        FiredAlert("missed:y", "missed", ids["late"], ctx.user.id, "danger", "Two missed"),
        FiredAlert("sla:z", "sla", ids["other"], ctx.user.id + 1, "warning", "not mine"),
    ]
    with qtbot.waitSignal(ctx.events.status_message, timeout=5000) as shown:
        center.on_fired(fired)  # no system tray offscreen: the status bar carries it
    assert "Missed follow-ups" in shown.args[0] and "Two missed" in shown.args[0]
    with qtbot.waitSignal(ctx.events.open_lead, timeout=2000) as opened:
        center.notifier.message_clicked()
    assert opened.args == [ids["late"]]  # the most severe of what was shown


def test_alert_list_click_opens_the_lead_and_marks_it_read(
    qtbot: QtBot, ctx: AppContext, clock: SettableClock, planned, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    _, ids = planned
    from app.services.timers.sweep import sweep

    with unit_of_work(ctx.store.session_factory) as s:
        sweep(s, clock.now() + timedelta(hours=6))
    center = AlertCenter(ctx)
    button = AlertsButton(center)
    qtbot.addWidget(button)
    panel = AlertsPanel(center)
    qtbot.addWidget(panel)
    panel.resize(400, 500)
    panel.show()
    with qtbot.waitSignal(center.refreshed, timeout=5000):
        center.refresh()
    qtmodeltester.check(center.model, force_py=True)
    unread = center.unread
    assert unread == center.model.rowCount() > 0
    assert str(unread) in button.toolTip()
    row = next(i for i, a in enumerate(center.model.rows()) if a.lead_id == ids["urgent"])
    rect = panel.list.visualRect(center.model.index(row))
    with qtbot.waitSignal(ctx.events.open_lead, timeout=2000) as opened:
        qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [ids["urgent"]]
    assert center.unread == unread - 1
    with qtbot.waitSignal(center.refreshed, timeout=5000):
        pass  # the store agrees after the background mark-read
    assert center.unread == unread - 1
    assert isinstance(center.model, AlertListModel)


def test_alerts_button_and_panel_render(qtbot: QtBot, ctx: AppContext) -> None:
    center = AlertCenter(ctx)
    panel = AlertsPanel(center)
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(center.refreshed, timeout=5000):
        center.refresh()
    assert panel.stack.currentWidget() is panel.empty  # no alerts yet: says what it is for
    assert "checks every 30 seconds" in panel.empty.text()


def test_install_alerts_wires_timer_bell_and_stops_on_close(
    win: MainWindow, qtbot: QtBot, clock: SettableClock
) -> None:
    from app.ui.alerts import install_alerts

    clock.advance(hours=6)  # an Urgent lead of this rep is past its first-response window
    center = install_alerts(win, interval_seconds=3600)
    timer = center.timer
    qtbot.waitUntil(lambda: center.unread > 0, timeout=10000)
    assert win.alerts is center  # type: ignore[attr-defined]  # set by install_alerts
    button = win.alerts_button  # type: ignore[attr-defined]
    assert f"{center.unread} unread" in button.toolTip()
    assert win.statusBar().isAncestorOf(button)
    assert timer.is_running()
    win.close()
    assert not timer.is_running()  # the close event stopped the sweep thread


def test_logging_a_reply_from_the_calendar_stops_the_cadence(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, planned
) -> None:  # type: ignore[no-untyped-def]
    _, ids = planned
    view = _calendar(win, qtbot)
    email = next(f for f in view.agenda_model.rows() if f.lead_id == ids["urgent"])
    view.select_followup(email.id)
    assert "Lead replied: stop the cadence" in [a.text() for a in view.done_menu.actions()]
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.log_reply()
    with sqlite_store.session() as s:
        left = cad.list_followups(s, cad.FollowupFilter(lead_id=ids["urgent"]))
    assert left == []  # all five steps cancelled
    assert email.id not in [f.id for f in view.agenda_model.rows() if f.status == "planned"]


def _editor_ctx(store: Store, clock: SettableClock, user_id: int) -> AppContext:
    ensure_app()
    with store.session() as s:
        user = get_user(s, user_id)
    assert user is not None
    return AppContext(store=store, clock=clock, user=user, tasks=TaskRunner(store.session_factory))


def _cell(editor: CadenceEditor, row: int, column: int) -> str:
    item = editor.steps.item(row, column)
    assert item is not None
    return item.text()


def _open_editor(qtbot: QtBot, ctx: AppContext) -> CadenceEditor:
    editor = CadenceEditor(ctx)
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        editor.show()
    return editor


def test_a_rep_sees_cadences_read_only_and_the_api_refuses_anyway(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, planned
) -> None:  # type: ignore[no-untyped-def]
    team, _ = planned
    ctx = _editor_ctx(sqlite_store, clock, team.rep_a)
    editor = _open_editor(qtbot, ctx)
    assert editor.cadence_list.count() == 7 and editor.steps.rowCount() > 0  # + recycle, recapture
    assert not editor.step_form.isEnabled()
    assert editor.note.isVisible() and "Only a manager or the owner" in editor.note.text()
    step = editor.current_step()
    assert step is not None
    # Were the button reachable, the service still says no, in one sentence, and saves nothing.
    editor.step_form.subject.setText("Rep was here")
    errors: list[str] = []
    run_op(
        ctx,
        fu_api.update_step,
        step.id,
        subject="Rep was here",
        on_error=lambda e: errors.append(e.message),
    )
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert errors == [
        "Only a manager or the owner can change the follow-up settings; Ana Rep is a rep."
    ]
    with sqlite_store.session() as s:
        assert all(st.subject != "Rep was here" for c in cad.list_cadences(s) for st in c.steps)
    ctx.tasks.wait(5000)


def test_a_manager_edits_a_step_from_the_editor(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, planned
) -> None:  # type: ignore[no-untyped-def]
    team, _ = planned
    ctx = _editor_ctx(sqlite_store, clock, team.manager)
    editor = _open_editor(qtbot, ctx)
    assert editor.step_form.isEnabled() and not editor.note.isVisible()
    editor.steps.setCurrentCell(1, 0)
    step = editor.current_step()
    assert step is not None
    editor.step_form.subject.setText("Quick call with {first_name}")
    editor.step_form.offset.setValue(1.5)
    with qtbot.waitSignal(editor.loaded, timeout=5000):  # reloaded from the broadcast
        editor.step_form.save_button.click()
    assert [_cell(editor, 1, c) for c in (0, 2)] == ["Day 2 +12 h", "Quick call with {first_name}"]
    with sqlite_store.session() as s:
        edited = next(st for c in cad.list_cadences(s) for st in c.steps if st.id == step.id)
    assert (edited.subject, edited.offset_days) == ("Quick call with {first_name}", 1.5)
    ctx.tasks.wait(5000)


def test_the_calendar_opens_the_cadences_and_links_to_the_response_page(
    win: MainWindow, qtbot: QtBot
) -> None:
    view = _calendar(win, qtbot)
    assert view.cadences_button.isVisible()
    assert "Response page" in view.cadences_button.toolTip()
    editor = view.open_cadences()
    qtbot.waitUntil(lambda: editor.cadence_list.count() == 7, timeout=5000)
    assert editor.isVisible() and not editor.step_form.isEnabled()  # the user is a rep
    # Cadences only: the response windows and timers are edited on the Response page alone.
    fields = set(editor.findChildren(QLineEdit))
    assert fields == {editor.step_form.offset, editor.step_form.subject}
    assert editor.response_link.isVisible()
    qtbot.mouseClick(editor.response_link, Qt.MouseButton.LeftButton)
    assert not editor.isVisible()
    page = win.current_view()
    assert isinstance(page, ResponseView) and win.current_view_key == "response"
    assert win.nav_buttons["response"].isChecked()
    qtbot.waitUntil(lambda: page.values is not None, timeout=5000)
    assert page.minutes["Urgent"].text() == "5"


def _header_colours(column: DayColumn) -> tuple[QColor, set[int]]:
    """A week day header as painted: its bottom rule, and the colours inside it."""
    image = column.header.grab().toImage()
    rule = QColor(image.pixel(image.width() // 2, image.height() - 1))
    inside = {
        image.pixel(x, y) & 0xFFFFFF
        for y in range(image.height() - 3)
        for x in range(image.width())
    }
    return rule, inside


def test_week_day_headers_follow_a_live_theme_switch(win: MainWindow, qtbot: QtBot) -> None:
    view = _calendar(win, qtbot)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.set_mode("week")
    today = view.today()
    chosen = [c.model.day == view.selected_day for c in view.day_columns]
    overdue = ["overdue" in c.header.toolTip() for c in view.day_columns]
    assert chosen.count(True) == 1 and any(overdue)
    before = theme.colors()
    try:
        for mode, palette in (("light", theme.LIGHT), ("dark", theme.DARK)):
            win.set_theme(mode)
            qtbot.wait(10)  # the repaint
            for i, column in enumerate(view.day_columns):
                rule, inside = _header_colours(column)
                # The underline: the accent under the chosen day, the border under the rest.
                assert rule == QColor(palette.accent if chosen[i] else palette.border), mode
                # The date in the palette's text colour (red with overdue work, accent today).
                text = palette.danger if overdue[i] else palette.text
                if column.model.day == today and not overdue[i]:
                    text = palette.accent
                assert QColor(text).rgb() & 0xFFFFFF in inside, (mode, column.header.text())
                other = theme.LIGHT if palette.dark else theme.DARK
                assert QColor(other.text).rgb() & 0xFFFFFF not in inside, mode
            # The legend's overdue word follows too.
            assert view.legend.overdue.styleSheet().startswith(f"color: {palette.danger};")
    finally:
        win.set_theme("dark" if before is theme.DARK else "light")
