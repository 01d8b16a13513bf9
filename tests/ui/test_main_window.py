from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.services.leads.queries import LeadFilter, count_leads
from app.store.db import Store
from app.ui.common.lazy_model import ROW_ID_ROLE, ROW_ROLE
from app.ui.inbox.view import InboxView
from app.ui.main_window import MainWindow


def _leads_view(window: MainWindow, qtbot: QtBot) -> InboxView:
    view = window.show_view("inbox")
    assert isinstance(view, InboxView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
    if view.chips["mine"].isChecked():  # a rep opens on My leads: show the whole inbox
        with qtbot.waitSignal(view.model.loaded, timeout=5000):
            view.chips["mine"].click()
    return view


def test_window_opens_on_demo_store_and_names_store_and_user(
    window: MainWindow, qtbot: QtBot, rep
) -> None:  # type: ignore[no-untyped-def]
    view = _leads_view(window, qtbot)
    with window.ctx.store.session() as s:
        open_leads = count_leads(s, LeadFilter(status="open"))
    assert view.model.rowCount() == open_leads > 0  # the inbox lists open leads
    assert view.count.text() == f"{open_leads} leads"
    assert rep.name in window.user_label.text()
    assert "Local file" in window.store_label.text()


def test_sorting_a_column_reorders_rows(window: MainWindow, qtbot: QtBot) -> None:
    view = _leads_view(window, qtbot)
    name_col = view.model.column_of("name")
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.table.sortByColumn(name_col, Qt.SortOrder.AscendingOrder)
    names = [view.model.index(r, name_col).data() for r in range(20)]
    assert names == sorted(names)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.table.sortByColumn(name_col, Qt.SortOrder.DescendingOrder)
    names_desc = [view.model.index(r, name_col).data() for r in range(20)]
    assert names_desc == sorted(names_desc, reverse=True)
    assert names_desc[0] >= names[-1]


def test_scrolling_far_fetches_later_pages_without_blocking(
    window: MainWindow, qtbot: QtBot
) -> None:
    view = _leads_view(window, qtbot)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        window.ctx.events.show_leads.emit({"title": "All leads"})  # 300: more than a page
    last = view.model.rowCount() - 1
    assert last >= view.model.PAGE
    assert view.model.index(last, 0).data() == "…"  # not fetched yet: a placeholder, no query
    with qtbot.waitSignal(view.model.page_loaded, timeout=5000):
        pass
    assert view.model.index(last, 0).data() not in ("…", None)


def test_search_filters_in_sql_and_empty_result_says_so(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    view = _leads_view(window, qtbot)
    company = view.model.index(0, view.model.column_of("company")).data()
    word = company.split()[0]
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        qtbot.keyClicks(view.search, word)
    with demo_store.session() as s:
        expected = count_leads(s, LeadFilter(text=word, status="open"))
    assert view.model.rowCount() == expected > 0
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.search.setText("zzzz-no-such-lead")
    assert view.model.rowCount() == 0
    assert view.stack.currentWidget() is view.empty
    assert view.empty.title.text() == "No lead matches these filters"
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        view.empty.click("Clear filters")
    with demo_store.session() as s:
        open_leads = count_leads(s, LeadFilter(status="open"))
    assert view.model.rowCount() == open_leads and view.search.text() == ""


def test_selecting_a_lead_fills_the_detail_panel(window: MainWindow, qtbot: QtBot) -> None:
    view = _leads_view(window, qtbot)
    lead_id = view.model.index(3, 0).data(ROW_ID_ROLE)
    name = view.model.index(3, view.model.column_of("name")).data()
    view.table.selectRow(3)
    qtbot.waitUntil(
        lambda: window.detail_panel.lead_id == lead_id and window.detail_panel.detail is not None,
        timeout=5000,
    )
    assert window.detail_panel.name.text() == name
    assert window.detail_panel.sections[-1].model.rowCount() >= 1  # history entries


def test_show_leads_event_filters_the_list(window: MainWindow, qtbot: QtBot) -> None:
    view = _leads_view(window, qtbot)
    with qtbot.waitSignal(view.model.loaded, timeout=5000):
        window.ctx.events.show_leads.emit({"status": "won", "title": "Won deals"})
    assert view.title.text() == "Inbox: Won deals"
    statuses = {view.model.index(r, 0).data(ROW_ROLE).status for r in range(view.model.rowCount())}
    assert statuses == {"won"}


def test_empty_store_offers_next_step(qtbot: QtBot, sqlite_store: Store, clock) -> None:  # type: ignore[no-untyped-def]
    from app.services.team.users import UserInfo
    from app.ui.app import build_window

    user = UserInfo(1, "Solo Owner", "solo@example.com", "owner", None, 0, True)
    win = build_window(sqlite_store, clock, user)
    qtbot.addWidget(win)
    view = win.show_view("inbox")
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.empty, timeout=5000)
    assert view.empty.title.text() == "No leads yet"
    assert view.empty.action_labels() == ["Import a badge file…", "Load demo data"]
    view.empty.click("Load demo data")
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=60000)
    with sqlite_store.session() as s:
        assert view.model.rowCount() == count_leads(s, LeadFilter(status="open"))
    assert view.stack.currentWidget() is view.table
    win.ctx.tasks.wait()


def test_new_lead_dialog_creates_a_lead_in_the_first_stage(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    from app.ui.leads.new_lead import NewLeadDialog

    dialog = NewLeadDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    changes: list[object] = []
    window.ctx.events.changed.connect(changes.append)
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled(), timeout=5000)
    assert dialog.error.text().startswith("Enter at least a name or an e-mail address")
    dialog.inputs["first_name"].setText("Grace")
    dialog.inputs["last_name"].setText("Hopper")
    dialog.inputs["email"].setText("not-an-email@")
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled(), timeout=5000)
    assert dialog.error.text() == "'not-an-email@' is not an e-mail address."
    assert not [c for c in changes if c.leads]  # type: ignore[attr-defined]  # refused: nothing
    dialog.inputs["email"].setText("Grace.Hopper@Navy.example")
    dialog.inputs["deal_value"].setText("12 thousand")
    with qtbot.waitSignal(dialog.create_button.clicked, timeout=1000):
        dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.create_button.isEnabled(), timeout=5000)
    assert dialog.error.text()  # a value the service cannot read is explained, nothing saved
    dialog.inputs["deal_value"].setText("12000")
    with qtbot.waitSignal(window.ctx.events.lead_selected, timeout=5000) as selected:
        dialog.create_button.click()
    with demo_store.session() as s:
        from app.models import Lead
        from app.services.pipeline.stages import list_stages

        lead = s.get(Lead, selected.args[0])
        assert lead is not None
        assert (lead.display_name, lead.email_normalized) == (
            "Grace Hopper",
            "grace.hopper@navy.example",
        )
        assert lead.stage_id == list_stages(s)[0].id and float(lead.deal_value) == 12000
    named = [c for c in changes if c.leads]  # type: ignore[attr-defined]  # the one broadcast
    assert len(named) == 1 and named[0].leads == {lead.id}


def test_an_alert_opening_a_lead_shows_it_in_the_panel(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    from app.services.leads.queries import list_leads

    with demo_store.session() as s:
        lead = list_leads(s, limit=1)[0]
    window.panel_action.setChecked(False)
    window.ctx.events.open_lead.emit(lead.id)
    qtbot.waitUntil(lambda: window.detail_panel.detail is not None, timeout=5000)
    assert window.detail_panel.isVisible()
    assert window.detail_panel.name.text() == lead.name


def test_the_running_app_has_an_alerts_bell_and_a_sweeping_timer(
    window: MainWindow, qtbot: QtBot
) -> None:
    from app.ui.app import _start_background_work

    _start_background_work(window)
    assert window.alerts_button.isVisible()
    with qtbot.waitSignal(window.alerts.timer.swept, timeout=30000):
        window.alerts.timer.sweep_now()
    window.close()


def test_import_is_reachable_from_menu_toolbar_and_a_dropped_file(
    window: MainWindow, qtbot: QtBot, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QApplication

    from app.ui.importing.wizard import ImportWizard

    assert window.import_action in window.toolbar.actions()
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.import_action in window.file_menu.actions()
    window.import_action.trigger()
    wizards = [w for w in QApplication.topLevelWidgets() if isinstance(w, ImportWizard)]
    assert wizards
    for w in wizards:
        w.close()

    def drop_event(path: str) -> QDropEvent:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(path)])
        event = QDropEvent(
            QPointF(QPoint(200, 200)),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        event._mime = mime  # type: ignore[attr-defined]
        return event

    # Qt routes drop events only during a real drag (which cannot run offscreen), so the
    # window's drop filter gets the event as Qt would hand it over.
    from app.ui.importing import _FileDropFilter

    (drop_filter,) = window.findChildren(_FileDropFilter)
    assert window.acceptDrops()
    assert drop_filter.eventFilter(window, drop_event(str(tmp_path / "photo.png"))) is False
    badge = tmp_path / "scans.csv"
    badge.write_text("First Name,Last Name,Email,Company\nAda,Lovelace,ada@example.com,Engines\n")
    assert drop_filter.eventFilter(window, drop_event(str(badge))) is True
    opened = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ImportWizard) and w.isVisible()
    ]
    assert len(opened) == 1
    opened[0].close()


def test_new_lead_with_an_existing_email_offers_the_lead_or_a_reason(
    window: MainWindow, qtbot: QtBot, demo_store: Store
) -> None:
    from sqlalchemy import select

    from app.models import Lead
    from app.ui.leads.new_lead import NewLeadDialog

    with demo_store.session() as s:
        existing = s.execute(
            select(Lead.id, Lead.email).where(Lead.email.is_not(None)).limit(1)
        ).one()
        before = s.query(Lead).count()
    dialog = NewLeadDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.inputs["first_name"].setText("Someone")
    dialog.inputs["email"].setText(existing.email.upper())
    dialog.create_button.click()
    qtbot.waitUntil(lambda: dialog.duplicate.isVisible(), timeout=5000)
    assert f"lead {existing.id}" in dialog.duplicate.text.text()
    assert dialog.duplicate.open_button.text() == f"Open lead {existing.id}"
    assert not dialog.create_button.isEnabled()  # a reason first
    dialog.duplicate.reason.setText("Shared mailbox, different buyer")
    assert dialog.create_button.text() == "Create anyway"
    with qtbot.waitSignal(window.ctx.events.lead_selected, timeout=5000):
        dialog.create_button.click()
    with demo_store.session() as s:
        assert s.query(Lead).count() == before + 1
