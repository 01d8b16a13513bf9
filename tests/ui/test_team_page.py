"""The Team page walked end to end: a manager adds and edits members, sets an out-of-office
range that routing then honours, deactivates a rep whose leads go where the dialog said; a rep
sees it read-only. The status bar says who you are and how that was decided."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import QDate, QItemSelectionModel
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.clock import SettableClock
from app.models import Lead
from app.services.leads import api as leads_api
from app.services.team.users import UserInfo, list_users
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.main_window import MainWindow
from app.ui.team.model import USER_ROLE, TeamModel
from app.ui.team.view import TeamView


def _manager(store: Store) -> UserInfo:
    with store.session() as s:
        return next(u for u in list_users(s) if u.role == "manager")


def _row_of(view: TeamView, name: str) -> int:
    return next(r for r in range(view.model.rowCount()) if view.model.rows[r].user.name == name)


def _open_view(window: MainWindow, qtbot: QtBot) -> TeamView:
    view = window.show_view("team")
    assert isinstance(view, TeamView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    return view


def test_the_team_model_passes_the_model_tester(
    qtmodeltester, window: MainWindow, qtbot: QtBot
) -> None:  # type: ignore[no-untyped-def]
    view = _open_view(window, qtbot)
    qtmodeltester.check(view.model)
    assert isinstance(view.model, TeamModel)


def test_out_of_office_ranges_list_earliest_first_once_each(
    qtbot: QtBot, qtmodeltester: Any
) -> None:
    from datetime import date

    from app.ui.team.dialogs import MemberDialog

    may, june = (date(2026, 5, 4), date(2026, 5, 8)), (date(2026, 6, 1), date(2026, 6, 3))
    dialog = MemberDialog(date(2026, 4, 1))
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.absence_model)
    for start, end in (june, may, june):
        dialog.away_from.setDate(QDate(start.year, start.month, start.day))
        dialog.away_to.setDate(QDate(end.year, end.month, end.day))
        dialog._add_clicked()
    assert dialog.ranges() == [may, june]
    assert dialog.absence_model.index(0, 0).data() == "2026-05-04 – 2026-05-08"
    dialog.away_from.setDate(QDate(2026, 7, 9))
    dialog.away_to.setDate(QDate(2026, 7, 2))
    dialog._add_clicked()
    assert dialog.error.text() == "The out-of-office range ends before it starts."
    assert dialog.ranges() == [may, june]
    dialog.absences.selectionModel().select(
        dialog.absence_model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    dialog._remove_clicked()
    assert dialog.ranges() == [june]


def test_a_rep_sees_the_team_read_only_and_who_they_are(
    window: MainWindow, qtbot: QtBot, rep: UserInfo
) -> None:
    view = _open_view(window, qtbot)
    assert not view.add_button.isVisible() and not view.edit_button.isVisible()
    assert "Read-only" in view.note.text()
    view.table.selectRow(0)
    view.edit_member()
    assert view.dialog is None  # nothing opens for a rep
    assert window.user_label.text() == (
        f"{rep.name} · rep — chosen at start-up on this workstation"
    )
    assert window.switch_user_action.isVisible()  # a local store: switching stays


def test_a_manager_adds_edits_sets_away_and_routing_skips_them(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    window.ctx.set_user(_manager(demo_store), "switched on this workstation")
    view = _open_view(window, qtbot)
    assert view.add_button.isVisible()
    view.add_member()
    dialog = view.dialog
    dialog.name.setText("Nina Neu")
    dialog.email.setText("nina@example.com")
    dialog.territory.setText("Mars")
    dialog.capacity.setValue(30)
    dialog.timezone.setCurrentText("Europe/Berlin")
    dialog.hours_on.setChecked(True)
    dialog.accept()
    qtbot.waitUntil(lambda: any(r.user.name == "Nina Neu" for r in view.model.rows), timeout=5000)
    qtbot.waitUntil(
        lambda: view.model.rows[_row_of(view, "Nina Neu")].user.timezone == "Europe/Berlin",
        timeout=5000,
    )
    nina = view.model.rows[_row_of(view, "Nina Neu")].user
    assert (nina.territory, nina.capacity, nina.work_hours) == ("Mars", 30, "09:00-17:30")
    # Out of office today and tomorrow, set through the edit dialog.
    view.table.selectRow(_row_of(view, "Nina Neu"))
    view.edit_member()
    today = clock.now().date()
    view.dialog.away_to.setDate(view.dialog.away_to.date().addDays(1))
    view.dialog._add_clicked()
    view.dialog.accept()
    row = _row_of(view, "Nina Neu")
    qtbot.waitUntil(
        lambda: view.model.rows[_row_of(view, "Nina Neu")].user.absences != (), timeout=5000
    )
    row = _row_of(view, "Nina Neu")
    assert view.model.index(row, 5).data() == f"Away until {today + timedelta(days=1):%d %b}"
    # A lead only a rule for Nina's territory would send to her: routing skips her today.
    from app.models import RoutingRule

    with demo_store.session() as s:
        s.add(
            RoutingRule(
                position=-1, name="Mars", conditions={"country": ["Mars"]}, target_user_id=nina.id
            )
        )
        s.commit()
    actor = window.ctx.actor
    lead = leads_api.create_lead(
        UnitOfWork(demo_store.session_factory, clock),
        actor,
        {"first_name": "Ada", "last_name": "Away", "company": "Red Planet", "country": "Mars"},
    ).value
    with demo_store.session() as s:
        assert s.get(Lead, lead).owner_id not in (None, nina.id)  # type: ignore[union-attr]
    # Back at work, the rule reaches her (another company: Red Planet now has an account owner).
    clock.set(clock.now() + timedelta(days=2))
    lead2 = leads_api.create_lead(
        UnitOfWork(demo_store.session_factory, clock),
        actor,
        {"first_name": "Bo", "last_name": "Back", "company": "Olympus Mons", "country": "Mars"},
    ).value
    with demo_store.session() as s:
        assert s.get(Lead, lead2).owner_id == nina.id  # type: ignore[union-attr]
    window.ctx.tasks.wait()


def test_deactivating_a_rep_moves_their_leads_where_the_dialog_said(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    window.ctx.set_user(_manager(demo_store), "switched on this workstation")
    view = _open_view(window, qtbot)
    busiest = max((r for r in view.model.rows if r.user.role == "rep"), key=lambda r: r.open_leads)
    assert busiest.open_leads > 0
    view.table.selectRow(_row_of(view, busiest.user.name))
    view.deactivate_member()
    dialog = view.dialog
    target = next(r.user for r in view.model.rows if r.user.role == "rep" and r is not busiest)
    dialog.target.setCurrentIndex(dialog.target.findData(target.id))
    before = next(r.open_leads for r in view.model.rows if r.user.id == target.id)
    dialog.accept()
    qtbot.waitUntil(
        lambda: (
            view.model.data(view.model.index(_row_of(view, busiest.user.name), 0), USER_ROLE).active
            is False
        ),
        timeout=5000,
    )
    row = _row_of(view, busiest.user.name)
    assert view.model.index(row, 5).data() == "Deactivated"
    with demo_store.session() as s:
        left = s.scalar(
            select(func.count()).where(Lead.owner_id == busiest.user.id, Lead.status == "open")
        )
        gained = s.scalar(
            select(func.count()).where(Lead.owner_id == target.id, Lead.status == "open")
        )
    assert left == 0 and gained == before + busiest.open_leads
    window.ctx.tasks.wait()


@pytest.mark.postgres
def test_on_a_team_database_you_are_your_login_and_cannot_switch(
    qtbot: QtBot, pg_store: Store, clock: SettableClock
) -> None:
    from app.ui.app import build_window, ensure_app

    ensure_app()
    user = UserInfo(1, "Ana Rep", "ana@example.com", "rep", None, 10, True)
    win = build_window(pg_store, clock, user)
    qtbot.addWidget(win)
    win.show()
    assert win.user_label.text() == "Ana Rep · rep — PostgreSQL login postgres"
    assert not win.switch_user_action.isVisible()
    win.ctx.tasks.wait()
