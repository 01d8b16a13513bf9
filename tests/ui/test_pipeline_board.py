"""The pipeline board with pytest-qt: drag and drop, the gate dialog, overrides, undo.

Real OS drag and drop (QDrag.exec runs a nested platform loop) cannot run on the offscreen
platform, so the drops below deliver the same QDragEnter/QDragMove/QDrop events Qt would send
to the target column's viewport, carrying the MIME data the source column's model produces for
the card. Everything after that (gates, store, history, dialogs) is the real code path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.models import Lead
from app.services.leads.detail import lead_history
from app.services.leads.edit import update_lead
from app.services.team.users import get_user
from app.store.db import Store, unit_of_work
from app.ui.context import AppContext
from app.ui.pipeline.model import CARD_ROLE, ColumnModel, ColumnParams
from app.ui.pipeline.view import PipelineView
from app.ui.timers import TimerThread
from app.ui.workers import TaskRunner
from tests.helpers.pipeline import QUALIFIED, make_lead, setup

BoardFactory = Callable[[str], PipelineView]


@pytest.fixture
def seeded(sqlite_store: Store, clock: SettableClock) -> dict[str, int]:
    with unit_of_work(sqlite_store.session_factory) as session:
        people, stages = setup(session, clock)
        rep = people["rep"].id
        ready = make_lead(session, clock, owner=rep, **{**QUALIFIED, "name": "Ready Rita"})
        gap = make_lead(
            session,
            clock,
            name="Gappy Gus",
            owner=rep,
            industry="Software",
            headcount="300",
            deal_value="12000",
        )
        ids = {"ready": ready.id, "gap": gap.id}
        ids.update({f"user_{k}": u.id for k, u in people.items()})
        ids.update({f"stage_{k}": s.id for k, s in stages.items()})
    return ids


@pytest.fixture
def board(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, seeded: dict[str, int]
) -> Iterator[BoardFactory]:
    made: list[PipelineView] = []

    def make(role: str) -> PipelineView:
        with sqlite_store.session() as session:
            user = get_user(session, seeded[f"user_{role}"])
        assert user is not None
        ctx = AppContext(sqlite_store, clock, user, TaskRunner(sqlite_store.session_factory))
        view = PipelineView(ctx)
        qtbot.addWidget(view)
        view.resize(1300, 800)
        view.show()
        view.activate()
        qtbot.waitUntil(lambda: len(view.columns) == 5, timeout=5000)
        columns = view.columns.values()

        def loaded() -> bool:
            cols = [c.model for c in columns]
            return (
                not any(m.loading for m in cols)
                and sum(m.total for m in cols) == 2
                and all(m.card(r) is not None for m in cols for r in range(m.rowCount()))
            )

        qtbot.waitUntil(loaded, timeout=5000)

        made.append(view)
        return view

    yield make
    for view in made:
        view.ctx.tasks.wait(5000)


def _stage_of(store: Store, lead_id: int) -> int:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.stage_id or 0


def _drag_drop(view: PipelineView, lead_id: int, from_stage: int, to_stage: int) -> None:
    """Deliver a drag of `lead_id`'s card from one column's model onto another column (or an
    exit zone). Qt routes DragMove/Drop to the widget that accepted the DragEnter, so the
    whole sequence is sent, as a real drag would."""
    source = view.columns[from_stage]
    row = source.model.row_of(lead_id)
    assert row >= 0
    mime = source.model.mimeData([source.model.index(row, 0)])
    if to_stage in view.columns:
        target: QWidget = view.columns[to_stage].list.viewport()
    else:
        target = view.exits[to_stage]
    pos = QPoint(40, 40)
    actions = Qt.DropAction.MoveAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos, actions, mime, buttons, mods)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(target, QDragMoveEvent(pos, actions, mime, buttons, mods))
    drop = QDropEvent(QPointF(pos), actions, mime, buttons, mods)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def test_passing_drop_moves_the_card_and_the_store(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    view = board("rep")
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    _drag_drop(view, seeded["ready"], new, initial)
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["ready"]) == initial, timeout=5000)
    target = view.columns[initial].model
    qtbot.waitUntil(lambda: target.rowCount() == 1 and target.card(0) is not None, timeout=5000)
    assert target.card(0).name == "Ready Rita"
    qtbot.waitUntil(lambda: view.columns[new].model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: view.columns[initial].count.text() == "1", timeout=5000)
    assert view.gate_dialog is None


def test_blocked_drop_opens_gate_dialog_and_completes_once_filled(
    board: BoardFactory,
    seeded: dict[str, int],
    sqlite_store: Store,
    clock: SettableClock,
    qtbot: QtBot,
) -> None:
    view = board("rep")
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    clock.advance(minutes=1)
    _drag_drop(view, seeded["gap"], new, initial)
    qtbot.waitUntil(lambda: view.gate_dialog is not None and view.gate_dialog.isVisible())
    dialog = view.gate_dialog
    assert dialog is not None
    clock.advance(minutes=1)
    # A rep sees no override.
    assert not dialog.override_button.isVisible()
    labels = [e.criterion.label for e in dialog.editors]
    assert labels == [
        "Contact holds a budget or technical decision role",
        "A purchase timeline is stated",
    ]
    assert not dialog.move_button.isEnabled()
    timeline = dialog.editor_for("timeline")
    assert timeline is not None
    timeline.set_text("Next quarter")
    assert dialog.move_button.isEnabled()
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["gap"]) == initial, timeout=5000)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    with sqlite_store.session() as session:
        lead = session.get(Lead, seeded["gap"])
        assert lead is not None and lead.details["timeline"] == "Next quarter"
        kinds = [h.kind for h in lead_history(session, seeded["gap"])]
    assert kinds.index("forward") < kinds.index("blocked")  # newest first: blocked, then moved


def test_manager_overrides_with_a_reason(
    board: BoardFactory,
    seeded: dict[str, int],
    sqlite_store: Store,
    clock: SettableClock,
    qtbot: QtBot,
) -> None:
    view = board("manager")
    clock.advance(minutes=1)
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    _drag_drop(view, seeded["gap"], new, initial)
    qtbot.waitUntil(lambda: view.gate_dialog is not None and view.gate_dialog.isVisible())
    dialog = view.gate_dialog
    assert dialog is not None and dialog.override_button.isVisible()
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    assert not dialog.override_button.isEnabled()  # no reason yet
    clock.advance(minutes=1)
    dialog.override_reason.setText("Champion from our biggest customer")
    qtbot.mouseClick(dialog.override_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["gap"]) == initial, timeout=5000)
    with sqlite_store.session() as session:
        newest = lead_history(session, seeded["gap"])[0]
    assert newest.kind == "override"
    assert "Champion" in (newest.detail or "")


def test_undo_restores_the_stage_and_history_says_so(
    board: BoardFactory,
    seeded: dict[str, int],
    sqlite_store: Store,
    clock: SettableClock,
    qtbot: QtBot,
) -> None:
    view = board("rep")
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    clock.advance(minutes=1)
    _drag_drop(view, seeded["ready"], new, initial)
    qtbot.waitUntil(lambda: view.undo_stack.count() == 1, timeout=5000)
    clock.advance(minutes=1)
    assert view.undo_action.shortcut().toString() == "Ctrl+Z"
    view.undo_action.trigger()
    view.redo_action.trigger()
    view.undo_action.trigger()
    qtbot.waitUntil(lambda: not view._history_queue, timeout=10000)
    assert _stage_of(sqlite_store, seeded["ready"]) == new
    with sqlite_store.session() as session:
        newest = lead_history(session, seeded["ready"])[0]
    assert newest.text == "Moved back Initial interest → New"
    assert newest.detail == "Undo"
    # Redo at once, as a quick Ctrl+Shift+Z would: it waits for the undo to land.
    view.redo_action.trigger()
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["ready"]) == initial, timeout=5000)


def test_keyboard_moves_selected_card(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    view = board("rep")
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    column = view.columns[new]
    row = column.model.row_of(seeded["ready"])
    with qtbot.waitSignal(view.ctx.events.lead_selected) as selected:
        column.list.setCurrentIndex(column.model.index(row, 0))
    assert selected.args == [seeded["ready"]]
    column.list.setFocus()
    view.activateWindow()
    qtbot.keyClick(column.list, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["ready"]) == initial, timeout=5000)


def test_exit_drop_asks_for_a_reason(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    view = board("rep")
    lost = seeded["stage_Lost"]
    _drag_drop(view, seeded["gap"], seeded["stage_New"], lost)
    dialog = view.exit_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.ok.isEnabled()
    dialog.reason.setCurrentIndex(dialog.reason.findData("lost_to_competitor"))
    assert not dialog.ok.isEnabled()  # needs the competitor's name
    dialog.competitor.setText("HubSpot")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["gap"]) == lost, timeout=5000)
    with sqlite_store.session() as session:
        lead = session.get(Lead, seeded["gap"])
        assert lead is not None
        assert lead.status == "lost" and lead.disqualify_reason == "lost_to_competitor"


def test_stale_card_is_refused_and_names_who_changed_it(
    board: BoardFactory,
    seeded: dict[str, int],
    sqlite_store: Store,
    clock: SettableClock,
    qtbot: QtBot,
) -> None:
    view = board("rep")
    with unit_of_work(sqlite_store.session_factory) as session:
        update_lead(session, clock, seeded["ready"], {"title": "CTO"}, seeded["user_manager"])
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    _drag_drop(view, seeded["ready"], new, initial)
    qtbot.waitUntil(lambda: view.banner.isVisible(), timeout=5000)
    assert "Marcus Webb" in view.banner_text.text()
    assert _stage_of(sqlite_store, seeded["ready"]) == new


def test_column_model_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester, sqlite_store: Store, clock: SettableClock, seeded
) -> None:  # type: ignore[no-untyped-def]
    from app.services.leads.board import BoardFilter
    from app.services.pipeline.stages import list_stages

    with sqlite_store.session() as session:
        stages = tuple(list_stages(session))
    runner = TaskRunner(sqlite_store.session_factory)
    model = ColumnModel(runner, ColumnParams(seeded["stage_New"], BoardFilter(), clock, stages))
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.reload()
    assert model.rowCount() == 2
    assert model.data(model.index(0, 0), CARD_ROLE).name in {"Ready Rita", "Gappy Gus"}
    qtmodeltester.check(model, force_py=True)
    runner.wait()


def test_gate_dialog_ticks_checklist_and_schedules_the_call(
    board: BoardFactory,
    seeded: dict[str, int],
    sqlite_store: Store,
    clock: SettableClock,
    qtbot: QtBot,
) -> None:
    initial, discovery = seeded["stage_Initial interest"], seeded["stage_Discovery complete"]
    with unit_of_work(sqlite_store.session_factory) as session:
        lead = session.get(Lead, seeded["ready"])
        assert lead is not None
        lead.stage_id = initial
    view = board("rep")
    column = view.columns[initial]
    qtbot.waitUntil(lambda: column.model.rowCount() == 1 and column.model.card(0) is not None)
    assert column.model.card(0).unmet_count == 2  # contact not confirmed, no call planned
    clock.advance(minutes=1)
    _drag_drop(view, seeded["ready"], initial, discovery)
    qtbot.waitUntil(lambda: view.gate_dialog is not None and view.gate_dialog.isVisible())
    dialog = view.gate_dialog
    assert dialog is not None
    checklist = dialog.editor_for("checklist")
    call = dialog.editor_for("activity_scheduled")
    assert checklist is not None and call is not None
    checklist.control.setChecked(True)  # type: ignore[attr-defined]
    call.schedule_check.setChecked(True)
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stage_of(sqlite_store, seeded["ready"]) == discovery, timeout=5000)
    with sqlite_store.session() as session:
        from app.models import Activity

        planned = session.query(Activity).filter_by(lead_id=seeded["ready"]).one()
        assert planned.status == "planned" and planned.type == "call"
        assert planned.due_at > clock.now()
        moved = session.get(Lead, seeded["ready"])
        assert moved is not None and moved.details["contact_confirmed"] is True


def test_dragged_card_pixmap_is_the_card_semi_transparent(
    board: BoardFactory, seeded: dict[str, int]
) -> None:
    view = board("rep")
    column = view.columns[seeded["stage_New"]]
    index = column.model.index(column.model.row_of(seeded["ready"]), 0)
    pixmap = column.list.drag_pixmap(index)
    assert not pixmap.isNull()
    image = pixmap.toImage()
    middle = image.pixelColor(image.width() // 2, image.height() // 2)
    assert 0 < middle.alpha() < 255  # painted, and see-through


def test_the_board_refreshes_when_the_timer_sweep_reopens_a_lead(
    board: BoardFactory,
    qtbot: QtBot,
    sqlite_store: Store,
    clock: SettableClock,
    seeded: dict[str, int],
) -> None:
    view = board("rep")
    with unit_of_work(sqlite_store.session_factory) as session:
        lead = session.get(Lead, seeded["gap"])
        assert lead is not None
        lead.status, lead.stage_id = "disqualified", seeded["stage_Disqualified"]
        lead.revisit_at = clock.now() + timedelta(days=1)

    def on_board() -> int:
        return sum(c.model.total for c in view.columns.values())

    view.refresh()
    qtbot.waitUntil(lambda: on_board() == 1, timeout=5000)
    clock.advance(days=2)
    timer = TimerThread(view.ctx, None, interval_seconds=3600)
    try:
        timer.start()  # its first sweep reopens the lead; the board hears it from the broadcast
        qtbot.waitUntil(lambda: on_board() == 2, timeout=20000)
    finally:
        assert timer.stop()


def _card(view: PipelineView, lead_id: int, stage_id: int):  # type: ignore[no-untyped-def]
    model = view.columns[stage_id].model
    card = model.card(model.row_of(lead_id))
    assert card is not None
    return card


def _menu_titles(view: PipelineView, lead_id: int, stage_id: int) -> list[str]:
    menu = view.card_menu(_card(view, lead_id, stage_id))
    return [a.text() for a in menu.actions() if a.text()]


def _owner_of(store: Store, lead_id: int) -> int | None:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead.owner_id


def test_a_rep_is_not_offered_reassign_a_manager_reassigns_from_the_menu(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    new = seeded["stage_New"]
    rep_view = board("rep")
    titles = _menu_titles(rep_view, seeded["ready"], new)
    assert titles == ["Open", "Account…", "Move to", "Disqualify…"]
    view = board("manager")
    assert "Assign to" in _menu_titles(view, seeded["ready"], new)
    menu = view.card_menu(_card(view, seeded["ready"], new))
    assign = next(a.menu() for a in menu.actions() if a.text() == "Assign to")
    broadcasts: list[object] = []
    view.ctx.events.changed.connect(broadcasts.append)
    next(a for a in assign.actions() if a.text() == "Marcus Webb").trigger()
    qtbot.waitUntil(
        lambda: _owner_of(sqlite_store, seeded["ready"]) == seeded["user_manager"], timeout=5000
    )
    qtbot.waitUntil(lambda: len(broadcasts) == 1, timeout=5000)
    assert broadcasts[0].affects(seeded["ready"])  # type: ignore[attr-defined]


def test_a_move_broadcasts_once_and_reloads_only_its_two_columns(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    view = board("rep")
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    reloads: list[int] = []
    for sid, column in view.columns.items():
        original = column.model.reload

        def spy(sid: int = sid, original=original) -> None:  # type: ignore[no-untyped-def]
            reloads.append(sid)
            original()

        column.model.reload = spy  # type: ignore[method-assign]
    broadcasts: list[object] = []
    view.ctx.events.changed.connect(broadcasts.append)
    _drag_drop(view, seeded["ready"], new, initial)
    qtbot.waitUntil(lambda: view.undo_stack.count() == 1, timeout=5000)
    qtbot.waitUntil(lambda: view.columns[initial].model.rowCount() == 1, timeout=5000)
    view.ctx.tasks.wait(5000)
    assert len(broadcasts) == 1
    assert sorted(reloads) == sorted([new, initial])  # once each: no flicker elsewhere


def test_a_rep_cannot_override_a_gate_from_the_dialog(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    view = board("rep")
    new, initial = seeded["stage_New"], seeded["stage_Initial interest"]
    _drag_drop(view, seeded["gap"], new, initial)
    qtbot.waitUntil(lambda: view.gate_dialog is not None and view.gate_dialog.isVisible())
    assert view.gate_dialog is not None
    assert not view.gate_dialog.override_button.isVisible()
    assert _stage_of(sqlite_store, seeded["gap"]) == new


def test_the_stage_editor_is_read_only_for_a_rep_and_saves_for_a_manager(
    board: BoardFactory, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    from app.services.pipeline.stages import list_stages

    rep_view = board("rep")
    rep_view.open_stage_editor()
    editor = rep_view.stage_editor
    qtbot.waitUntil(editor.isVisible)
    assert editor.name.isReadOnly() and not editor.save_button.isVisible()
    assert not editor.add_button.isVisible() and not editor.add_crit.isVisible()
    assert "Only a manager or the owner" in editor.note.text()
    editor.reject()

    view = board("manager")
    view.open_stage_editor()
    editor = view.stage_editor
    qtbot.waitUntil(editor.isVisible)
    assert editor.save_button.isVisible() and not editor.name.isReadOnly()
    editor.name.setText("Fresh")
    editor.name.textEdited.emit("Fresh")
    editor.save_button.click()
    # The board reloads from the broadcast (the pipeline changed), not from the dialog.
    qtbot.waitUntil(lambda: any(s.name == "Fresh" for s in view.stages), timeout=5000)
    with sqlite_store.session() as session:
        assert list_stages(session)[0].name == "Fresh"


def test_a_board_search_while_new_leads_are_indexed_says_so_then_shows_them(
    board: BoardFactory, qtbot: QtBot, sqlite_store: Store, seeded: dict[str, int]
) -> None:
    from app.store.search import SEARCH_TABLE, catch_up_search

    view = board("rep")
    # Rita's lead waits for the search index, as a big import's last leads do.
    with sqlite_store.session() as s:
        s.connection().exec_driver_sql(
            f"DELETE FROM {SEARCH_TABLE} WHERE rowid = {seeded['ready']}"
        )
        s.commit()
    view.search.setText("Rita")
    qtbot.waitUntil(lambda: "indexing 1 new lead for search" in view.totals.text(), timeout=5000)
    assert view.totals.text().startswith("0 open leads")  # missing for now, as it says
    with sqlite_store.session() as s:
        catch_up_search(s)
        s.commit()
    # It looks again on its own: the card comes in and the note goes.
    qtbot.waitUntil(lambda: view.totals.text().startswith("1 open lead ·"), timeout=5000)
    assert "indexing" not in view.totals.text()
    qtbot.waitUntil(
        lambda: any(c.model.row_of(seeded["ready"]) >= 0 for c in view.columns.values()),
        timeout=5000,
    )
