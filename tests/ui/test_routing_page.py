"""The Routing page walked end to end: a manager adds a rule, previews where recent leads
would go (changed rows counted), saves, and new leads follow the rule; territories and the
round-robin pool are edited in their models, saved and read back; a rule's deal-value bounds
move leads in the preview; a rep reads it all and can change nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select, update

from app.clock import SettableClock
from app.models import Lead
from app.services.routing.config import load_config
from app.services.team.users import UserInfo, list_users
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.main_window import MainWindow
from app.ui.team.routing_models import (
    MEMBER_ROLE,
    RULE_ROLE,
    MembersModel,
    RulesModel,
    TerritoriesModel,
)
from app.ui.team.routing_view import PreviewModel, RoutingView

CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked
CHECK = Qt.ItemDataRole.CheckStateRole


def _open(window: MainWindow, qtbot: QtBot) -> RoutingView:
    view = window.show_view("routing")
    assert isinstance(view, RoutingView)
    qtbot.waitUntil(
        lambda: view.config is not None and view.rules_model.rowCount() > 0, timeout=5000
    )
    return view


def _as_manager(window: MainWindow, store: Store) -> list[UserInfo]:
    with store.session() as s:
        team = list_users(s)
    window.ctx.set_user(next(u for u in team if u.role == "manager"))
    return team


def _preview(view: RoutingView, qtbot: QtBot) -> dict[int, str]:
    """Run the preview and wait for it: lead id -> owner under the draft."""
    view.preview_model.set_rows([])
    view.run_preview()
    qtbot.waitUntil(lambda: view.preview_model.rowCount() == 50, timeout=10000)
    return {r.lead_id: r.owner_then or "" for r in view.preview_model.rows}


def _row(model: TerritoriesModel, country: str) -> int:
    return next(n for n, (c, _t) in enumerate(model.rows) if c == country)


def _type_in_cell(view: RoutingView, qtbot: QtBot, text: str) -> None:
    """Type into the territory cell being edited, replacing its text, and press Enter."""
    editors = [e for e in view.territories.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1
    editor = editors[0]
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    # The delegate commits on Enter through a queued call.
    editing = QAbstractItemView.State.EditingState
    qtbot.waitUntil(lambda: view.territories.state() != editing, timeout=5000)


def test_a_rep_reads_the_routing_set_up(window: MainWindow, qtbot: QtBot) -> None:
    view = _open(window, qtbot)
    buttons = (view.save_button, view.add_rule_button, view.remove_rule_button, view.up_button,
               view.add_territory_button, view.remove_territory_button)  # fmt: skip
    assert not any(b.isVisible() for b in buttons)
    assert "Read-only" in view.note.text()
    first = view.rules_model.index(0, 0)
    assert "→" in first.data()  # sentence-like rules
    # Nothing offers an edit: no drag, no check box, no cell editor.
    assert not view.rules_model.flags(first) & Qt.ItemFlag.ItemIsDragEnabled
    member = view.pool_model.index(0, 0)
    assert not view.pool_model.flags(member) & Qt.ItemFlag.ItemIsUserCheckable
    before = member.data(CHECK)
    assert not view.pool_model.setData(member, UNCHECKED if before == CHECKED else CHECKED, CHECK)
    assert member.data(CHECK) == before
    cell = view.territory_model.index(0, 1)
    assert not view.territory_model.flags(cell) & Qt.ItemFlag.ItemIsEditable
    assert not view.territory_model.setData(cell, "Elsewhere")
    assert cell.data() != "Elsewhere"
    view.edit_rule(0)
    assert view.dialog is None  # the rule editor does not open for a rep


def test_the_routing_models_pass_the_model_tester(
    window: MainWindow, qtbot: QtBot, demo_store: Store, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    assert isinstance(view.rules_model, RulesModel)
    assert isinstance(view.pool_model, MembersModel)
    assert isinstance(view.territory_model, TerritoriesModel)
    # One model at a time: the tester stays attached to the model last checked, so each
    # model's edits below are checked for consistent signals too.
    qtmodeltester.check(view.rules_model)
    rules = view.rules_model
    names = [rules.index(r, 0).data(RULE_ROLE)["name"] for r in range(rules.rowCount())]
    assert rules.moveRows(QModelIndex(), 0, 1, QModelIndex(), rules.rowCount())
    assert [rules.index(r, 0).data(RULE_ROLE)["name"] for r in range(rules.rowCount())] == (
        names[1:] + names[:1]
    )
    assert rules.move(rules.rowCount() - 1, -1) == rules.rowCount() - 2
    assert not rules.moveRows(QModelIndex(), 0, 1, QModelIndex(), 1)  # onto itself
    assert rules.removeRows(0, 1) and rules.rowCount() == len(names) - 1
    pool = view.pool_model
    qtmodeltester.check(pool)
    index = pool.index(0, 0)
    want = UNCHECKED if index.data(CHECK) == CHECKED else CHECKED
    assert pool.setData(index, want, CHECK) and index.data(CHECK) == want
    terr = view.territory_model
    qtmodeltester.check(terr)
    row = terr.add_row()
    assert terr.setData(terr.index(row, 0), "  Mars ") and terr.index(row, 0).data() == "Mars"
    assert terr.removeRows(row, 1)
    dup = terr.add_row("austria", "Alps")  # Austria is listed already
    with pytest.raises(ValueError, match="austria is listed twice"):
        terr.territories()
    assert terr.removeRows(dup, 1) and terr.territories()["Austria"] == "DACH"
    qtmodeltester.check(view.preview_model)


def test_a_manager_edits_previews_and_saves_and_routing_follows(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    team = _as_manager(window, demo_store)
    view = _open(window, qtbot)
    assert view.save_button.isVisible()
    target = next(u for u in team if u.role == "rep")
    view.edit_rule(None)
    dialog = view.dialog
    dialog.name.setText("Everything to one rep")
    dialog.target.setCurrentIndex(dialog.target.findData(target.id))
    dialog.accept()
    # First in order: drag-to-reorder is an InternalMove on the model (moveRows); the up
    # button (Ctrl+Up) does the same one row at a time.
    last = view.rules_model.rowCount() - 1
    assert view.rules.currentIndex().row() == last  # the new rule is selected
    for _ in range(last):
        view.up_button.click()
    assert view.rules.currentIndex().row() == 0
    assert view.rules_model.index(0, 0).data().startswith("Everything to one rep: Any lead → ")
    view.run_preview()
    qtbot.waitUntil(lambda: view.preview_model.rowCount() == 50, timeout=10000)
    assert isinstance(view.preview_model, PreviewModel)
    changed = [r for r in view.preview_model.rows if r.changed]
    assert changed and all(
        r.owner_then == target.name or r.reason.startswith("Account owner") or "skipped" in r.reason
        for r in view.preview_model.rows
    )
    assert f"{len(changed)} of 50" in view.preview_note.text()
    view.save()
    qtbot.waitUntil(
        lambda: load_config(demo_store.session()).rules[0].name == "Everything to one rep",
        timeout=5000,
    )
    lead = leads_api_create(demo_store, clock, window)
    with demo_store.session() as s:
        assert s.get(Lead, lead).owner_id == target.id  # type: ignore[union-attr]
    window.ctx.tasks.wait()


def leads_api_create(store: Store, clock: SettableClock, window: MainWindow) -> int:
    from app.services.leads import api as leads_api

    return leads_api.create_lead(
        UnitOfWork(store.session_factory, clock),
        window.ctx.actor,
        {"first_name": "Rita", "last_name": "Routed", "company": "Brand New Co",
         "country": "Spain"},
    ).value  # fmt: skip


def test_territories_and_pool_edited_previewed_saved_and_read_back(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    team = _as_manager(window, demo_store)
    view = _open(window, qtbot)
    # Who gets Spain's leads now, and whom the edit will send them to instead.
    rules = [
        view.rules_model.index(r, 0).data(RULE_ROLE) for r in range(view.rules_model.rowCount())
    ]
    spain = view.territory_model.rows[_row(view.territory_model, "Spain")][1]
    old_rule = next(r for r in rules if r["conditions"].get("territory") == [spain])
    new_rule = next(r for r in rules if r["conditions"].get("territory") == ["DACH"])
    with demo_store.session() as s:
        spanish = set(s.scalars(select(Lead.id).where(Lead.country == "Spain")))
    names = {u.id: u.name for u in team}
    before = _preview(view, qtbot)
    moved_from = {
        n for n, o in before.items() if n in spanish and o == names[old_rule["target_user_id"]]
    }
    assert moved_from, "the demo sends some recent Spanish leads by the territory rule"

    # Spain moves to DACH by typing in its territory cell; Mars is added; Italy removed.
    terr = view.territory_model
    index = terr.index(_row(terr, "Spain"), 1)
    view.territories.setCurrentIndex(index)
    view.territories.edit(index)
    _type_in_cell(view, qtbot, "DACH")
    assert index.data() == "DACH"
    view.add_territory_button.click()  # opens the new row's country cell
    new = terr.rowCount() - 1
    _type_in_cell(view, qtbot, "Mars")
    assert terr.index(new, 0).data() == "Mars"
    assert terr.setData(terr.index(new, 1), "Red Planet")
    view.territories.selectRow(_row(terr, "Italy"))
    view.remove_territory_button.click()
    assert "Italy" not in {c for c, _ in terr.rows}

    # One member leaves the round-robin pool (a click on the check box's row + Space).
    member_row = next(r for r in range(view.pool_model.rowCount())
                      if view.pool_model.index(r, 0).data(CHECK) == CHECKED)  # fmt: skip
    leaving = view.pool_model.index(member_row, 0).data(MEMBER_ROLE)
    view.pool.setCurrentIndex(view.pool_model.index(member_row, 0))
    view.pool.setFocus()
    qtbot.keyClick(view.pool, Qt.Key.Key_Space)
    assert view.pool_model.index(member_row, 0).data(CHECK) == UNCHECKED

    after = _preview(view, qtbot)
    dach_owner = names[new_rule["target_user_id"]]
    reasons = {r.lead_id: r.reason for r in view.preview_model.rows}
    for n in moved_from:  # to the DACH rep now, unless they are full or away
        assert after[n] == dach_owner or "skipped: rule DACH" in reasons[n]
    assert any(after[n] == dach_owner for n in moved_from)
    assert any(r.changed for r in view.preview_model.rows if r.lead_id in moved_from)

    view.save()
    qtbot.waitUntil(
        lambda: load_config(demo_store.session()).territories.get("Mars") == "Red Planet",
        timeout=5000,
    )
    saved = load_config(demo_store.session())
    assert saved.territories["Spain"] == "DACH" and "Italy" not in saved.territories
    assert saved.pool is not None and leaving not in saved.pool
    # Reload: the page reads back what was saved.
    view.config = None
    terr.set_territories({})
    view.refresh()
    qtbot.waitUntil(lambda: view.config is not None, timeout=5000)
    assert terr.rows[_row(terr, "Spain")][1] == "DACH"
    assert terr.rows[_row(terr, "Mars")][1] == "Red Planet"
    assert "Italy" not in {c for c, _ in terr.rows}
    assert leaving not in view.pool_model.chosen()
    window.ctx.tasks.wait()


def test_a_half_filled_territory_is_refused_in_one_line(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    view.territory_model.add_row("Atlantis", "")
    view.save()
    qtbot.waitUntil(lambda: view.findChild(QMessageBox) is not None, timeout=5000)
    box = view.findChild(QMessageBox)
    assert box is not None and "give both a country and its territory" in box.text()
    box.close()
    assert "Atlantis" not in load_config(demo_store.session()).territories


def test_a_rules_deal_value_moves_leads_in_the_preview(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    team = _as_manager(window, demo_store)
    view = _open(window, qtbot)
    target = next(u for u in team if u.role == "rep")
    with demo_store.session() as s:
        # Two recent leads without a deal value: a bound never takes them.
        recent = s.scalars(
            select(Lead.id).order_by(Lead.created_at.desc(), Lead.id.desc()).limit(2)
        ).all()
        s.execute(update(Lead).where(Lead.id.in_(recent)).values(deal_value=None))
        s.commit()
        values = dict(s.execute(select(Lead.id, Lead.deal_value)).all())
    view.edit_rule(None)
    dialog = view.dialog
    dialog.name.setText("Big deals")
    dialog.target.setCurrentIndex(dialog.target.findData(target.id))
    qtbot.keyClicks(dialog.min_deal, "1,000,000")  # nobody's deal is that big yet
    dialog.accept()
    # First in order (what a drag to the top does).
    last = view.rules_model.rowCount() - 1
    assert view.rules_model.moveRows(QModelIndex(), last, 1, QModelIndex(), 0)
    text = view.rules_model.index(0, 0).data()
    assert f"Big deals: Deal value ≥ 1,000,000 → {target.name}" == text
    before = _preview(view, qtbot)

    # Lower the bound in the rule editor: the leads in range now go to the rule's rep.
    view.rules.setCurrentIndex(view.rules_model.index(0, 0))
    view.edit_rule_button.click()
    dialog = view.dialog
    assert dialog.min_deal.text() == "1,000,000"
    dialog.min_deal.clear()
    qtbot.keyClicks(dialog.min_deal, "20000")
    qtbot.keyClicks(dialog.max_deal, "60000.50")
    dialog.accept()
    rule = view.rules_model.index(0, 0).data(RULE_ROLE)
    assert rule["conditions"] == {"min_deal_value": 20000, "max_deal_value": 60000.5}
    assert "Deal value ≥ 20,000 and deal value ≤ 60,000.50" in view.rules_model.index(0, 0).data()
    after = _preview(view, qtbot)
    rows = {r.lead_id: r for r in view.preview_model.rows}

    def in_range(value: Decimal | None) -> bool:
        return value is not None and Decimal(20000) <= value <= Decimal("60000.50")

    moved = [n for n in after if in_range(values[n]) and before[n] != after[n] == target.name]
    assert moved, "some recent leads in range change owner to the rule's rep"
    assert all(rows[n].changed and rows[n].reason == "Rule: Big deals" for n in moved)
    without = [n for n in after if values[n] is None]
    assert len(without) == 2
    for n in after:
        if n in without and not rows[n].reason.startswith("Account owner"):
            assert "Big deals: the lead has no deal value" in rows[n].reason
        elif not in_range(values[n]):
            assert rows[n].reason != "Rule: Big deals"

    # A bad range is refused in the editor, in one line, and the rule stays as it was.
    view.edit_rule(0)
    dialog = view.dialog
    dialog.min_deal.setText("90,000")
    dialog.accept()
    assert dialog.isVisible() and "above the maximum" in dialog.error.text()
    dialog.reject()
    assert view.rules_model.index(0, 0).data(RULE_ROLE) == rule
    window.ctx.tasks.wait()
