from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.db import Store
from app.services.leads import LeadFilter, count_leads
from app.ui.common.lazy_model import ROW_ID_ROLE, ROW_ROLE
from app.ui.inbox.view import InboxView
from app.ui.leads.model import LeadTableModel
from app.ui.main_window import MainWindow
from app.ui.workers import TaskRunner


def _leads_view(window: MainWindow, qtbot: QtBot) -> InboxView:
    view = window.show_view("inbox")
    assert isinstance(view, InboxView)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=5000)
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


def test_leads_model_passes_qtmodeltester(qtbot: QtBot, qtmodeltester, demo_store: Store) -> None:  # type: ignore[no-untyped-def]
    runner = TaskRunner(demo_store.session_factory)
    model = LeadTableModel(runner)
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.reload()
    qtmodeltester.check(model, force_py=True)
    runner.wait()


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
    from app.services.users import UserInfo
    from app.ui.app import build_window

    user = UserInfo(1, "Solo Owner", "solo@example.com", "owner", None, 0, True)
    win = build_window(sqlite_store, clock, user)
    qtbot.addWidget(win)
    view = win.show_view("inbox")
    qtbot.waitUntil(lambda: view.stack.currentWidget() is view.empty, timeout=5000)
    assert view.empty.title.text() == "No leads yet"
    view.empty.click("Load demo data")
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=60000)
    with sqlite_store.session() as s:
        assert view.model.rowCount() == count_leads(s, LeadFilter(status="open"))
    assert view.stack.currentWidget() is view.table
    win.ctx.tasks.wait()
