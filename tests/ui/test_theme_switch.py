"""View → Theme → Dark repaints the running board and inbox: no light widget left."""

from __future__ import annotations

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.ui import theme
from app.ui.main_window import MainWindow
from app.ui.pipeline.view import PipelineView


def _light_share(widget: QWidget) -> float:
    """The share of sampled pixels that are light (a light-theme surface, or text)."""
    image: QImage = widget.grab().toImage()
    light = total = 0
    for y in range(0, image.height(), 6):
        for x in range(0, image.width(), 6):
            total += 1
            light += QColor(image.pixel(x, y)).lightness() > 200
    return light / max(total, 1)


def test_dark_theme_repaints_the_board_columns_live(window: MainWindow, qtbot: QtBot) -> None:
    board = window.show_view("pipeline")
    assert isinstance(board, PipelineView)
    qtbot.waitUntil(lambda: len(board.columns) == 5, timeout=5000)
    qtbot.waitUntil(lambda: all(not c.model.loading for c in board.columns.values()))
    before = theme.colors()
    try:
        window.set_theme("light")
        qtbot.wait(10)
        assert _light_share(board) > 0.8
        window.set_theme("dark")
        qtbot.wait(10)
        for column in board.columns.values():
            assert _light_share(column) < 0.1, column.stage.name
        for zone in board.exits.values():
            assert _light_share(zone) < 0.1, zone.stage.name
        assert _light_share(board) < 0.1
        # The column's own background is the dark palette's, not the light one's.
        column = next(iter(board.columns.values()))
        image = column.grab().toImage()
        corner = QColor(image.pixel(4, image.height() - 4))
        assert corner.lightness() < 80
        inbox = window.show_view("inbox")
        qtbot.wait(10)
        assert _light_share(inbox) < 0.15
    finally:
        window.set_theme("dark" if before is theme.DARK else "light")
