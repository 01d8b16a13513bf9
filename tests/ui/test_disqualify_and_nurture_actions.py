"""Inbox Disqualify asks the revisit date that "bad timing" needs; an offer-to-nurture alert
moves its lead to Nurture in one click (issue 14 rules meeting the inbox and alerts UI)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.models import Alert, Lead, Stage
from app.services.team.users import UserInfo, get_user
from app.store.db import Store, unit_of_work
from app.ui.alerts import AlertCenter, AlertDelegate, AlertsPanel
from app.ui.app import ensure_app
from app.ui.context import AppContext
from app.ui.inbox.disqualify_dialog import DisqualifyDialog
from app.ui.inbox.sections import QuickActionsSection
from app.ui.main_window import MainWindow
from app.ui.workers import TaskRunner
from tests.helpers.followups import make_lead, make_team


def _lead(store: Store, lead_id: int) -> Lead:
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        s.expunge(lead)
        return lead


def test_disqualify_for_bad_timing_asks_a_revisit_date_first(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock, rep: UserInfo
) -> None:
    with demo_store.session() as s:
        lead_id = s.query(Lead.id).filter(Lead.owner_id == rep.id, Lead.status == "open").first()
    assert lead_id is not None
    lead_id = lead_id[0]
    window.show_view("inbox")
    actions = next(s for s in window.detail_panel.sections if isinstance(s, QuickActionsSection))
    window.ctx.events.lead_selected.emit(lead_id)
    qtbot.waitUntil(lambda: actions.lead_id == lead_id, timeout=5000)
    actions.disqualify_button.click()
    dialog = actions.disqualify_dialog
    assert isinstance(dialog, DisqualifyDialog) and dialog.isVisible()
    assert not dialog.revisit.isVisibleTo(dialog) and dialog.ok.isEnabled()  # no_authority
    dialog.reason.setCurrentIndex(dialog.reason.findData("bad_timing"))
    assert dialog.revisit.isVisibleTo(dialog) and dialog.revisit.edit.text() == ""
    assert not dialog.ok.isEnabled() and not dialog.error.isVisibleTo(dialog)  # required
    today = clock.now().astimezone(UTC).date()
    for typed, says in (("2026-13-40", "is not a date"), (today.isoformat(), "after today")):
        dialog.revisit.edit.setText(typed)
        assert not dialog.ok.isEnabled() and says in dialog.error.text()
        assert dialog.error.isVisibleTo(dialog)
    revisit = today + timedelta(days=60)
    dialog.revisit.edit.setText(revisit.isoformat())
    assert dialog.ok.isEnabled() and not dialog.error.isVisibleTo(dialog)
    with qtbot.waitSignal(window.ctx.events.changed, timeout=5000):
        dialog.ok.click()
    lead = _lead(demo_store, lead_id)
    assert (lead.status, lead.disqualify_reason) == ("disqualified", "bad_timing")
    assert lead.revisit_at == datetime(revisit.year, revisit.month, revisit.day, 9, tzinfo=UTC)


@pytest.fixture
def offer(sqlite_store: Store, clock: SettableClock) -> tuple[int, int]:
    """A New lead of rep A's with an unread offer to nurture it (no stated timing)."""
    with unit_of_work(sqlite_store.session_factory) as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now(), tier="Medium", qualifiers={})
        lead.pipeline_id = s.get(Stage, team.stages["New"]).pipeline_id
        s.add(
            Alert(
                key=f"offer_nurture:{lead.id}:{clock.now().isoformat()}:no_timing",
                kind="offer_nurture",
                lead_id=lead.id,
                user_id=team.rep_a,
                level="info",
                message="Jane Doe states no timing: offer it to nurture.",
                fired_at=clock.now(),
            )
        )
        s.flush()
        return team.rep_a, lead.id


@pytest.fixture
def ctx(qtbot: QtBot, sqlite_store: Store, clock: SettableClock, offer) -> Iterator[AppContext]:  # type: ignore[no-untyped-def]
    ensure_app()
    with sqlite_store.session() as s:
        user = get_user(s, offer[0])
    assert user is not None
    runner = TaskRunner(sqlite_store.session_factory)
    yield AppContext(store=sqlite_store, clock=clock, user=user, tasks=runner)
    runner.wait(5000)


def test_an_offer_to_nurture_alert_moves_its_lead_in_one_click(
    qtbot: QtBot, ctx: AppContext, sqlite_store: Store, offer: tuple[int, int]
) -> None:
    _, lead_id = offer
    center = AlertCenter(ctx)
    panel = AlertsPanel(center)
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    with qtbot.waitSignal(center.refreshed, timeout=5000):
        center.refresh()
    alert = center.model.rows()[0]
    assert alert.nurture_reason == "no_timing"
    opened: list[int] = []
    ctx.events.open_lead.connect(opened.append)
    rect = panel.list.visualRect(center.model.index(0))
    button = AlertDelegate.action_rect(rect, panel.list.font())
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=button.center())
    # The move and the alert's read mark each announce their change: wait for the move.
    qtbot.waitUntil(
        lambda: _lead(sqlite_store, lead_id).status == "nurture" and center.unread == 0,
        timeout=5000,
    )
    lead = _lead(sqlite_store, lead_id)
    assert (lead.status, lead.disqualify_reason) == ("nurture", "no_timing")
    assert opened == [] and center.unread == 0  # moved, not opened; the offer is read
