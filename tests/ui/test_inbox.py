"""The Inbox as a user meets it: chips filter in SQL, sorting, the live first-response
countdown (red once due passes, stopped by a logged contact), bulk assign, scoring settings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.leads.queries import LeadFilter, count_leads
from app.services.scoring import core as scoring
from app.services.team.users import UserInfo
from app.store.db import Store, unit_of_work
from app.ui import theme
from app.ui.common.lazy_model import ROW_ID_ROLE, ROW_ROLE
from app.ui.inbox.model import BREACHED_ROLE, InboxModel
from app.ui.inbox.sections import QuickActionsSection, ScoreSection
from app.ui.inbox.view import InboxView
from app.ui.main_window import MainWindow
from app.ui.timers import TimerThread
from app.ui.workers import TaskRunner
from tests.helpers.inbox_data import add_lead, add_urgent_lead


def _inbox(window: MainWindow, qtbot: QtBot, everyone: bool = True) -> InboxView:
    """The inbox view, loaded; with `everyone`, the rep's My leads chip is switched off."""
    view = window.show_view("inbox")
    assert isinstance(view, InboxView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    if everyone and view.chips["mine"].isChecked():
        with qtbot.waitSignal(view.model.loaded, timeout=5000):
            view.chips["mine"].click()
    return view


def test_a_rep_opens_on_my_leads(window: MainWindow, qtbot: QtBot, rep: UserInfo) -> None:
    view = _inbox(window, qtbot, everyone=False)
    assert view.chips["mine"].isChecked()
    assert {r.owner_id for r in _rows(view)} == {rep.id}


def _rows(view: InboxView) -> list[Any]:
    return [view.model.index(r, 0).data(ROW_ROLE) for r in range(view.model.rowCount())]


def test_tier_chip_filters_in_sql_and_shows_counts(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    view = _inbox(window, qtbot)
    with demo_store.session() as s:
        high = count_leads(s, LeadFilter(status="open", tiers=("High",)))
        urgent_high = count_leads(s, LeadFilter(status="open", tiers=("Urgent", "High")))
    qtbot.waitUntil(lambda: view.chips["High"].text() == f"High  {high}", timeout=5000)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        qtbot.mouseClick(view.chips["High"], Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == high > 0
    assert {r.tier for r in _rows(view)} == {"High"}
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        qtbot.mouseClick(view.chips["Urgent"], Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == urgent_high
    assert view.count.text() == f"{urgent_high} leads"


def test_my_leads_and_unassigned_exclude_each_other(
    window: MainWindow, qtbot: QtBot, rep: UserInfo
) -> None:
    view = _inbox(window, qtbot)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.chips["mine"].click()
    assert {r.owner_id for r in _rows(view)} == {rep.id}
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.chips["unassigned"].click()
    assert not view.chips["mine"].isChecked()
    assert all(r.owner_id is None for r in _rows(view))


def test_sorting_by_score_both_ways(window: MainWindow, qtbot: QtBot) -> None:
    view = _inbox(window, qtbot)
    scores = [r.score for r in _rows(view)]
    assert scores == sorted(scores, reverse=True)  # the inbox opens hottest first
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.table.sortByColumn(view.model.column_of_key("score"), Qt.SortOrder.AscendingOrder)
    scores = [r.score for r in _rows(view)]
    assert scores == sorted(scores)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.table.sortByColumn(view.model.column_of_key("name"), Qt.SortOrder.AscendingOrder)
    names = [r.name for r in _rows(view)][:50]
    assert names == sorted(names)


def test_search_as_you_type_is_debounced_and_filters(window: MainWindow, qtbot: QtBot) -> None:
    view = _inbox(window, qtbot)
    # keyClicks can only type what a keyboard event can carry: pick a plain-ASCII name.
    target = next(r for r in _rows(view)[3:] if r.name.isascii())
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        qtbot.keyClicks(view.search, target.name)
    assert target.id in {r.id for r in _rows(view)}
    assert all(target.name.lower() in r.name.lower() for r in _rows(view))


@pytest.fixture
def urgent_lead(demo_store: Store, clock: SettableClock) -> int:
    """A brand-new Urgent lead (first response due in 5 minutes), not contacted."""
    with unit_of_work(demo_store.session_factory) as s:
        lead = add_urgent_lead(s, clock)
        assert lead.tier == "Urgent"
        return lead.id


def test_countdown_turns_red_when_due_passes_and_stops_on_contact(
    window: MainWindow, qtbot: QtBot, clock: SettableClock, urgent_lead: int
) -> None:
    view = _inbox(window, qtbot)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.search.setText("Zelda Quickfire")
    assert view.model.rowCount() == 1
    cell = view.model.index(0, view.model.countdown_column)
    assert cell.data() == "05:00"
    assert cell.data(BREACHED_ROLE) is False

    clock.advance(minutes=3, seconds=20)
    with qtbot.waitSignal(view.model.dataChanged, timeout=3000):
        pass  # the once-a-second ticker repaints from the clock
    assert cell.data() == "01:40"
    assert cell.data(Qt.ItemDataRole.ForegroundRole) != theme.colors().q("danger")

    clock.advance(minutes=2, seconds=5)
    view.ticker.timeout.emit()
    assert cell.data() == "−00:25"
    assert cell.data(BREACHED_ROLE) is True
    assert cell.data(Qt.ItemDataRole.ForegroundRole) == theme.colors().q("danger")
    name = view.model.index(0, view.model.name_column)
    assert name.data(Qt.ItemDataRole.FontRole).bold()  # never contacted

    # The rep calls: Call opens the log dialog; logging it stops the clock.
    view.table.selectRow(0)
    qtbot.waitUntil(lambda: window.detail_panel.lead_id == urgent_lead, timeout=5000)
    actions = next(s for s in window.detail_panel.sections if isinstance(s, QuickActionsSection))
    qtbot.waitUntil(lambda: actions.lead_id == urgent_lead, timeout=5000)
    actions.buttons["call"].click()
    dialog = actions.log_dialog  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        dialog.ok.click()
    cell = view.model.index(0, view.model.countdown_column)
    assert cell.data() == "✓ 5 min"
    assert cell.data(BREACHED_ROLE) is False
    clock.advance(hours=2)
    view.ticker.timeout.emit()
    assert cell.data() == "✓ 5 min"  # stopped: time passing no longer changes it
    assert not view.model.index(0, view.model.name_column).data(Qt.ItemDataRole.FontRole)


def test_score_section_explains_the_selected_lead(
    window: MainWindow, qtbot: QtBot, urgent_lead: int
) -> None:
    window.show_view("inbox")
    window.ctx.events.lead_selected.emit(urgent_lead)
    section = next(s for s in window.detail_panel.sections if isinstance(s, ScoreSection))
    qtbot.waitUntil(
        lambda: section.explanation is not None and section.explanation.lead_id == urgent_lead,
        timeout=5000,
    )
    e = section.explanation
    assert e is not None
    assert "Urgent" in section.headline.text() and str(e.score) in section.headline.text()
    assert section.action.text() == "Contact within 5 minutes"
    assert "Demo request" in section.contributions.text()
    assert section.bars["intent"][1].text().startswith(str(e.sub_scores["intent"]))


def test_bulk_assign_moves_selected_leads(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    view = _inbox(window, qtbot)
    view.table.selectRow(0)
    view.table.selectionModel().select(
        view.model.index(1, 0),
        view.table.selectionModel().SelectionFlag.Select
        | view.table.selectionModel().SelectionFlag.Rows,
    )
    ids = view.selected_ids()
    assert len(ids) == 2 and not view.assign_button.isVisibleTo(view)  # a rep may not assign
    assert view.merge_button.isVisibleTo(view)  # but may merge the two
    with demo_store.session() as s:
        from app.services.team.users import list_users

        team = list_users(s)
    manager = next(u for u in team if u.role == "manager")
    target = next(u for u in team if u.role == "rep" and u.id != window.ctx.user.id)
    window.ctx.set_user(manager)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.loading, timeout=5000)
    view.table.selectionModel().clearSelection()
    view.table.selectRow(0)
    view.table.selectionModel().select(
        view.model.index(1, 0),
        view.table.selectionModel().SelectionFlag.Select
        | view.table.selectionModel().SelectionFlag.Rows,
    )
    ids = view.selected_ids()
    assert view.bulk.isVisibleTo(view) and view.assign_button.isVisibleTo(view)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.assign_selected(target.id)
    owners = {
        view.model.index(r, 0).data(ROW_ID_ROLE): view.model.index(r, 0).data(ROW_ROLE).owner
        for r in range(view.model.rowCount())
    }
    assert all(owners[i] == target.name for i in ids)


def test_scoring_dialog_previews_then_saves(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    from app.ui.inbox.scoring_dialog import ScoringSettingsDialog

    view = _inbox(window, qtbot)
    with demo_store.session() as s:
        from app.services.team.users import list_users

        window.ctx.set_user(next(u for u in list_users(s) if u.role == "manager"))
    dialog = ScoringSettingsDialog(window.ctx, view)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=5000)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert dialog.preview is not None and dialog.preview.changes == 0
    dialog.spins[("thresholds", "Urgent")].setValue(70)
    dialog._debounce.timeout.emit()
    qtbot.waitUntil(
        lambda: dialog.preview is not None and dialog.preview.changes > 0, timeout=10000
    )
    with demo_store.session() as s:
        rules = scoring.load_rules(s)
        rules["thresholds"]["Urgent"] = 70
        expected = scoring.preview_rules(s, clock, rules).changes
    assert dialog.preview.changes == expected
    assert f"{expected:,} of" in dialog.preview_label.text()

    dialog.spins[("thresholds", "Medium")].setValue(90)  # above High: refused
    dialog._debounce.timeout.emit()
    assert not dialog.save_button.isEnabled()
    assert "must rise" in dialog.preview_label.text()
    dialog.spins[("thresholds", "Medium")].setValue(40)
    dialog._debounce.timeout.emit()
    with qtbot.waitSignal(dialog.accepted, timeout=15000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: not window.ctx.tasks.busy, timeout=10000)
    with demo_store.session() as s:
        assert scoring.load_rules(s)["thresholds"]["Urgent"] == 70
        assert count_leads(s, LeadFilter(tiers=("Urgent",))) > 0


def test_inbox_model_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: Any, demo_store: Store, clock: SettableClock
) -> None:
    runner = TaskRunner(demo_store.session_factory)
    model = InboxModel(runner, clock)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.reload()
    qtmodeltester.check(model, force_py=True)
    model.tick()
    runner.wait()


def test_countdown_text_formats() -> None:
    from datetime import UTC, datetime

    from app.services.leads.queries import LeadRow
    from app.ui.inbox.model import countdown_text

    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    base: dict[str, Any] = dict(
        id=1,
        name="A",
        first_name=None,
        last_name=None,
        email=None,
        company=None,
        title=None,
        phone=None,
        country=None,
        stage=None,
        stage_id=None,
        status="open",
        owner=None,
        owner_id=None,
        source=None,
        event=None,
        captured_at=now - timedelta(minutes=30),
        first_contacted_at=None,
        deal_value=None,
        incomplete=False,
        score=85,
        tier="Urgent",
        version=1,
    )
    due_soon = LeadRow(**base, first_response_due=now + timedelta(minutes=4, seconds=5))
    assert countdown_text(due_soon, now) == ("04:05", False)
    later = LeadRow(**base, first_response_due=now + timedelta(hours=3, minutes=10))
    assert countdown_text(later, now) == ("3 h left", False)
    late = LeadRow(**base, first_response_due=now - timedelta(hours=2))
    assert countdown_text(late, now) == ("−2 h", True)
    none = LeadRow(**base)
    assert countdown_text(none, now) == ("–", False)
    lost = LeadRow(**{**base, "status": "lost"}, first_response_due=now - timedelta(hours=2))
    assert countdown_text(lost, now) == ("–", False)  # a closed lead has no clock


def test_the_timer_sweep_applies_decay_and_the_inbox_follows(
    window: MainWindow, qtbot: QtBot, clock: SettableClock, urgent_lead: int
) -> None:
    view = _inbox(window, qtbot)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.search.setText("Zelda Quickfire")
    assert view.model.index(0, 0).data(ROW_ROLE).tier == "Urgent"
    clock.advance(days=60)  # the demo request and the hot badge scan have faded
    timer = TimerThread(window.ctx, None, interval_seconds=3600)
    try:
        # The sweep (not the view) decays scores; the inbox refreshes from its broadcast.
        with qtbot.waitSignal(view.model.loaded, timeout=20000):
            timer.start()
    finally:
        assert timer.stop()
    row = view.model.index(0, 0).data(ROW_ROLE)
    assert row.id == urgent_lead and row.tier != "Urgent" and row.intent < 5


def _manager(demo_store: Store) -> UserInfo:
    from app.services.team.users import list_users

    with demo_store.session() as s:
        return next(u for u in list_users(s) if u.role == "manager")


def _owners(demo_store: Store) -> dict[int, int | None]:
    from sqlalchemy import select

    from app.models import Lead

    with demo_store.session() as s:
        return {i: o for i, o in s.execute(select(Lead.id, Lead.owner_id))}


def _select_two(view: InboxView) -> list[int]:
    view.table.selectionModel().clearSelection()
    view.table.selectRow(0)
    view.table.selectionModel().select(
        view.model.index(1, 0),
        view.table.selectionModel().SelectionFlag.Select
        | view.table.selectionModel().SelectionFlag.Rows,
    )
    return view.selected_ids()


def test_a_rep_sees_no_assign_or_scoring_controls_and_a_manager_does(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    view = _inbox(window, qtbot)
    assert not view.settings_button.isVisibleTo(view)
    assert len(_select_two(view)) == 2 and not view.assign_button.isVisibleTo(view)
    assert not view.reroute_button.isVisibleTo(view)
    window.ctx.set_user(_manager(demo_store))
    assert view.settings_button.isVisibleTo(view)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.loading, timeout=5000)
    assert len(_select_two(view)) == 2
    assert view.bulk.isVisibleTo(view)
    assert view.assign_button.isVisibleTo(view) and view.reroute_button.isVisibleTo(view)


def test_the_api_refuses_a_rep_who_assigns_anyway_with_one_clear_message(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    from PySide6.QtWidgets import QMessageBox

    view = _inbox(window, qtbot)
    ids = _select_two(view)
    before = _owners(demo_store)
    target = next(uid for uid in before.values() if uid is not None)
    view.assign_selected(target)  # the hidden control's action, called directly
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox)), timeout=5000)
    box = view.findChildren(QMessageBox)[0]
    assert box.text() == (
        f"Only a manager or the owner can assign or reassign leads; "
        f"{window.ctx.user.name} is a rep."
    )
    assert box.detailedText() == ""  # a refusal is the whole story: no traceback
    view.reroute_selected()
    qtbot.waitUntil(lambda: len(view.findChildren(QMessageBox)) == 2, timeout=5000)
    assert "can assign or reassign leads" in view.findChildren(QMessageBox)[1].text()
    assert _owners(demo_store) == before and len(ids) == 2


def test_a_manager_reroutes_the_selection_and_the_inbox_follows(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    view = _inbox(window, qtbot)
    window.ctx.set_user(_manager(demo_store))
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and not view.model.loading, timeout=5000)
    ids = _select_two(view)
    messages: list[str] = []
    window.ctx.events.status_message.connect(messages.append)
    with qtbot.waitSignal(window.ctx.events.changed, timeout=5000) as changed:
        view.reroute_selected()
    assert all(changed.args[0].affects(i) for i in ids)
    qtbot.waitUntil(lambda: any(m.startswith("Re-routed 2 lead(s)") for m in messages))
    from sqlalchemy import select

    from app.models import Lead

    with demo_store.session() as s:
        reasons = s.scalars(select(Lead.routing_reason).where(Lead.id.in_(ids))).all()
    assert len(reasons) == 2 and all(reasons)


def test_quick_actions_offer_take_to_a_rep_and_assign_to_a_manager(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    with unit_of_work(demo_store.session_factory) as s:
        free = add_lead(s, clock.now(), display_name="Nobody's Lead", status="open").id
    window.show_view("inbox")
    actions = next(s for s in window.detail_panel.sections if isinstance(s, QuickActionsSection))
    window.ctx.events.lead_selected.emit(free)
    qtbot.waitUntil(lambda: actions.lead_id == free, timeout=5000)
    assert actions.take.isVisibleTo(actions) and not actions.assign.isVisibleTo(actions)
    with qtbot.waitSignal(window.ctx.events.changed, timeout=5000):
        actions.take.click()
    assert _owners(demo_store)[free] == window.ctx.user.id
    qtbot.waitUntil(lambda: not actions.take.isVisibleTo(actions), timeout=5000)  # it is theirs

    window.ctx.set_user(_manager(demo_store))
    assert actions.assign.isVisibleTo(actions) and not actions.take.isVisibleTo(actions)


def test_a_rep_can_preview_scoring_rules_but_not_save_them(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    from app.ui.inbox.scoring_dialog import ScoringSettingsDialog

    view = _inbox(window, qtbot)
    dialog = ScoringSettingsDialog(window.ctx, view)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    assert not dialog.save_button.isEnabled()
    dialog.spins[("thresholds", "Urgent")].setValue(70)
    dialog.save()  # the disabled button's action, called directly: the API refuses
    qtbot.waitUntil(lambda: "Only a manager" in dialog.preview_label.text(), timeout=10000)
    assert "can change the scoring rules" in dialog.preview_label.text()
    with demo_store.session() as s:
        assert scoring.load_rules(s)["thresholds"]["Urgent"] == 80


def test_a_search_while_new_leads_are_indexed_says_so_then_finds_them(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    from app.store.search import SEARCH_TABLE, catch_up_search

    view = _inbox(window, qtbot)
    target = next(r for r in _rows(view)[3:] if r.name.isascii())
    # A big import's new leads wait for the search index (as `search_later` leaves them):
    # the target and 49 others are not in it yet.
    with demo_store.session() as s:
        s.connection().exec_driver_sql(
            f"DELETE FROM {SEARCH_TABLE} WHERE rowid IN "
            f"(SELECT id FROM leads WHERE id != {target.id} LIMIT 49)"
        )
        s.connection().exec_driver_sql(f"DELETE FROM {SEARCH_TABLE} WHERE rowid = {target.id}")
        s.commit()
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.search.setText(target.name)
    qtbot.waitUntil(lambda: not view.indexing.isHidden(), timeout=5000)
    assert view.indexing.text() == "· indexing 50 new leads for search…"
    assert target.id not in {r.id for r in _rows(view)}  # missing for now, as it says
    with demo_store.session() as s:
        assert catch_up_search(s) == 50
        s.commit()
    # It looks again on its own: the note goes, and the lead is found.
    qtbot.waitUntil(lambda: view.indexing.isHidden(), timeout=5000)
    qtbot.waitUntil(lambda: target.id in {r.id for r in _rows(view)}, timeout=5000)
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.rowCount() > 1, timeout=5000)
    assert view.indexing.isHidden()
