"""The Routing page walked end to end: a manager adds a rule, previews where recent leads
would go (changed rows counted), saves, and new leads follow the rule; a rep reads it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.models import Lead
from app.services.leads import api as leads_api
from app.services.routing.config import load_config
from app.services.team.users import list_users
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.main_window import MainWindow
from app.ui.team.routing_view import PreviewModel, RoutingView


def _open(window: MainWindow, qtbot: QtBot) -> RoutingView:
    view = window.show_view("routing")
    assert isinstance(view, RoutingView)
    qtbot.waitUntil(lambda: view.config is not None and view.rules.count() > 0, timeout=5000)
    return view


def test_a_rep_reads_the_routing_set_up(window: MainWindow, qtbot: QtBot) -> None:
    view = _open(window, qtbot)
    assert not view.save_button.isVisible() and not view.add_rule_button.isVisible()
    assert "Read-only" in view.note.text()
    assert "→" in view.rules.item(0).text()  # sentence-like rules


def test_a_manager_edits_previews_and_saves_and_routing_follows(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    with demo_store.session() as s:
        team = list_users(s)
    window.ctx.set_user(next(u for u in team if u.role == "manager"))
    view = _open(window, qtbot)
    assert view.save_button.isVisible()
    target = next(u for u in team if u.role == "rep")
    view.edit_rule(None)
    dialog = view.dialog
    dialog.name.setText("Everything to one rep")
    dialog.target.setCurrentIndex(dialog.target.findData(target.id))
    dialog.accept()
    # First in order: drag-to-reorder is an InternalMove list; move it to the top here.
    view.rules.insertItem(0, view.rules.takeItem(view.rules.count() - 1))
    assert view.rules.item(0).text().startswith("Everything to one rep: Any lead → ")
    view.run_preview()
    qtbot.waitUntil(lambda: view.preview_model.rowCount() == 50, timeout=10000)
    qtmodeltester.check(view.preview_model)
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
    lead = leads_api.create_lead(
        UnitOfWork(demo_store.session_factory, clock),
        window.ctx.actor,
        {
            "first_name": "Rita",
            "last_name": "Routed",
            "company": "Brand New Co",
            "country": "Spain",
        },
    ).value
    with demo_store.session() as s:
        assert s.get(Lead, lead).owner_id == target.id  # type: ignore[union-attr]
    window.ctx.tasks.wait()
