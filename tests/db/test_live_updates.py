"""Two workstations on one PostgreSQL store: a change on one reaches the other."""

from __future__ import annotations

import queue

import pytest
from pytestqt.qtbot import QtBot

from app.models import Lead
from app.services.changes import Changes
from app.store.db import Store
from app.store.listener import Change, ChangeListener

pytestmark = pytest.mark.postgres


def _listen(store: Store) -> tuple[ChangeListener, queue.Queue[Change]]:
    received: queue.Queue[Change] = queue.Queue()
    listener = ChangeListener(store.url, received.put, password=store.password, poll_seconds=0.1)
    listener.start()
    assert listener.wait_ready(10), "the listener never connected"
    return listener, received


def test_a_committed_change_is_announced_with_its_ids(pg_store: Store) -> None:
    listener, received = _listen(pg_store)
    try:
        with pg_store.session() as s:
            a, b = Lead(display_name="Ana"), Lead(display_name="Ben")
            s.add_all([a, b])
            s.commit()
            ids = {a.id, b.id}
            a.title = "CTO"
            s.commit()
        inserted = received.get(timeout=10)
        assert (inserted.table, inserted.op, set(inserted.ids or ())) == ("leads", "insert", ids)
        updated = received.get(timeout=10)
        assert (updated.op, updated.ids) == ("update", (a.id,))
    finally:
        listener.stop()


def test_an_uncommitted_change_is_not_announced(pg_store: Store) -> None:
    listener, received = _listen(pg_store)
    try:
        with pg_store.session() as s:
            s.add(Lead(display_name="Rolled back"))
            s.flush()
            s.rollback()
            s.add(Lead(display_name="Kept"))
            s.commit()
        change = received.get(timeout=10)
        assert change.op == "insert" and len(change.ids or ()) == 1
        assert received.empty()
    finally:
        listener.stop()


def test_a_bulk_statement_sends_one_notification_saying_many(pg_store: Store) -> None:
    from sqlalchemy import insert

    listener, received = _listen(pg_store)
    try:
        with pg_store.session() as s:
            # RETURNING makes SQLAlchemy batch the rows into multi-row INSERTs (insertmanyvalues),
            # as the demo and other bulk writers do: one statement, one notification.
            rows = [{"display_name": f"L{i}", "version": 1} for i in range(500)]
            s.execute(insert(Lead).returning(Lead.id), rows)
            s.commit()
        change = received.get(timeout=10)
        assert change.table == "leads" and change.ids is None
    finally:
        listener.stop()


def test_the_other_window_refreshes(qtbot: QtBot, pg_store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    from app.services.team.users import UserInfo
    from app.ui.app import build_window

    user = UserInfo(1, "Maria", "maria@example.com", "rep", None, 10, True)
    window = build_window(pg_store, clock, user)
    qtbot.addWidget(window)
    assert window.live_updates is not None
    assert window.live_updates.listener.wait_ready(10)
    with pg_store.session() as s:
        lead = Lead(display_name="From another desk")
        s.add(lead)
        s.commit()
    # The window's own start-up work (e.g. the first sweep) may announce other changes first:
    # wait for the one naming the lead written at the other desk.
    expected = Changes.for_leads([lead.id])
    with qtbot.waitSignal(
        window.ctx.events.changed, timeout=10000, check_params_cb=lambda c: c == expected
    ) as signal:
        pass
    assert signal.args == [expected]
    window.close()
    window.ctx.tasks.wait()


def test_malformed_payloads_are_ignored() -> None:
    assert Change.parse("not json") is None
    assert Change.parse('{"table": "leads", "op": "update", "ids": "*"}') == Change(
        "leads", "update", None
    )
