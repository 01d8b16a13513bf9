"""The Reports view on a hand-built history: charts draw the service's numbers, exports write
files, and clicking a bar opens the leads behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QPoint, Qt

from app.cli.core import CliContext, build_parser
from app.clock import SettableClock
from app.services.changes import Changes
from app.services.leads.queries import LeadFilter, lead_ids
from app.services.reports import metrics as m
from app.services.team.users import UserInfo
from app.store.db import Store
from app.ui.context import AppContext
from app.ui.reports.cards import FunnelCard, SourcesCard, TeamCard
from app.ui.reports.view import ReportsView
from app.ui.workers import TaskRunner
from tests.helpers.report_history import PERIOD, History, build_history

FEB = m.MetricsFilter(date_from=PERIOD[0], date_to=PERIOD[1])


@pytest.fixture
def history(sqlite_store: Store) -> History:
    with sqlite_store.session() as session:
        h = build_history(session)
        session.commit()
    return h


@pytest.fixture
def ctx(sqlite_store: Store, clock: SettableClock, qtbot: Any) -> Iterator[AppContext]:
    tasks = TaskRunner(sqlite_store.session_factory)
    user = UserInfo(1, "Olivia Owner", "o@x.example", "owner", None, 0, True)
    yield AppContext(store=sqlite_store, clock=clock, user=user, tasks=tasks)
    tasks.wait()


def open_view(ctx: AppContext, qtbot: Any, *, february: bool = True) -> ReportsView:
    view = ReportsView(ctx)
    qtbot.addWidget(view)
    view.resize(1440, 900)
    view.show()
    with qtbot.waitSignal(view.computed, timeout=20000):
        view.activate()
    if february:
        with qtbot.waitSignal(view.computed, timeout=20000):
            set_february(view)
    return view


def set_february(view: ReportsView) -> None:
    bar = view.filters
    bar._loading = True  # one recompute for the whole change, as a user's last edit gives
    bar.date_from.setDate(QDate(2026, 2, 1))
    bar.date_to.setDate(QDate(2026, 2, 28))
    bar._loading = False
    bar.period.setCurrentIndex(bar.period.findData("custom"))


def cli_json(store: Store, clock: SettableClock, name: str) -> dict[str, Any]:
    import contextlib
    import io

    url = store.url.render_as_string(hide_password=False)
    args = build_parser().parse_args(
        [
            "--db",
            url,
            "--as",
            "a@x.example",
            "report",
            name,
            "--from",
            "2026-02-01",
            "--to",
            "2026-02-28",
            "--json",
        ]
    )
    out = io.StringIO()
    cli = CliContext(db_url=url, clock=clock, as_user=args.as_user)
    try:
        with contextlib.redirect_stdout(out):
            assert args.handler(cli, args) == 0
    finally:
        cli.close()
    return json.loads(out.getvalue())


def test_every_chart_draws_the_numbers_the_cli_prints(
    ctx: AppContext, qtbot: Any, history: History, sqlite_store: Store, clock: SettableClock
) -> None:
    view = open_view(ctx, qtbot)
    assert view.dashboard is not None and view.dashboard.filter == FEB
    for key, card in view.cards.items():
        cli_name = next(n for n, attr in m.REPORTS.items() if attr == key)
        printed = cli_json(sqlite_store, clock, cli_name)
        assert card.title_label.text() == printed["title"]
        assert card.result.to_dict() == {
            k: v for k, v in printed.items() if k not in ("report", "filter")
        }
    funnel = cli_json(sqlite_store, clock, "funnel")
    assert [b.value for b in view.cards["funnel"].plot.bars] == [
        s["reached"] for s in funnel["steps"]
    ]
    sources = cli_json(sqlite_store, clock, "sources")
    assert [(b.label, b.value) for b in view.cards["sources"].plot.bars] == [
        (s["source"], s["leads"]) for s in sources["by_source"]
    ]
    team = cli_json(sqlite_store, clock, "team")
    assert [(b.label, b.value, b.marker) for b in view.cards["team"].plot.bars] == [
        (r["name"], r["open_leads"], r["capacity"]) for r in team["reps"]
    ]
    stalls = view.cards["stalls"]
    assert [b.value for b in stalls.plot.bars] == [2, 1]
    # Hover values: the funnel's second bar says how many and how it converted.
    tip = view.cards["funnel"].plot.tooltip_at(1)
    assert "Initial interest: 2 leads" in tip and "Step conversion: 50.0%" in tip


def test_low_steps_and_over_stale_stages_stand_out(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    from app.ui.theme import colors

    view = open_view(ctx, qtbot)
    stages = {b.label.split("  ·  ")[0]: b for b in view.cards["conversion"].plot.bars}
    assert stages["New"].color == colors().danger  # 2-day median, 1-day stale limit
    assert stages["Discovery complete"].color == colors().accent


def test_every_view_of_every_card_renders(ctx: AppContext, qtbot: Any, history: History) -> None:
    view = open_view(ctx, qtbot)
    for card in view.cards.values():
        for i in range(card.view_box.count() if card.view_box else 1):
            if card.view_box:
                card.view_box.setCurrentIndex(i)
            image = card.plot.grab().toImage()
            assert not image.isNull() and image.width() > 100


def test_exports_png_csv_and_a_multi_page_pdf(
    ctx: AppContext, qtbot: Any, history: History, tmp_path: Path
) -> None:
    view = open_view(ctx, qtbot)
    for key, card in view.cards.items():
        png = card.export_png(tmp_path / f"{key}.png")
        csv = card.export_csv(tmp_path / f"{key}.csv")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        lines = csv.read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) >= 2, key  # a header and at least one row
    assert "Web form,2,2,1,100.0%,50.0%" in (tmp_path / "sources.csv").read_text("utf-8-sig")
    pdf = view.export_pdf(tmp_path / "report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert data.count(b"/Type /Page\n") == 9  # the five layers and a chart, then two a page
    assert b"Leadgate owners" in data or b"/Title" in data


def click_bar(qtbot: Any, card: Any, index: int) -> None:
    plot = card.plot
    point = plot.bar_center(index).toPoint()
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(point))


def test_clicking_a_funnel_bar_opens_the_leads_that_reached_the_stage(
    ctx: AppContext, qtbot: Any, history: History, sqlite_store: Store
) -> None:
    view = open_view(ctx, qtbot)
    funnel = view.cards["funnel"]
    assert isinstance(funnel, FunnelCard)
    with qtbot.waitSignal(ctx.events.show_leads, timeout=10000) as blocker:
        click_bar(qtbot, funnel, 1)  # Initial interest
    request = blocker.args[0]
    assert sorted(request["ids"]) == sorted([history.leads["L1"], history.leads["L2"]])
    assert "Initial interest" in request["title"]
    fields = {k: v for k, v in request.items() if k != "title"}
    with sqlite_store.session() as session:
        opened = lead_ids(session, LeadFilter(**fields))
    assert sorted(opened) == sorted([history.leads["L1"], history.leads["L2"]])


def test_clicking_a_source_or_a_rep_opens_their_leads(
    ctx: AppContext, qtbot: Any, history: History, sqlite_store: Store
) -> None:
    view = open_view(ctx, qtbot)
    sources = view.cards["sources"]
    assert isinstance(sources, SourcesCard)
    event_scan = [b.label for b in sources.plot.bars].index("Event scan")
    with qtbot.waitSignal(ctx.events.show_leads, timeout=10000) as blocker:
        click_bar(qtbot, sources, event_scan)
    request = blocker.args[0]
    assert request["source"] == "Event scan"
    assert sorted(request["ids"]) == sorted([history.leads["L3"], history.leads["L4"]])

    team = view.cards["team"]
    assert isinstance(team, TeamCard)
    ben = [b.label for b in team.plot.bars].index("Ben Rep")
    with qtbot.waitSignal(ctx.events.show_leads, timeout=10000) as blocker:
        click_bar(qtbot, team, ben)
    request = blocker.args[0]
    assert request["owner_id"] == history.rep_b and request["status"] == "open"
    fields = {k: v for k, v in request.items() if k != "title"}
    with sqlite_store.session() as session:
        opened = lead_ids(session, LeadFilter(**fields))
    assert sorted(opened) == sorted([history.leads["L4"], history.leads["L5"]])


def test_filters_apply_to_every_chart_and_are_remembered(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    view = open_view(ctx, qtbot)
    bar = view.filters
    with qtbot.waitSignal(view.computed, timeout=20000):
        bar.source.setCurrentIndex(bar.source.findText("Event: Expo"))
    d = view.dashboard
    assert d is not None and d.filter.event == "Expo"
    assert d.funnel.cohort == 2 and d.response_time.leads == 2 and d.stalls.blocked_attempts == 1
    # A new view (next start) comes back with the same period and event.
    again = ReportsView(ctx)
    qtbot.addWidget(again)
    with qtbot.waitSignal(again.computed, timeout=20000):
        again.activate()
    assert again.filters.filter() == m.MetricsFilter(*PERIOD, event="Expo")


def test_busy_indicator_while_computing(ctx: AppContext, qtbot: Any, history: History) -> None:
    view = open_view(ctx, qtbot)
    with qtbot.waitSignal(view.computed, timeout=20000):
        view.refresh(fresh=True)
        assert view.busy.isVisible()
    assert not view.busy.isVisible()


def test_a_filter_seen_before_shows_at_once_until_leads_change(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    view = open_view(ctx, qtbot)  # computed for the last 90 days, then for February
    bar = view.filters
    bar.period.setCurrentIndex(bar.period.findData("last90"))  # cached: no background work
    assert not ctx.tasks.busy and not view.busy.isVisible()
    assert view.dashboard is not None and view.dashboard.filter.date_from == date(2025, 12, 3)
    ctx.events.changed.emit(Changes(all_leads=True))
    with qtbot.waitSignal(view.computed, timeout=20000):
        set_february(view)
        assert view.busy.isVisible()  # the cache was dropped: computed again


def test_a_change_that_counts_nothing_keeps_the_filters_seen_instant(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    view = open_view(ctx, qtbot)  # computed for the last 90 days, then for February
    ctx.events.changed.emit(Changes(followups=True, alerts=True))
    bar = view.filters
    bar.period.setCurrentIndex(bar.period.findData("last90"))
    assert not ctx.tasks.busy and not view.busy.isVisible()  # shown from the cache
    assert view.dashboard is not None and view.dashboard.filter.date_from == date(2025, 12, 3)
    ctx.events.changed.emit(Changes(pipeline=True))  # the funnel's stages may have changed
    with qtbot.waitSignal(view.computed, timeout=20000):
        set_february(view)
        assert view.busy.isVisible()


def test_a_changed_response_window_recomputes_a_filter_seen_before(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    view = open_view(ctx, qtbot)  # computed for the last 90 days, then for February
    ctx.events.changed.emit(Changes(settings=True))  # the SLA figures judge by the windows
    bar = view.filters
    with qtbot.waitSignal(view.computed, timeout=20000):
        bar.period.setCurrentIndex(bar.period.findData("last90"))
        assert view.busy.isVisible()  # not the figures judged by the old windows


def test_empty_store_renders_and_says_what_to_do(ctx: AppContext, qtbot: Any) -> None:
    view = open_view(ctx, qtbot, february=False)
    assert view.hint.isVisible()
    assert view.cards["funnel"].title_label.text() == "No leads were captured in this period"
    for card in view.cards.values():
        assert card.title_label.text()
        assert not card.plot.grab().toImage().isNull()


def test_in_the_window_a_funnel_click_switches_to_the_matching_leads(
    qtbot: Any, history: History, sqlite_store: Store, clock: SettableClock
) -> None:
    from app.ui.app import build_window, ensure_app

    ensure_app()
    user = UserInfo(1, "Olivia Owner", "o@x.example", "owner", None, 0, True)
    window = build_window(sqlite_store, clock, user)
    qtbot.addWidget(window)
    window.resize(1440, 900)
    window.show()
    view = window.show_view("reports")
    assert isinstance(view, ReportsView)
    qtbot.waitUntil(lambda: view.dashboard is not None, timeout=20000)
    with qtbot.waitSignal(view.computed, timeout=20000):
        set_february(view)
    with qtbot.waitSignal(ctx_events(window).show_leads, timeout=10000):
        click_bar(qtbot, view.cards["funnel"], 2)  # Discovery complete: only L1
    leads = window.current_view()
    assert window.current_view_key == "inbox"
    qtbot.waitUntil(lambda: leads.model.rowCount() == 1, timeout=10000)
    assert "Discovery complete" in leads.title.text()
    name = leads.model.index(0, leads.model.column_of("name")).data()
    assert name == "L1 Test"
    window.ctx.tasks.wait(5000)


def ctx_events(window: Any) -> Any:
    return window.ctx.events


# The offscreen platform cannot raise the tooltip window; the tooltip itself is what counts.
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_hovering_a_bar_shows_its_values(ctx: AppContext, qtbot: Any, history: History) -> None:
    from PySide6.QtWidgets import QToolTip

    view = open_view(ctx, qtbot)
    plot = view.cards["funnel"].plot
    point = plot.bar_center(0).toPoint()
    qtbot.mouseMove(plot.viewport(), QPoint(point))
    qtbot.waitUntil(QToolTip.isVisible, timeout=5000)
    assert QToolTip.text().startswith("New: 4 leads")


def test_a_new_empty_store_shows_empty_charts_not_an_error(
    qtbot: Any, sqlite_store: Store, clock: SettableClock
) -> None:
    """A brand-new store (no pipeline yet) opened on Reports, then again after the other
    views: no error (SQLite once refused a PRAGMA inside the transaction here)."""
    from app.ui.app import build_window, ensure_app

    ensure_app()
    user = UserInfo(1, "Olivia Owner", "o@x.example", "owner", None, 0, True)
    window = build_window(sqlite_store, clock, user)
    qtbot.addWidget(window)
    window.show()
    view = window.show_view("reports")
    assert isinstance(view, ReportsView)
    qtbot.waitUntil(lambda: not window.ctx.tasks.busy, timeout=20000)
    assert "Could not compute" not in view.status.text()
    assert view.dashboard is not None
    for key in ("pipeline", "inbox", "calendar", "reports"):
        window.show_view(key)
    qtbot.waitUntil(lambda: not window.ctx.tasks.busy, timeout=20000)
    assert "Could not compute" not in view.status.text()
    window.ctx.tasks.wait(5000)
