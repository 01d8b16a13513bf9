"""The Response and follow-up page, the one place the response windows, escalation, nurture
timers and stale limits are edited: a manager edits a tier's window and a stale limit and the
inbox countdown, the alerts and the SLA report all follow; a bad value is the service's one
line and changes nothing; a rep reads it; the cadence editor opens from it to add, remove,
reorder and edit steps, previewed on a real lead."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Lead, Stage
from app.services.auth import Actor
from app.services.followups.settings import load_settings
from app.services.settings import api as settings_api
from app.services.team.users import list_users
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from app.ui.alerts import install_alerts
from app.ui.calendar.cadence_editor import CadenceEditor
from app.ui.inbox.model import BREACHED_ROLE
from app.ui.inbox.view import InboxView
from app.ui.main_window import MainWindow
from app.ui.reports.view import ReportsView
from app.ui.team.response_view import ResponseView
from tests.helpers.inbox_data import add_urgent_lead


def _open(window: MainWindow, qtbot: QtBot) -> ResponseView:
    view = window.show_view("response")
    assert isinstance(view, ResponseView)
    qtbot.waitUntil(lambda: view.values is not None and bool(view.stale), timeout=5000)
    return view


def _as_manager(window: MainWindow, store: Store) -> None:
    with store.session() as s:
        window.ctx.set_user(next(u for u in list_users(s) if u.role == "manager"))


def _settings(store: Store, clock: SettableClock) -> dict[str, Any]:
    return settings_api.show_settings(
        UnitOfWork(store.session_factory, clock), Actor.reader()
    ).value


def test_a_manager_changes_a_window_and_a_stale_limit(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    assert view.save_button.isVisible() and not view.minutes["Medium"].isReadOnly()
    assert view.described["Urgent"].text() == "5 min"
    assert view.described["High"].text() == "The same business day"
    assert view.described["Low"].text().startswith("No first-response window")
    stage = next(iter(view.stale))
    view.minutes["Medium"].setText("90")
    assert view.described["Medium"].text() == "1.5 h"  # as the countdown will use it
    view.stale[stage].setText("12")
    assert view.pairs() == {"sla_minutes.Medium": "90", f"stale_hours.{stage}": "12"}
    with qtbot.waitSignal(window.ctx.events.changed, timeout=5000) as changed:
        view.save_button.click()
    assert changed.args[0].settings
    saved = _settings(demo_store, clock)
    assert saved["sla_minutes.Medium"] == 90 and saved[f"stale_hours.{stage}"] == 12
    qtbot.waitUntil(lambda: view.status.text() == "Saved.", timeout=5000)
    window.ctx.tasks.wait(5000)


def test_a_bad_value_is_one_line_in_a_dialog_and_changes_nothing(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    before = _settings(demo_store, clock)
    stage = next(iter(view.stale))
    view.minutes["Medium"].setText("30")
    view.stale[stage].setText("soon")  # the whole save is refused, the good value too
    view.save()
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox)), timeout=5000)
    box = view.findChildren(QMessageBox)[0]
    assert box.text() == f"stale_hours.{stage}=soon: the stale limit is whole hours (or 'none')."
    assert _settings(demo_store, clock) == before
    box.close()
    view.stale[stage].setText("12")
    view.minutes["Medium"].setText("-5")
    view.save()
    qtbot.waitUntil(lambda: len(view.findChildren(QMessageBox)) == 2, timeout=5000)
    assert "Medium response window must be a whole number" in (
        view.findChildren(QMessageBox)[1].text()
    )
    assert _settings(demo_store, clock) == before
    window.ctx.tasks.wait(5000)


def test_a_rep_reads_the_settings_and_the_cadences(window: MainWindow, qtbot: QtBot) -> None:
    view = _open(window, qtbot)  # the window's user is a rep
    assert not view.save_button.isVisible()
    assert "Read-only" in view.note.text()
    assert all(e.isReadOnly() for e in [*view.minutes.values(), *view.stale.values()])
    assert not view.same_day["High"].isEnabled() and not view.action.isEnabled()
    view.minutes["Medium"].setText("1")
    view.save()
    assert not view.findChildren(QMessageBox)
    editor = view.open_cadences()
    qtbot.waitUntil(lambda: editor.cadence_list.count() == 7, timeout=5000)
    assert not editor.step_form.isEnabled()
    qtbot.waitUntil(lambda: editor.preview.text().startswith("Preview on "), timeout=5000)
    editor.close()
    window.ctx.tasks.wait(5000)


def test_a_manager_reorders_a_step_and_previews_it_on_a_lead(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    editor = view.open_cadences()
    qtbot.waitUntil(lambda: editor.steps.rowCount() > 2, timeout=5000)
    editor.steps.setCurrentCell(0, 0)
    qtbot.waitUntil(lambda: editor.preview.text().startswith("Preview on "), timeout=5000)
    assert "{" not in editor.preview.text()  # placeholders filled from a real lead
    assert not editor.step_form.up_button.isEnabled()
    editor.steps.setCurrentCell(1, 0)
    moved = editor.current_step()
    first = _cell(editor, 0, 0)
    assert moved is not None and editor.step_form.up_button.isEnabled()
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        editor.step_form.up_button.click()
    assert editor.current_step() == editor.current_cadence().steps[0]  # type: ignore[union-attr]
    assert _cell(editor, 0, 2) == moved.subject
    assert _cell(editor, 0, 0) == first  # it took the first step's day
    editor.step_form.template.setPlainText("Hi {first_name}, about {company}: {owner_name}")
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        editor.step_form.save_button.click()
    assert editor.current_step().template.startswith("Hi {first_name}")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "\nHi " in editor.preview.text(), timeout=5000)
    assert "{" not in editor.preview.text()
    editor.close()
    window.ctx.tasks.wait(5000)


def test_the_nurture_timers_are_set_here_with_the_windows(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    """What the Calendar's cadence dialog used to hold (re-engagement, nurture) is on this page."""
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    assert view.fields["dormant_days"].text() == "30"
    assert view.fields["nurture_grace_days"].text() == "1"
    view.fields["dormant_days"].setText("45")
    view.fields["nurture_grace_days"].setText("2.5")
    view.minutes["Urgent"].setText("10")
    with qtbot.waitSignal(window.ctx.events.changed, timeout=5000):
        view.save_button.click()
    with demo_store.session() as s:
        saved = load_settings(s)
    assert (saved.dormant_days, saved.nurture_grace_days) == (45, 2.5)
    assert saved.sla_minutes["Urgent"] == 10
    qtbot.waitUntil(lambda: view.status.text() == "Saved.", timeout=5000)
    window.ctx.tasks.wait(5000)


def _sla_labels(reports: ReportsView) -> list[str]:
    return [bar.label for bar in reports.cards["sla"].plot.bars]


def test_a_saved_window_and_stale_limit_drive_the_countdown_the_alerts_and_the_report(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    # A brand-new Urgent lead in New, nobody's yet: by default its first response is due in
    # 5 minutes and New goes stale after 24 hours.
    with unit_of_work(demo_store.session_factory) as s:
        lead = add_urgent_lead(s, clock)
        new = s.scalars(select(Stage).where(Stage.name == "New")).one()
        lead.pipeline_id, lead.stage_id = new.pipeline_id, new.id
        lead.stage_entered_at = clock.now()
        zelda = lead.id
    _as_manager(window, demo_store)  # unassigned leads' alerts go to the manager
    center = install_alerts(window, interval_seconds=3600)
    fired: list[set[tuple[str, int | None]]] = []
    messages: dict[tuple[str, int | None], str] = {}

    def record(result: Any) -> None:
        fired.append({(a.kind, a.lead_id) for a in result.fired})
        messages.update({(a.kind, a.lead_id): a.message for a in result.fired})

    center.timer.swept.connect(record)
    qtbot.waitUntil(lambda: len(fired) == 1, timeout=10000)  # the sweep at start
    try:
        inbox = window.show_view("inbox")
        assert isinstance(inbox, InboxView)
        qtbot.waitUntil(lambda: inbox.model.rowCount() > 0, timeout=5000)
        with qtbot.waitSignal(inbox.model.loaded, timeout=5000):
            inbox.search.setText("Zelda Quickfire")
        assert inbox.model.rowCount() == 1
        countdown = inbox.model.index(0, inbox.model.countdown_column)
        assert countdown.data() == "05:00"
        reports = window.show_view("reports")
        assert isinstance(reports, ReportsView)
        qtbot.waitUntil(lambda: bool(reports.cards["sla"].plot.bars), timeout=20000)
        assert "Urgent  ·  5 min" in _sla_labels(reports)

        # The manager gives Urgent leads half an hour and New leads one hour.
        view = _open(window, qtbot)
        view.minutes["Urgent"].setText("30")
        view.stale["New"].setText("1")
        assert view.described["Urgent"].text() == "30 min"
        with qtbot.waitSignal(window.ctx.events.changed, timeout=5000):
            view.save_button.click()

        # The inbox countdown follows at once...
        window.show_view("inbox")
        qtbot.waitUntil(
            lambda: inbox.model.index(0, inbox.model.countdown_column).data() == "30:00",
            timeout=5000,
        )
        # ...and so does the SLA report's Urgent window.
        with qtbot.waitSignal(reports.computed, timeout=20000):
            window.show_view("reports")
        assert "Urgent  ·  30 min" in _sla_labels(reports)
        assert "Urgent  ·  5 min" not in _sla_labels(reports)

        # Ten minutes on, the old 5-minute window would have raised an alert; the new does not.
        clock.advance(minutes=10)
        with qtbot.waitSignal(center.timer.swept, timeout=10000):
            center.timer.sweep_now()
        assert ("sla", zelda) not in fired[-1] and ("stale", zelda) not in fired[-1]
        # Past half an hour the overdue alert comes, in the new window's words; past an hour
        # the stale alert too (under the old 24-hour limit New would not be stale yet).
        clock.advance(minutes=61)
        with qtbot.waitSignal(center.timer.swept, timeout=10000):
            center.timer.sweep_now()
        assert {("sla", zelda), ("stale", zelda)} <= fired[-1]
        assert "the Urgent window is 30 min" in messages[("sla", zelda)]
        qtbot.waitUntil(
            lambda: (
                {("sla", zelda), ("stale", zelda)}
                <= {(a.kind, a.lead_id) for a in center.model.rows()}
            ),
            timeout=5000,
        )
        # The countdown agrees: 41 minutes past the window, in red.
        window.show_view("inbox")
        inbox.ticker.timeout.emit()
        countdown = inbox.model.index(0, inbox.model.countdown_column)
        assert countdown.data() == "−41:00"
        assert countdown.data(BREACHED_ROLE) is True
    finally:
        assert center.timer.stop()
    window.ctx.tasks.wait(5000)


def _cell(editor: CadenceEditor, row: int, column: int) -> str:
    item = editor.steps.item(row, column)
    assert item is not None
    return item.text()


def _preview_lead(store: Store) -> Lead:
    """The lead a step is previewed on: the newest with an owner."""
    with store.session() as s:
        newest = select(Lead).where(Lead.owner_id.is_not(None)).order_by(Lead.id.desc())
        return s.scalars(newest.limit(1)).one()


def test_a_manager_adds_edits_and_removes_a_step_previewed_on_a_real_lead(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    editor = view.open_cadences()
    qtbot.waitUntil(lambda: editor.steps.rowCount() > 2, timeout=5000)
    cadence = editor.current_cadence()
    assert cadence is not None
    count = len(cadence.steps)
    last_day = max(st.offset_days for st in cadence.steps)
    lead = _preview_lead(demo_store)

    # Add: a LinkedIn step a week after the last one, its text with placeholders.
    form = editor.step_form
    form.offset.setValue(last_day + 7)
    form.channel.setCurrentIndex(form.channel.findData("linkedin"))
    form.subject.setText("Connect with {first_name}")
    form.template.setPlainText("Hi {first_name}, following up on {company}'s visit.")
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        form.add_button.click()
    assert editor.steps.rowCount() == count + 1
    assert [_cell(editor, count, c) for c in (1, 2)] == ["LinkedIn", "Connect with {first_name}"]
    editor.steps.setCurrentCell(count, 0)
    added = editor.current_step()
    assert added is not None and added.offset_days == last_day + 7
    # The preview fills the placeholders from a real lead.
    qtbot.waitUntil(lambda: "Hi " in editor.preview.text(), timeout=5000)
    assert editor.preview.text() == (
        f"Preview on {lead.display_name}:\nConnect with {lead.first_name}\n\n"
        f"Hi {lead.first_name}, following up on {lead.company}'s visit."
    )

    # Edit: a call, a day earlier.
    form.channel.setCurrentIndex(form.channel.findData("call"))
    form.offset.setValue(last_day + 6)
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        form.save_button.click()
    edited = editor.current_step()
    assert edited is not None and edited.id == added.id
    assert (edited.channel, edited.offset_days) == ("call", last_day + 6)
    assert _cell(editor, count, 1) == "Call"

    # Remove it: the cadence is as it was.
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        form.remove_button.click()
    assert editor.steps.rowCount() == count
    cadence = editor.current_cadence()
    assert cadence is not None and added.id not in [st.id for st in cadence.steps]
    editor.close()
    window.ctx.tasks.wait(5000)
