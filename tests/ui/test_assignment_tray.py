"""A lead assigned to the rep reaches them at once: an alert in the list and a tray message."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.leads import api as leads_api
from app.services.team.users import get_user
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.alerts import AlertCenter
from app.ui.app import ensure_app
from app.ui.context import AppContext
from app.ui.workers import TaskRunner
from tests.helpers.followups import Team, actor_of, make_lead, make_team


@pytest.fixture
def team(sqlite_store: Store, clock: SettableClock) -> tuple[Team, int]:
    with sqlite_store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, clock.now() - timedelta(minutes=1), owner=None)
        s.commit()
        return team, lead.id


@pytest.fixture
def rep_ctx(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, team: tuple[Team, int]
) -> Iterator[AppContext]:
    ensure_app()
    with sqlite_store.session() as s:
        user = get_user(s, team[0].rep_b)
    assert user is not None
    runner = TaskRunner(sqlite_store.session_factory)
    yield AppContext(store=sqlite_store, clock=clock, user=user, tasks=runner)
    runner.wait(5000)


def test_rep_is_notified_at_once_on_assignment_with_a_tray_message(
    qtbot: QtBot,
    rep_ctx: AppContext,
    sqlite_store: Store,
    clock: SettableClock,
    team: tuple[Team, int],
) -> None:
    crew, lead_id = team
    center = AlertCenter(rep_ctx)
    with qtbot.waitSignal(center.refreshed, timeout=5000):
        center.refresh()
    assert center.unread == 0
    with sqlite_store.session() as s:
        manager = actor_of(s, crew.manager)
    # The manager assigns on their workstation; its change broadcast reaches this one. No
    # system tray offscreen: the status bar carries the notification.
    done = leads_api.assign_leads(
        UnitOfWork(sqlite_store.session_factory, clock), manager, [lead_id], crew.rep_b
    )
    with qtbot.waitSignal(rep_ctx.events.status_message, timeout=5000) as shown:
        rep_ctx.events.changed.emit(done.changes)
    assert "New lead assigned" in shown.args[0] and "Jane Doe" in shown.args[0]
    assert center.unread == 1
    assert center.model.rows()[0].kind == "assigned"
