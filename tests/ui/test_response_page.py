"""The Response and follow-up page: a manager edits a tier's window and a stale limit and the
settings service has them; a bad value is the service's one line and changes nothing; a rep
reads it; the cadence editor opens from it with reorder and a preview on a real lead."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.clock import SettableClock
from app.services.auth import Actor
from app.services.settings import api as settings_api
from app.services.team.users import list_users
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.main_window import MainWindow
from app.ui.team.response_view import ResponseView


def _open(window: MainWindow, qtbot: QtBot) -> ResponseView:
    view = window.show_view("response")
    assert isinstance(view, ResponseView)
    qtbot.waitUntil(lambda: view.values is not None and bool(view.stale), timeout=5000)
    return view


def _as_manager(window: MainWindow, store: Store) -> None:
    with store.session() as s:
        window.ctx.set_user(next(u for u in list_users(s) if u.role == "manager"))


def _settings(store: Store, clock: SettableClock) -> dict[str, Any]:
    return settings_api.show_settings(
        UnitOfWork(store.session_factory, clock), Actor.reader()
    ).value


def test_a_manager_changes_a_window_and_a_stale_limit(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    assert view.save_button.isVisible() and not view.minutes["Medium"].isReadOnly()
    assert view.described["Urgent"].text() == "5 min"
    assert view.described["High"].text() == "The same business day"
    assert view.described["Low"].text().startswith("No first-response window")
    stage = next(iter(view.stale))
    view.minutes["Medium"].setText("90")
    assert view.described["Medium"].text() == "1.5 h"  # as the countdown will use it
    view.stale[stage].setText("12")
    assert view.pairs() == {"sla_minutes.Medium": "90", f"stale_hours.{stage}": "12"}
    with qtbot.waitSignal(window.ctx.events.changed, timeout=5000) as changed:
        view.save_button.click()
    assert changed.args[0].settings
    saved = _settings(demo_store, clock)
    assert saved["sla_minutes.Medium"] == 90 and saved[f"stale_hours.{stage}"] == 12
    qtbot.waitUntil(lambda: view.status.text() == "Saved.", timeout=5000)
    window.ctx.tasks.wait(5000)


def test_a_bad_value_is_one_line_in_a_dialog_and_changes_nothing(
    window: MainWindow, qtbot: QtBot, demo_store: Store, clock: SettableClock
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    before = _settings(demo_store, clock)
    stage = next(iter(view.stale))
    view.minutes["Medium"].setText("30")
    view.stale[stage].setText("soon")  # the whole save is refused, the good value too
    view.save()
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox)), timeout=5000)
    box = view.findChildren(QMessageBox)[0]
    assert box.text() == f"stale_hours.{stage}=soon: the stale limit is whole hours (or 'none')."
    assert _settings(demo_store, clock) == before
    box.close()
    view.stale[stage].setText("12")
    view.minutes["Medium"].setText("-5")
    view.save()
    qtbot.waitUntil(lambda: len(view.findChildren(QMessageBox)) == 2, timeout=5000)
    assert "Medium response window must be a whole number" in (
        view.findChildren(QMessageBox)[1].text()
    )
    assert _settings(demo_store, clock) == before
    window.ctx.tasks.wait(5000)


def test_a_rep_reads_the_settings_and_the_cadences(window: MainWindow, qtbot: QtBot) -> None:
    view = _open(window, qtbot)  # the window's user is a rep
    assert not view.save_button.isVisible()
    assert "Read-only" in view.note.text()
    assert all(e.isReadOnly() for e in [*view.minutes.values(), *view.stale.values()])
    assert not view.same_day["High"].isEnabled() and not view.action.isEnabled()
    view.minutes["Medium"].setText("1")
    view.save()
    assert not view.findChildren(QMessageBox)
    editor = view.open_cadences()
    qtbot.waitUntil(lambda: editor.cadence_list.count() == 7, timeout=5000)
    assert not editor.step_form.isEnabled()
    qtbot.waitUntil(lambda: editor.preview.text().startswith("Preview on "), timeout=5000)
    editor.close()
    window.ctx.tasks.wait(5000)


def test_a_manager_reorders_a_step_and_previews_it_on_a_lead(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    _as_manager(window, demo_store)
    view = _open(window, qtbot)
    editor = view.open_cadences()
    qtbot.waitUntil(lambda: editor.steps.rowCount() > 2, timeout=5000)
    editor.steps.setCurrentCell(0, 0)
    qtbot.waitUntil(lambda: editor.preview.text().startswith("Preview on "), timeout=5000)
    assert "{" not in editor.preview.text()  # placeholders filled from a real lead
    assert not editor.step_form.up_button.isEnabled()
    editor.steps.setCurrentCell(1, 0)
    moved = editor.current_step()
    first = editor.steps.item(0, 0).text()
    assert moved is not None and editor.step_form.up_button.isEnabled()
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        editor.step_form.up_button.click()
    assert editor.current_step() == editor.current_cadence().steps[0]  # type: ignore[union-attr]
    assert editor.steps.item(0, 2).text() == moved.subject
    assert editor.steps.item(0, 0).text() == first  # it took the first step's day
    editor.step_form.template.setPlainText("Hi {first_name}, about {company}: {owner_name}")
    with qtbot.waitSignal(editor.loaded, timeout=5000):
        editor.step_form.save_button.click()
    assert editor.current_step().template.startswith("Hi {first_name}")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "\nHi " in editor.preview.text(), timeout=5000)
    assert "{" not in editor.preview.text()
    editor.close()
    window.ctx.tasks.wait(5000)
