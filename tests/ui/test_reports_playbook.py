"""The Reports view's playbook parts (issue 14 items 11-12, issue 13 item 7): the five-layer
overview strip, the bands on the charts, the wheel over a chart, chrome-free exports with the
filters and vector charts, and a live switch to the dark theme."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.clock import SettableClock
from app.services.team.users import UserInfo
from app.store.db import Store
from app.ui import theme
from app.ui.context import AppContext
from app.ui.reports.view import ReportsView
from app.ui.workers import TaskRunner
from tests.helpers.report_history import History, build_history
from tests.ui.test_reports_view import open_view


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


def test_the_overview_strip_shows_the_five_layers_with_their_bands(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    view = open_view(ctx, qtbot)
    tiles = view.overview.tiles
    assert list(tiles) == ["capture", "qualify", "assign", "nurture", "close"]
    assert tiles["capture"].value_label.text() == "4"
    assert tiles["qualify"].value_label.text() == "50.0%"  # 2 of the 4 February leads
    assert tiles["qualify"].band_label.text() == "Band 20%–40% · above"
    assert tiles["close"].value_label.text() == "25.0%"
    assert not tiles["nurture"].band_label.isVisible()  # the playbook sets no band there
    # The strip sits above the first chart.
    assert view.overview.geometry().bottom() < view.cards["funnel"].geometry().top()


def test_charts_draw_the_playbook_band(ctx: AppContext, qtbot: Any, history: History) -> None:
    view = open_view(ctx, qtbot)
    region = view.cards["qualification"].plot.band_region
    assert region is not None and region.getRegion() == (20.0, 40.0)
    sla = view.cards["sla"].plot.band_region
    assert sla is not None and sla.getRegion() == (90.0, 100.0)
    routing = view.cards["routing_accuracy"].plot
    assert [b.label for b in routing.bars] == ["Everyone", "Ann Rep", "Ben Rep"]
    assert [round(b.value) for b in routing.bars] == [75, 67, 100]


def wheel(widget: Any, at: QPoint, delta: int = -120) -> None:
    event = QWheelEvent(
        QPointF(at),
        QPointF(widget.mapToGlobal(at)),
        QPoint(0, 0),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_chart_scrolls_the_page(
    ctx: AppContext, qtbot: Any, history: History
) -> None:
    view = open_view(ctx, qtbot)
    view.resize(1280, 720)
    qtbot.wait(50)
    bar = view.scroll_area.verticalScrollBar()
    bar.setValue(0)
    plot = view.cards["funnel"].plot
    x_range = plot.getPlotItem().getViewBox().viewRange()[0]
    wheel(plot.viewport(), plot.viewport().rect().center())
    assert bar.value() > 0  # the page moved...
    assert plot.getPlotItem().getViewBox().viewRange()[0] == x_range  # ...not the chart


def test_exports_paint_the_content_with_the_filters_and_vector_charts(
    ctx: AppContext, qtbot: Any, history: History, tmp_path: Path
) -> None:
    view = open_view(ctx, qtbot)
    card = view.cards["sla"]
    filters = view.filters.describe()
    assert "01 Feb 2026 – 28 Feb 2026" in filters
    image = card.render_image(filters)
    without = card.render_image("")
    assert image != without  # the period and filters are printed on it
    # No buttons: where the card shows its export buttons, the export is plain background.
    ratio = image.devicePixelRatio()
    corner = image.pixelColor(int((image.width() / ratio - 30) * ratio), int(22 * ratio))
    assert corner == QColor(theme.colors().surface)
    png = card.export_png(tmp_path / "sla.png", filters)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    data = view.export_pdf(tmp_path / "report.pdf").read_bytes()
    assert b"/Subtype /Image" not in data  # every chart is vector paths, no bitmap
    streams = [
        zlib.decompress(m.group(1))
        for m in re.finditer(rb"/FlateDecode[^>]*>>\s*stream\r?\n(.*?)\r?\nendstream", data, re.S)
    ]
    content = b"".join(streams)
    assert content.count(b" re\n") + content.count(b" l\n") > 200  # bars, bands, axes
    assert content.count(b"Tj") + content.count(b"TJ") > 100  # text stays text


def luminance(color: QColor) -> float:
    return 0.2126 * color.redF() + 0.7152 * color.greenF() + 0.0722 * color.blueF()


def test_cards_repaint_dark_on_a_live_theme_switch(
    ctx: AppContext, qtbot: Any, history: History, qapp: QApplication
) -> None:
    theme.apply_theme(qapp, "light")
    view: ReportsView = open_view(ctx, qtbot)
    try:
        theme.apply_theme(qapp, "dark")
        qtbot.wait(50)
        for key in ("qualification", "funnel"):
            card = view.cards[key]
            shot = card.grab().toImage()
            background = shot.pixelColor(shot.width() // 2, 6)  # inside the card's frame
            title = card.title_label.palette().color(card.title_label.foregroundRole())
            assert luminance(background) < 0.25, key
            assert luminance(title) > 0.6, key  # light text on the dark card
            plot = card.plot.grab().toImage()
            assert luminance(plot.pixelColor(plot.width() - 4, 4)) < 0.25, key
        tile = view.overview.tiles["qualify"].grab().toImage()
        assert luminance(tile.pixelColor(tile.width() // 2, tile.height() - 6)) < 0.25
    finally:
        theme.apply_theme(qapp, "light")
