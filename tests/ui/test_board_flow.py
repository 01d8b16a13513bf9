"""The board's everyday flow: Won by drop zone and keyboard, the gate dialog's honesty,
keyboard walks across columns, reps on their own leads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.models import Lead, StageKind
from app.services.team.users import get_user
from app.store.db import Store, unit_of_work
from app.ui.context import AppContext
from app.ui.pipeline.view import PipelineView
from app.ui.workers import TaskRunner
from tests.helpers.pipeline import QUALIFIED, make_lead, setup


@pytest.fixture
def seeded(sqlite_store: Store, clock: SettableClock) -> dict[str, int]:
    with unit_of_work(sqlite_store.session_factory) as session:
        people, stages = setup(session, clock)
        rep, manager = people["rep"].id, people["manager"].id
        review = stages["Commercial review"]
        ready = make_lead(session, clock, review, owner=rep, deal_value="50000",
                          **{**QUALIFIED, "name": "Closing Carla"})  # fmt: skip
        ready.details = {"proposal_received": True, "review_date": "2026-03-01"}
        gap = make_lead(session, clock, review, owner=rep, name="Unsigned Ulla")
        make_lead(session, clock, stages["New"], owner=rep, name="Newbie Nils")
        make_lead(session, clock, stages["Discovery complete"], owner=rep, name="Disco Dora")
        make_lead(session, clock, stages["New"], owner=manager, name="Managers Mo")
        ids = {"ready": ready.id, "gap": gap.id, "rep": rep, "manager": manager}
        ids.update({f"stage_{k}": s.id for k, s in stages.items()})
    return ids


@pytest.fixture
def board(
    qtbot: QtBot, sqlite_store: Store, clock: SettableClock, seeded: dict[str, int]
) -> Iterator[PipelineView]:
    with sqlite_store.session() as session:
        user = get_user(session, seeded["rep"])
    assert user is not None
    ctx = AppContext(sqlite_store, clock, user, TaskRunner(sqlite_store.session_factory))
    view = PipelineView(ctx)
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    view.activate()
    qtbot.waitUntil(lambda: len(view.columns) == 5, timeout=5000)
    qtbot.waitUntil(lambda: _loaded(view, 4), timeout=5000)
    yield view
    view.ctx.tasks.wait(5000)


def _loaded(view: PipelineView, n: int) -> bool:
    models = [c.model for c in view.columns.values()]
    return (
        not any(m.loading for m in models)
        and sum(m.total for m in models) == n
        and all(m.card(r) is not None for m in models for r in range(m.rowCount()))
    )


def _lead(store: Store, lead_id: int) -> Lead:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        session.expunge(lead)
        return lead


def _select(view: PipelineView, stage_id: int, lead_id: int) -> None:
    column = view.columns[stage_id]
    column.list.setFocus()
    column.list.setCurrentIndex(column.model.index(column.model.row_of(lead_id), 0))


def _won_stage(view: PipelineView) -> int:
    return next(s.id for s in view.stages if s.kind == StageKind.WON)


def test_a_rep_opens_on_my_leads(board: PipelineView, seeded: dict[str, int]) -> None:
    assert board.owner.currentText() == "My leads"
    names = {
        c.model.card(r).name for c in board.columns.values() for r in range(c.model.rowCount())
    }
    assert "Managers Mo" not in names and "Newbie Nils" in names


def test_won_drop_zone_opens_the_gate_then_wins(
    board: PipelineView, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    won = _won_stage(board)
    assert won in board.exits and board.exits[won].isVisible()
    source = board.columns[seeded["stage_Commercial review"]]
    mime = source.model.mimeData([source.model.index(source.model.row_of(seeded["ready"]), 0)])
    zone = board.exits[won]
    actions, buttons = Qt.DropAction.MoveAction, Qt.MouseButton.LeftButton
    mods = Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(10, 10), actions, mime, buttons, mods)
    QApplication.sendEvent(zone, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(zone, QDragMoveEvent(QPoint(10, 10), actions, mime, buttons, mods))
    QApplication.sendEvent(zone, QDropEvent(QPointF(10, 10), actions, mime, buttons, mods))
    # Won asks for the signature date: the gate dialog, with nothing filled in for the user.
    qtbot.waitUntil(lambda: board.gate_dialog is not None and board.gate_dialog.isVisible())
    dialog = board.gate_dialog
    assert dialog is not None
    signed = dialog.editor_for("signed_at")
    assert signed is not None and not dialog.move_button.isEnabled()
    signed.set_text("2026-03-02")
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _lead(sqlite_store, seeded["ready"]).status == "won", timeout=5000)
    assert _lead(sqlite_store, seeded["ready"]).details["signed_at"] == "2026-03-02"


def test_gate_dialog_never_writes_what_the_user_did_not_enter_and_keeps_what_they_typed(
    board: PipelineView, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    review = seeded["stage_Commercial review"]
    _select(board, review, seeded["gap"])
    qtbot.keyClick(
        board.columns[review].list, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: board.gate_dialog is not None and board.gate_dialog.isVisible())
    dialog = board.gate_dialog
    assert dialog is not None
    assert dialog.answers().values == {}  # nothing pre-filled: no "signed at = today"
    assert not dialog.move_button.isEnabled()
    date = dialog.editor_for("review_date")
    signed = dialog.editor_for("signed_at")
    assert date is not None and signed is not None
    date.set_text("2026-03-05")
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)  # a partial save
    qtbot.waitUntil(lambda: dialog.intro.text().startswith("Saved."), timeout=5000)
    details = _lead(sqlite_store, seeded["gap"]).details
    assert details == {"review_date": "2026-03-05"}  # only what was typed
    labels = [e.criterion.label for e in dialog.editors]
    assert "Review date set" not in labels and len(labels) == 2  # proposal + signature
    assert dialog.criteria_scroll.minimumHeight() > 60  # the list did not collapse
    # Typed but not saved (the move failed on other criteria) survives the next round.
    signed = dialog.editor_for("signed_at")
    assert signed is not None
    signed.set_text("2026-03-06")
    qtbot.mouseClick(dialog.move_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "signed_at" in _lead(sqlite_store, seeded["gap"]).details)
    qtbot.waitUntil(lambda: len(dialog.editors) == 1, timeout=5000)
    assert dialog.editors[0].criterion.label.startswith("Procurement")
    assert _lead(sqlite_store, seeded["gap"]).status == "open"


def test_the_gate_dialog_says_why_a_value_falls_short() -> None:
    from app.services.pipeline.engine import LeadFacts, StageInfo, unmet_for_stage

    stage = StageInfo(1, "Qualified", 0, "open", None, None, 0.1, [
        {"kind": "number_at_least", "label": "Budget at least 50", "params":
         {"field": "budget", "min": 50}},
    ])  # fmt: skip
    gap = unmet_for_stage(stage, LeadFacts(1, {}, {"budget": "30"}))[0]
    assert gap.detail == "30 is below the required 50"
    assert unmet_for_stage(stage, LeadFacts(1, {}, {}))[0].detail == ""


def test_keyboard_walks_across_columns_and_the_selection_follows_the_moved_lead(
    board: PipelineView, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    new = seeded["stage_New"]
    board.search.setFocus()
    qtbot.keyClick(board.search, Qt.Key.Key_Down)
    assert board.columns[new].list.hasFocus()
    assert board.selected is not None and board.selected.name == "Newbie Nils"
    seen = []
    for _ in range(4):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
        seen.append(board.selected.name if board.selected else None)
    # Empty columns are skipped; the last column keeps the selection.
    review = board.columns[seeded["stage_Commercial review"]].model.card(0).name
    assert seen == ["Disco Dora", review, review, review]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left)
    assert board.selected is not None and board.selected.name == "Disco Dora"
    # Ctrl+Left moves it back a stage; the panel stays on Dora, not the card below her.
    selected: list[int] = []
    board.ctx.events.lead_selected.connect(selected.append)
    dora = board.selected.id
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: board.selected is not None and board.selected.stage_id != seeded[
            "stage_Discovery complete"], timeout=5000)  # fmt: skip
    assert board.selected.id == dora
    assert set(selected) <= {dora}


def test_ctrl_right_from_commercial_review_is_won(
    board: PipelineView, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    review = seeded["stage_Commercial review"]
    _select(board, review, seeded["ready"])
    qtbot.keyClick(
        board.columns[review].list, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier
    )
    qtbot.waitUntil(lambda: board.gate_dialog is not None and board.gate_dialog.isVisible())
    dialog = board.gate_dialog
    assert dialog is not None
    assert [e.criterion.label for e in dialog.editors] == [
        "Signed agreement recorded (date of signature)"
    ]
    assert dialog.request.to_stage == "Won"


def test_merge_dialog_combines_two_leads_with_the_chosen_values(
    board: PipelineView, seeded: dict[str, int], sqlite_store: Store, qtbot: QtBot
) -> None:
    from app.services.duplicates.core import resolve_lead_id
    from app.services.leads.detail import lead_history
    from app.ui.inbox.merge_dialog import MergeDialog

    keep, other = seeded["ready"], seeded["gap"]
    dialog = MergeDialog(board.ctx, keep, other, board)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.merge_button.isEnabled(), timeout=5000)
    assert "display_name" in dialog.groups
    dialog.choose("display_name", other=True)
    assert "Unsigned Ulla" in dialog.preview.text()
    with qtbot.waitSignal(dialog.merged, timeout=5000):
        dialog.merge_button.click()
    with sqlite_store.session() as session:
        lead = session.get(Lead, keep)
        assert lead is not None and lead.display_name == "Unsigned Ulla"
        assert lead.company == "Analytical Engines"  # kept where not chosen
        assert resolve_lead_id(session, other) == keep
        kinds = [h.kind for h in lead_history(session, keep)]
    assert kinds.count("created") == 2  # both histories


def test_account_view_lists_the_leads_and_owner(
    board: PipelineView,
    seeded: dict[str, int],
    sqlite_store: Store,
    qtbot: QtBot,
    qtmodeltester: Any,
) -> None:
    from app.models import Account
    from app.ui.inbox.account_dialog import AccountDialog

    with unit_of_work(sqlite_store.session_factory) as session:
        account = Account(company="Analytical Engines", domain="engines.io",
                          owner_id=seeded["manager"])  # fmt: skip
        session.add(account)
        session.flush()
        for lead_id in (seeded["ready"], seeded["gap"]):
            lead = session.get(Lead, lead_id)
            assert lead is not None
            lead.account_id = account.id
    dialog = AccountDialog(board.ctx, lead_id=seeded["ready"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.detail is not None, timeout=5000)
    assert dialog.title.text() == "Analytical Engines"
    assert "owner: " in dialog.facts.text() and "2 leads" in dialog.facts.text()
    qtmodeltester.check(dialog.lead_model)
    model = dialog.lead_model
    names = {model.index(r, 0).data() for r in range(model.rowCount())}
    assert names == {"Closing Carla", "Unsigned Ulla"}
    assert dialog.history_model.rowCount() >= 2
    # Double-clicking a lead opens it.
    opened: list[int] = []
    board.ctx.events.open_lead.connect(opened.append)
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == "Unsigned Ulla")
    dialog.leads.doubleClicked.emit(model.index(row, 2))
    assert opened == [seeded["gap"]]
