"""The lead panel as a rep uses it: edit in place (tier change shown), log with outcome and
next step (seen in the calendar), undo of the last log, Won / Lost from the panel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Activity, Lead
from app.services.followups.days import local_day
from app.services.followups.planned import list_followups
from app.services.team.users import get_user
from app.store.db import Store, unit_of_work
from app.ui.app import build_window, ensure_app
from app.ui.calendar.view import CalendarView
from app.ui.detail_actions import RecordActionsSection
from app.ui.detail_facts import FactsSection
from app.ui.detail_timeline import TimelineSection
from app.ui.main_window import MainWindow
from tests.helpers.pipeline import make_lead, setup

FIT = {
    "company": "Analytical Engines",
    "title": "CTO",
    "industry": "Software",
    "headcount": "300",
    "country": "United States",
    "timeframe": "Immediately",
}

# Everything Commercial review asks before Won.
SIGNED = {"proposal_received": "yes", "review_date": "2026-02-20", "signed_at": "2026-03-01"}


@pytest.fixture
def leads(sqlite_store: Store, clock: SettableClock) -> dict[str, Any]:
    with unit_of_work(sqlite_store.session_factory) as s:
        people, stages = setup(s, clock)
        rep = people["rep"].id
        fit = make_lead(s, clock, name="Ada Lovelace", owner_id=rep, **FIT)
        review = stages["Commercial review"]
        signed = make_lead(s, clock, review, name="Signed Co", owner_id=rep, **SIGNED)
        unsigned = make_lead(s, clock, review, name="Unsigned Co", owner_id=rep)
        from app.services.scoring.core import rescore_leads

        rescore_leads(s, clock, [fit.id, signed.id, unsigned.id])
        return {
            "rep": rep,
            "fit": fit.id,
            "signed": signed.id,
            "unsigned": unsigned.id,
        }


@pytest.fixture
def win(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, leads: dict[str, Any]
) -> Iterator[MainWindow]:
    ensure_app()
    with sqlite_store.session() as s:
        rep = get_user(s, leads["rep"])
    assert rep is not None
    window = build_window(sqlite_store, clock, rep)
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    yield window
    window.ctx.tasks.wait(5000)


def _section(window: MainWindow, kind: type) -> Any:
    return next(s for s in window.detail_panel.sections if isinstance(s, kind))


def _select(window: MainWindow, qtbot: QtBot, lead_id: int) -> None:
    window.ctx.events.lead_selected.emit(lead_id)
    panel = window.detail_panel
    qtbot.waitUntil(
        lambda: panel.detail is not None and panel.detail.row.id == lead_id, timeout=5000
    )


def _lead(store: Store, lead_id: int) -> Lead:
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        s.expunge(lead)
        return lead


def test_editing_a_scoring_input_in_place_rescores_and_shows_the_tier_change(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    before = _lead(sqlite_store, leads["fit"])
    _select(win, qtbot, leads["fit"])
    facts: FactsSection = _section(win, FactsSection)
    field = facts.field("budget")
    qtbot.waitUntil(lambda: bool(field.choices), timeout=5000)  # the rules' budget words
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_F2)
    assert field.editing
    qtbot.keyClick(field.combo, Qt.Key.Key_Escape)  # Esc cancels: nothing saved
    assert not field.editing
    qtbot.mouseDClick(field.label, Qt.MouseButton.LeftButton)
    assert field.editing
    field.combo.setEditText("Approved")
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        qtbot.keyClick(field.combo.lineEdit(), Qt.Key.Key_Return)
    after = _lead(sqlite_store, leads["fit"])
    assert after.qualifiers["budget"] == "Approved" and after.score > before.score
    assert after.tier != before.tier
    assert facts.tier_note.isVisible()
    assert f"{before.tier} → {after.tier}" in facts.tier_note.text()
    qtbot.waitUntil(lambda: field.label.text() == "Approved", timeout=5000)


def test_a_bad_email_is_refused_inline_and_nothing_changes(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    _select(win, qtbot, leads["fit"])
    facts: FactsSection = _section(win, FactsSection)
    field = facts.field("email")
    field.start_edit()
    field.line.setText("ada@")
    qtbot.keyClick(field.line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: facts.error.isVisible(), timeout=5000)
    assert "not an e-mail" in facts.error.text() and field.editing
    assert _lead(sqlite_store, leads["fit"]).email is None


def _activities(store: Store, lead_id: int) -> list[Activity]:
    with store.session() as s:
        return list(s.scalars(select(Activity).where(Activity.lead_id == lead_id)))


def test_call_opens_the_log_dialog_and_the_next_step_lands_in_the_calendar(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    _select(win, qtbot, leads["fit"])
    actions: RecordActionsSection = _section(win, RecordActionsSection)
    actions.buttons["call"].click()
    dialog = actions.log_dialog
    assert dialog is not None and dialog.isVisible()
    assert _activities(sqlite_store, leads["fit"]) == []  # a click alone logs nothing
    assert _lead(sqlite_store, leads["fit"]).first_contacted_at is None
    dialog.outcome.setCurrentIndex(dialog.outcome.findData("left_voicemail"))
    assert dialog.schedule.isChecked()  # a voicemail asks for the next try
    dialog.note.setPlainText("Call back after lunch")
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        dialog.ok.click()
    done = [a for a in _activities(sqlite_store, leads["fit"]) if a.status == "done"]
    assert [(a.type, a.outcome, a.notes) for a in done] == [
        ("call", "Left voicemail", "Call back after lunch")
    ]
    with sqlite_store.session() as s:
        (planned,) = list_followups(s)
    assert planned.lead_id == leads["fit"]
    due = planned.due_at.astimezone()  # the preset: the next working day, 9:00 local time
    assert (due.hour, due.minute) == (9, 0) and due.weekday() < 5
    view = win.show_view("calendar")
    assert isinstance(view, CalendarView)
    view.selected_day = local_day(planned.due_at)
    view.set_mode("week")
    qtbot.waitUntil(
        lambda: any(c.model.row_of(planned.id) >= 0 for c in view.day_columns), timeout=5000
    )

    # The timeline shows the call with its outcome; Undo takes it back.
    timeline: TimelineSection = _section(win, TimelineSection)
    qtbot.waitUntil(lambda: timeline.model.rowCount() >= 3, timeout=5000)
    texts = [timeline.model.item(r).text for r in range(timeline.model.rowCount())]
    assert "Call · Left voicemail" in texts
    assert timeline.undo_button.isVisibleTo(timeline)
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        timeline.undo_button.click()
    assert _activities(sqlite_store, leads["fit"]) == []
    assert _lead(sqlite_store, leads["fit"]).first_contacted_at is None
    qtbot.waitUntil(lambda: not timeline.undo_button.isVisibleTo(timeline), timeout=5000)


def test_a_note_from_the_timeline(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    _select(win, qtbot, leads["fit"])
    timeline: TimelineSection = _section(win, TimelineSection)
    timeline.note.setText("Met at the booth, wants a demo")
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        qtbot.keyClick(timeline.note, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: any(
            timeline.model.item(r).detail == "Met at the booth, wants a demo"
            for r in range(timeline.model.rowCount())
        ),
        timeout=5000,
    )
    assert timeline.note.text() == ""


def test_won_from_the_panel_goes_through_the_gate(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    _select(win, qtbot, leads["unsigned"])
    actions: RecordActionsSection = _section(win, RecordActionsSection)
    assert actions.won_button.isVisibleTo(actions)
    actions.won_button.click()
    qtbot.waitUntil(lambda: actions.gate_dialog is not None, timeout=5000)
    assert actions.gate_dialog is not None and actions.gate_dialog.isVisible()
    assert _lead(sqlite_store, leads["unsigned"]).status == "open"
    actions.gate_dialog.reject()

    _select(win, qtbot, leads["signed"])
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        actions.won_button.click()
    assert _lead(sqlite_store, leads["signed"]).status == "won"
    qtbot.waitUntil(lambda: not actions.won_button.isVisibleTo(actions), timeout=5000)


def test_lost_from_the_panel_asks_for_the_reason(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    _select(win, qtbot, leads["unsigned"])
    actions: RecordActionsSection = _section(win, RecordActionsSection)
    actions.lost_button.click()
    qtbot.waitUntil(lambda: actions.exit_dialog is not None, timeout=5000)
    dialog = actions.exit_dialog
    assert dialog is not None and not dialog.ok.isEnabled()  # no reason chosen yet
    dialog.reason.setCurrentIndex(dialog.reason.findData("no_budget"))
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        dialog.ok.click()
    lead = _lead(sqlite_store, leads["unsigned"])
    assert lead.status == "lost"


def test_a_follow_up_from_an_empty_calendar_slot(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, clock: SettableClock, leads: dict[str, Any]
) -> None:
    view = win.show_view("calendar")
    assert isinstance(view, CalendarView)
    with qtbot.waitSignal(view.loaded, timeout=5000):
        view.set_mode("week")
    column = view.day_columns[4]  # Friday of this week, empty
    day = column.model.day
    assert day is not None and column.model.rowCount() == 0
    qtbot.mouseDClick(column.list.viewport(), Qt.MouseButton.LeftButton)
    dialog = view.new_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.ok.isEnabled()
    dialog.search.setText("Ada")
    dialog.find_leads()
    qtbot.waitUntil(lambda: dialog.match_model.rowCount() == 1, timeout=5000)
    assert dialog.match_model.index(0, 0).data().startswith("Ada")
    dialog.kind.setCurrentIndex(dialog.kind.findData("meeting"))
    with qtbot.waitSignal(view.loaded, timeout=5000):
        dialog.ok.click()
    with sqlite_store.session() as s:
        (planned,) = list_followups(s)
    assert (planned.lead_id, planned.type) == (leads["fit"], "meeting")
    assert local_day(planned.due_at) == day
    qtbot.waitUntil(lambda: column.model.row_of(planned.id) >= 0, timeout=5000)


def test_the_new_lead_form_takes_the_scoring_inputs(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store
) -> None:
    from app.ui.leads.new_lead import NewLeadDialog

    dialog = NewLeadDialog(win.ctx, win)
    qtbot.addWidget(dialog)
    values = {**FIT, "first_name": "Grace", "last_name": "Hopper", "budget": "Approved"}
    for key, value in values.items():
        dialog.inputs[key].setText(value)
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        dialog.create_button.click()
    assert dialog.created_id is not None
    lead = _lead(sqlite_store, dialog.created_id)
    assert (lead.industry, lead.headcount, lead.qualifiers["timeframe"]) == (
        "Software",
        300,
        "Immediately",
    )
    assert lead.tier in ("High", "Urgent")  # a perfect fit no longer tops out at Medium


def test_gate_facts_filled_in_the_panel_let_won_through(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, leads: dict[str, Any]
) -> None:
    from app.ui.detail_facts import QualificationSection

    _select(win, qtbot, leads["unsigned"])
    section: QualificationSection = _section(win, QualificationSection)
    signed = section.field("signed_at")
    signed.start_edit()
    signed.line.setText("last tuesday")
    qtbot.keyClick(signed.line, Qt.Key.Key_Return)
    qtbot.waitUntil(section.error.isVisible, timeout=5000)
    assert "date like" in section.error.text()
    for key, text in SIGNED.items():
        field = section.field(key)
        field.start_edit()
        field.editor().setFocus()
        if field.choices:
            field.combo.setEditText("Yes")
            target = field.combo.lineEdit()
        else:
            field.line.setText(text)
            target = field.line
        with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
            qtbot.keyClick(target, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda f=field: not f.editing, timeout=5000)
    assert _lead(sqlite_store, leads["unsigned"]).details == {
        "proposal_received": True,
        "review_date": "2026-02-20",
        "signed_at": "2026-03-01",
    }
    actions: RecordActionsSection = _section(win, RecordActionsSection)
    version = _lead(sqlite_store, leads["unsigned"]).version
    qtbot.waitUntil(
        lambda: actions.detail is not None and actions.detail.row.version == version,
        timeout=5000,
    )  # the panel has reloaded after the last save
    with qtbot.waitSignal(win.ctx.events.changed, timeout=5000):
        actions.won_button.click()
    assert _lead(sqlite_store, leads["unsigned"]).status == "won"


def test_a_stale_edit_names_who_changed_the_lead(
    win: MainWindow, qtbot: QtBot, sqlite_store: Store, clock: SettableClock, leads: dict[str, Any]
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from app.services.auth import Actor
    from app.services.leads import api as leads_api
    from app.store.uow import UnitOfWork

    _select(win, qtbot, leads["fit"])
    facts: FactsSection = _section(win, FactsSection)
    with sqlite_store.session() as s:
        manager = next(u for u in setup(s, clock)[0].values() if u.role == "manager")
        other = Actor(manager.id, manager.name, manager.role)
    leads_api.edit_lead(
        UnitOfWork(sqlite_store.session_factory, clock), other, leads["fit"], {"title": "CEO"}
    )
    field = facts.field("title")
    field.start_edit()
    field.line.setText("CIO")
    qtbot.keyClick(field.line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: facts.findChild(QMessageBox) is not None, timeout=5000)
    box = facts.findChild(QMessageBox)
    assert box is not None and "Marcus Webb" in box.text()
    assert _lead(sqlite_store, leads["fit"]).title == "CEO"  # nothing overwritten
    qtbot.waitUntil(lambda: field.label.text() == "CEO", timeout=5000)  # the panel reloaded


def test_the_timeline_model_is_a_sound_item_model(qtmodeltester, clock: SettableClock) -> None:  # type: ignore[no-untyped-def]
    from app.services.leads.detail import HistoryItem
    from app.ui.detail_timeline import TimelineModel

    ensure_app()
    model = TimelineModel()
    model.set_items(
        [
            HistoryItem(clock.now(), "note", "Note", "Priya", "Wants a demo", "note", 1),
            HistoryItem(clock.now(), "activity", "Call · Connected", None, None, "call", 2),
            HistoryItem(clock.now(), "blocked", "Blocked moving New → Won"),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(2, 0).data(Qt.ItemDataRole.ForegroundRole) is not None  # red
