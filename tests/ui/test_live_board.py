"""A move on another workstation reaching this workstation's board (pytest-qt).

The PostgreSQL listener is not started: its changes are handed to LiveUpdates as the
listener's thread hands them (`_received`), so these run on SQLite too. The lead is moved
in the store by the API, as the other workstation's rep would.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.auth import Actor
from app.services.changes import Changes
from app.services.leads import api as leads_api
from app.services.team.users import get_user
from app.store.db import Store, unit_of_work
from app.store.listener import Change
from app.store.uow import UnitOfWork
from app.ui.context import AppContext
from app.ui.pipeline.view import PipelineView
from app.ui.sync import LiveUpdates
from app.ui.workers import TaskRunner
from tests.helpers.pipeline import QUALIFIED, make_lead, setup


@pytest.fixture
def seeded(sqlite_store: Store, clock: SettableClock) -> dict[str, int]:
    with unit_of_work(sqlite_store.session_factory) as session:
        people, stages = setup(session, clock)
        rep = people["rep"].id
        ids: dict[str, int] = {}
        for name in ("Ready Rita", "Ready Rob", "Ready Rae"):
            values: dict[str, Any] = {**QUALIFIED, "name": name}
            ids[name] = make_lead(session, clock, owner=rep, **values).id
        ids.update({f"user_{k}": u.id for k, u in people.items()})
        ids.update({f"stage_{k}": s.id for k, s in stages.items()})
    return ids


@pytest.fixture
def view(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, seeded: dict[str, int]
) -> Iterator[PipelineView]:
    with sqlite_store.session() as session:
        user = get_user(session, seeded["user_manager"])
    assert user is not None
    ctx = AppContext(sqlite_store, clock, user, TaskRunner(sqlite_store.session_factory))
    board = PipelineView(ctx)
    qtbot.addWidget(board)
    board.resize(1300, 800)
    board.show()
    board.activate()
    qtbot.waitUntil(lambda: len(board.columns) == 5, timeout=5000)
    qtbot.waitUntil(lambda: _shown(board, seeded["stage_New"]) == 3, timeout=5000)
    qtbot.waitUntil(lambda: not board._reads, timeout=5000)  # every first read has landed
    yield board
    ctx.tasks.wait(5000)


def _shown(board: PipelineView, stage_id: int) -> int:
    """Cards the column shows, once its reads have landed (-1 while they are out)."""
    model = board.columns[stage_id].model
    return -1 if model.loading else model.total


def _moved_elsewhere(store: Store, clock: SettableClock, seeded: dict[str, int], name: str) -> int:
    """The other workstation's rep moves the lead New -> Initial interest; its id."""
    lead_id = seeded[name]
    actor = Actor(seeded["user_rep"], "Rep", "rep")
    result = leads_api.move_lead(
        UnitOfWork(store.session_factory, clock), actor, lead_id, seeded["stage_Initial interest"]
    ).value
    assert result.moved
    return lead_id


def test_one_move_elsewhere_reloads_just_the_two_columns_at_once(
    qtbot: QtBot,
    view: PipelineView,
    sqlite_store: Store,
    clock: SettableClock,
    seeded: dict[str, int],
) -> None:
    live = LiveUpdates(view.ctx, view)
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    lead_id = _moved_elsewhere(sqlite_store, clock, seeded, "Ready Rita")
    taken: list[Changes] = []
    view.ctx.events.changed.connect(taken.append)
    reloaded: list[int] = []
    for sid, column in view.columns.items():
        column.model.loaded.connect(lambda sid=sid: reloaded.append(sid))

    live._received.emit(Change("leads", "update", (lead_id,)))

    # Taken in without waiting out the coalescing window.
    assert taken == [Changes.for_leads([lead_id])]
    # Both columns' reads land (in either order): the card left New and entered the next.
    qtbot.waitUntil(lambda: (_shown(view, initial), _shown(view, new)) == (1, 2), timeout=5000)
    assert view.columns[initial].model.card(0).id == lead_id  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not view._reads, timeout=5000)
    assert sorted(reloaded) == sorted([new, initial])  # not the three columns it never touched


def test_a_lead_changed_elsewhere_beyond_the_lookup_limit_reloads_every_column(
    qtbot: QtBot,
    view: PipelineView,
    seeded: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import app.ui.pipeline.view as board_module

    monkeypatch.setattr(board_module, "LOOKUP_AT_MOST", 1)
    reloaded: list[int] = []
    for sid, column in view.columns.items():
        column.model.loaded.connect(lambda sid=sid: reloaded.append(sid))
    view.ctx.events.changed.emit(Changes.for_leads([seeded["Ready Rita"], seeded["Ready Rob"]]))
    qtbot.waitUntil(lambda: not view._reads, timeout=5000)
    assert sorted(reloaded) == sorted(view.columns)


def test_a_burst_of_changes_is_taken_in_as_one_after_the_first(
    qtbot: QtBot,
    view: PipelineView,
    sqlite_store: Store,
    clock: SettableClock,
    seeded: dict[str, int],
) -> None:
    live = LiveUpdates(view.ctx, view)
    initial = seeded["stage_Initial interest"]
    ids = [_moved_elsewhere(sqlite_store, clock, seeded, n) for n in ("Ready Rita", "Ready Rob")]
    taken: list[Changes] = []
    view.ctx.events.changed.connect(taken.append)

    live._received.emit(Change("leads", "update", (ids[0],)))
    live._received.emit(Change("leads", "update", (ids[1],)))
    live._received.emit(Change("activities", "insert", (7,)))

    assert taken == [Changes.for_leads([ids[0]])]  # the first at once, the rest wait
    qtbot.waitUntil(lambda: len(taken) == 2, timeout=5000)
    assert taken[1] == Changes(leads=frozenset([ids[1]]), all_leads=True, followups=True)
    qtbot.waitUntil(lambda: _shown(view, initial) == 2, timeout=5000)
    # The window closed with nothing more: the next change goes out at once again.
    qtbot.waitUntil(lambda: not live._timer.isActive(), timeout=5000)
    live._received.emit(Change("leads", "update", (ids[0],)))
    assert len(taken) == 3


def test_a_change_while_the_board_reads_lets_those_reads_land_then_reads_again(
    qtbot: QtBot,
    view: PipelineView,
    sqlite_store: Store,
    clock: SettableClock,
    seeded: dict[str, int],
) -> None:
    """Changes arriving faster than the board reads must not keep superseding its reads
    (with a busy team, the board then showed nothing new until the changes paused)."""
    initial = seeded["stage_Initial interest"]
    lead_id = _moved_elsewhere(sqlite_store, clock, seeded, "Ready Rita")
    landed: list[int] = []
    column = view.columns[initial].model
    column.loaded.connect(lambda: landed.append(column.row_of(lead_id)))

    view.ctx.events.changed.emit(Changes.for_leads([lead_id]))  # reads start
    second = _moved_elsewhere(sqlite_store, clock, seeded, "Ready Rob")
    view.ctx.events.changed.emit(Changes.for_leads([second]))  # while they are out

    qtbot.waitUntil(lambda: len(landed) == 2, timeout=5000)
    assert landed[0] >= 0  # the first reads landed (not superseded) and show the first move
    qtbot.waitUntil(lambda: _shown(view, initial) == 2, timeout=5000)
    assert column.row_of(second) >= 0
