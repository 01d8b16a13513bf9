"""pyqtgraph building blocks for the report cards: labelled horizontal bars, vertical bars and
weekly lines, themed from app/ui/theme.py, with hover values and bar clicks.

pyqtgraph is imported only inside app/ui/reports so that start-up does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip

from app.ui.theme import colors

pg.setConfigOptions(antialias=True)


@dataclass
class Bar:
    """One row of a horizontal bar chart (or one column of a vertical one)."""

    label: str
    value: float
    color: str
    text: str = ""  # printed at the bar's end
    tooltip: str = ""
    back: float | None = None  # a lighter, longer bar behind (p90, capacity...)
    marker: float | None = None  # a tick at this value (stale limit, capacity)
    key: object = None  # what a click on this bar drills into
    band: tuple[float, float] | None = None  # the playbook's range for this row, shaded
    text_at: float | None = None  # where `text` starts, when not at the bar's end


@dataclass
class Series:
    name: str
    values: list[float | None]
    color: str
    fmt: str = "{:,.0f}"
    axis: str = ""


@dataclass
class LineData:
    labels: list[str]  # one per x position
    series: list[Series] = field(default_factory=list)


def _font(size_delta: int = 0, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(max(7.0, font.pointSizeF() + size_delta))
    font.setBold(bold)
    return font


class ValueAxis(pg.AxisItem):
    """Tick labels as people read them: $12k, 40%, 1.5k; set `kind` to money, percent or
    count."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.kind = "count"

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        out = []
        for v in values:
            if self.kind == "money":
                out.append(f"${v / 1000:,.0f}k" if abs(v) >= 1000 else f"${v:,.0f}")
            elif self.kind == "percent":
                out.append(f"{v:.0f}%")
            elif abs(v) >= 10_000:
                out.append(f"{v / 1000:.0f}k")
            else:
                out.append(f"{v:,.{0 if spacing >= 1 else 1}f}")
        return out


class BasePlot(pg.PlotWidget):
    """A PlotWidget with the theme's colours, no mouse zoom/pan, and a hover/click protocol."""

    bar_clicked = Signal(int)

    def __init__(self, parent: object = None) -> None:
        c = colors()
        value_axis = ValueAxis("left")
        super().__init__(parent=parent, background=c.surface, axisItems={"left": value_axis})
        self.value_axis = value_axis
        self.setMinimumHeight(180)
        self.setMenuEnabled(False)
        self.hideButtons()
        item = self.getPlotItem()
        item.getViewBox().setMouseEnabled(False, False)
        item.getViewBox().enableAutoRange(False)
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(c.border))
            axis.setTextPen(pg.mkPen(c.text_secondary))
            axis.setTickFont(_font(-1))
            axis.setStyle(maxTextLevel=0)  # label major ticks only: calmer axes
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.scene().sigMouseMoved.connect(self._moved)
        self.scene().sigMouseClicked.connect(self._clicked)
        self._tooltips: list[str] = []
        self.clickable = False
        self.band_region: pg.LinearRegionItem | None = None

    def render_to(self, painter: QPainter, target: QRectF) -> None:
        """Paint the chart into `target` as vectors: items told they are being exported draw
        paths instead of their cached pixmaps (the symbols of a line chart, for one)."""
        items = [i for i in self.scene().items() if hasattr(i, "setExportMode")]
        for i in items:
            i.setExportMode(True, {"painter": painter, "antialias": True})
        try:
            self.scene().render(
                painter,
                target,
                QRectF(0, 0, self.width(), self.height()),
                Qt.AspectRatioMode.KeepAspectRatio,
            )
        finally:
            for i in items:
                i.setExportMode(False)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Report charts never zoom: the wheel scrolls the page they sit on. (The event is
        handed to the page's scroll bar: an ignored one would reach the page only when the
        system sent it, and pyqtgraph's view box would take it otherwise.)"""
        area = self.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is None:
            event.ignore()
            return
        vertical = abs(event.angleDelta().y()) >= abs(event.angleDelta().x())
        bar = area.verticalScrollBar() if vertical else area.horizontalScrollBar()
        QApplication.sendEvent(bar, event)
        event.accept()

    def apply_theme(self) -> None:
        """The current theme's colours (after a live theme switch); callers then redraw."""
        c = colors()
        self.setBackground(c.surface)
        item = self.getPlotItem()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(c.border))
            axis.setTextPen(pg.mkPen(c.text_secondary))
            if axis.label.toPlainText():
                self.axis_label(name, axis.labelText)

    def add_band(self, low: float | None, high: float | None, *, vertical: bool, text: str) -> None:
        """The playbook's band: a shaded range between `low` and `high` (one of them None for
        a one-sided target: the shade then runs to the plot's edge) with a dashed line at each
        finite end. `vertical`: the band is a range of x (horizontal bars)."""
        c = colors()
        item = self.getPlotItem()
        vb = item.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        lo_edge, hi_edge = (x0, x1) if vertical else (y0, y1)
        lo = lo_edge if low is None else low
        hi = hi_edge if high is None else high
        orientation = "vertical" if vertical else "horizontal"
        region = pg.LinearRegionItem(
            values=(lo, hi),
            orientation=orientation,
            movable=False,
            brush=_tint(c.success, 0.13),
            pen=pg.mkPen(None),
        )
        region.setZValue(-10)
        item.addItem(region)
        angle = 90 if vertical else 0
        for value in (low, high):
            if value is None:
                continue
            line = pg.InfiniteLine(
                pos=value,
                angle=angle,
                movable=False,
                pen=pg.mkPen(c.success, width=1.5, style=Qt.PenStyle.DashLine),
            )
            line.setZValue(-5)  # behind the bars and their values
            item.addItem(line)
        if vertical and vb.state["yInverted"]:
            # Horizontal bars fill the plot from the top: the band is named under the axis.
            axis = item.getAxis("bottom")
            base = axis.labelText.split("  ·  ")[0]
            self.axis_label("bottom", f"{base}  ·  green: {text}" if base else text)
            self.band_region = region
            return
        if vertical:  # at the top of the band's left edge
            label = pg.TextItem(text, color=c.success, anchor=(0, 0))
            label.setPos(lo, y1)
        else:  # on the band's upper line, at the left
            label = pg.TextItem(text, color=c.success, anchor=(0, 1))
            label.setPos(x0, hi if high is not None else lo)
        label.setFont(_font(-1, bold=True))
        item.addItem(label)
        self.band_region = region

    def axis_label(self, name: str, text: str) -> None:
        c = colors()
        self.getPlotItem().setLabel(name, text, color=c.text_secondary)

    # Subclasses map a point in view coordinates to the index of the item under it.
    def index_at(self, point: QPointF) -> int | None:
        return None

    def _view_point(self, scene_pos: QPointF) -> QPointF | None:
        vb = self.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        return vb.mapSceneToView(scene_pos)

    def _moved(self, scene_pos: QPointF) -> None:
        point = self._view_point(scene_pos)
        index = self.index_at(point) if point is not None else None
        if index is None or index >= len(self._tooltips) or not self._tooltips[index]:
            QToolTip.hideText()
            self.setCursor(Qt.CursorShape.ArrowCursor)
            return
        shape = Qt.CursorShape.PointingHandCursor if self.clickable else Qt.CursorShape.ArrowCursor
        self.setCursor(shape)
        global_pos = self.mapToGlobal(self.mapFromScene(scene_pos))
        QToolTip.showText(global_pos, self._tooltips[index], self)

    def _clicked(self, event: object) -> None:
        if not self.clickable:
            return
        point = self._view_point(event.scenePos())  # type: ignore[attr-defined]
        index = self.index_at(point) if point is not None else None
        if index is not None:
            self.bar_clicked.emit(index)

    def tooltip_at(self, index: int) -> str:
        return self._tooltips[index] if 0 <= index < len(self._tooltips) else ""


class HBarPlot(BasePlot):
    """Horizontal bars, one row per item, the label above each bar and its value at the end,
    so long stage and criterion names never squeeze the plot."""

    ROW = 1.0
    BAR = 0.42

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        item = self.getPlotItem()
        item.hideAxis("left")
        item.getViewBox().invertY(True)
        self.bars: list[Bar] = []

    def set_bars(self, bars: Sequence[Bar], *, x_label: str = "", empty: str = "") -> None:
        c = colors()
        item = self.getPlotItem()
        item.clear()
        self.bars = list(bars)
        self._tooltips = [b.tooltip for b in self.bars]
        if x_label:
            self.axis_label("bottom", x_label)
        if not self.bars:
            text = pg.TextItem(
                empty or "Nothing to show", color=c.text_secondary, anchor=(0.5, 0.5)
            )
            item.addItem(text)
            text.setPos(0.5, 0.5)
            item.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        top = max(max(b.value, b.back or 0, b.marker or 0) for b in self.bars) or 1.0
        ys = [i * self.ROW + 0.62 for i in range(len(self.bars))]
        banded = [(y, b.band) for y, b in zip(ys, self.bars, strict=True) if b.band is not None]
        if banded:
            shade = pg.BarGraphItem(
                x0=[lo for _, (lo, _hi) in banded],
                y=[y for y, _ in banded],
                width=[hi - lo for _, (lo, hi) in banded],
                height=self.BAR * 1.7,
                brushes=[_tint(c.success, 0.2)] * len(banded),
                pens=[pg.mkPen(c.success, width=1, style=Qt.PenStyle.DashLine)] * len(banded),
            )
            shade.setZValue(-5)
            item.addItem(shade)
            top = max(top, *(hi for _, (_lo, hi) in banded))
        backs = [(y, b) for y, b in zip(ys, self.bars, strict=True) if b.back is not None]
        if backs:
            item.addItem(
                pg.BarGraphItem(
                    x0=[0] * len(backs),
                    y=[y for y, _ in backs],
                    width=[b.back for _, b in backs],
                    height=self.BAR,
                    brushes=[_tint(b.color, 0.28) for _, b in backs],
                    pens=[pg.mkPen(None)] * len(backs),
                )
            )
        item.addItem(
            pg.BarGraphItem(
                x0=[0] * len(self.bars),
                y=ys,
                width=[b.value for b in self.bars],
                height=self.BAR,
                brushes=[QColor(b.color) for b in self.bars],
                pens=[pg.mkPen(None)] * len(self.bars),
            )
        )
        for y, b in zip(ys, self.bars, strict=True):
            label = pg.TextItem(b.label, color=c.text, anchor=(0, 1))
            label.setFont(_font(-1))
            label.setPos(0, y - self.BAR / 2 - 0.02)
            item.addItem(label)
            end = max(b.value, b.back or 0) if b.text_at is None else b.text_at
            if b.text:
                value = pg.TextItem(b.text, color=c.text_secondary, anchor=(0, 0.5))
                value.setFont(_font(-1))
                value.setPos(end + top * 0.01, y)
                item.addItem(value)
            if b.marker is not None:
                tick = pg.PlotDataItem(
                    [b.marker, b.marker],
                    [y - self.BAR * 0.62, y + self.BAR * 0.62],
                    pen=pg.mkPen(c.text, width=2),
                )
                item.addItem(tick)
        item.getViewBox().setRange(
            xRange=(0, top * 1.45), yRange=(0, len(self.bars) * self.ROW + 0.15), padding=0
        )

    def index_at(self, point: QPointF) -> int | None:
        if not self.bars:
            return None
        i = int((point.y() - 0.1) // self.ROW)
        return i if 0 <= i < len(self.bars) else None

    def bar_center(self, index: int) -> QPointF:
        """Where bar `index` sits, in widget coordinates (tests click there)."""
        b = self.bars[index]
        vb = self.getPlotItem().getViewBox()
        scene = vb.mapViewToScene(QPointF(max(b.value, 1e-9) / 2, index * self.ROW + 0.62))
        return self.mapFromScene(scene).toPointF()


class VBarPlot(BasePlot):
    """Vertical bars with category labels on the x axis (a distribution)."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.bars: list[Bar] = []

    def set_bars(self, bars: Sequence[Bar], *, y_label: str = "", x_label: str = "") -> None:
        c = colors()
        item = self.getPlotItem()
        item.clear()
        self.bars = list(bars)
        self._tooltips = [b.tooltip for b in self.bars]
        if y_label:
            self.axis_label("left", y_label)
        if x_label:
            self.axis_label("bottom", x_label)
        item.getAxis("bottom").setTicks([[(i, b.label) for i, b in enumerate(self.bars)]])
        if not self.bars:
            return
        item.addItem(
            pg.BarGraphItem(
                x=list(range(len(self.bars))),
                height=[b.value for b in self.bars],
                width=0.66,
                brushes=[QColor(b.color) for b in self.bars],
                pens=[pg.mkPen(None)] * len(self.bars),
            )
        )
        top = max(b.value for b in self.bars) or 1.0
        for i, b in enumerate(self.bars):
            if b.text:
                t = pg.TextItem(b.text, color=c.text_secondary, anchor=(0.5, 1))
                t.setFont(_font(-1))
                t.setPos(i, b.value)
                item.addItem(t)
        item.getViewBox().setRange(
            xRange=(-0.6, len(self.bars) - 0.4), yRange=(0, top * 1.2), padding=0
        )

    def index_at(self, point: QPointF) -> int | None:
        i = round(point.x())
        return i if 0 <= i < len(self.bars) and abs(point.x() - i) <= 0.35 else None


class LinePlot(BasePlot):
    """Weekly lines with week labels on the x axis; hover shows every series at that week."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self.data = LineData([])
        self.getPlotItem().showGrid(x=False, y=True, alpha=0.15)

    def set_lines(self, data: LineData, *, y_label: str = "", x_label: str = "") -> None:
        c = colors()
        item = self.getPlotItem()
        if len(data.series) > 1 and item.legend is None:  # the series' names, when several
            legend = item.addLegend(offset=(8, 4), colCount=6)
            legend.setZValue(20)
        if item.legend is not None:
            item.legend.clear()
            item.legend.setLabelTextColor(c.text)
            item.legend.setBrush(_tint(c.surface, 0.85))
            item.legend.setVisible(len(data.series) > 1)
        item.clear()
        self.data = data
        if y_label:
            self.axis_label("left", y_label)
        if x_label:
            self.axis_label("bottom", x_label)
        n = len(data.labels)
        # About one label per 80 px keeps week labels from running into each other.
        step = max(1, -(-n // max(2, self.width() // 80)))
        item.getAxis("bottom").setTicks([[(i, data.labels[i]) for i in range(0, n, step)]])
        top = 0.0
        for s in data.series:
            xs = [i for i, v in enumerate(s.values) if v is not None]
            ys = [float(v) for v in s.values if v is not None]
            if not xs:
                continue
            top = max(top, *ys)
            item.addItem(
                pg.PlotDataItem(
                    xs,
                    ys,
                    name=s.name,
                    pen=pg.mkPen(s.color, width=2.2),
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=QColor(s.color),
                    symbolPen=pg.mkPen(None),
                )
            )
        self._tooltips = [
            "\n".join(
                [data.labels[i]]
                + [
                    f"{s.name}: {s.fmt.format(s.values[i]) if s.values[i] is not None else 'n/a'}"
                    for s in data.series
                ]
            )
            for i in range(n)
        ]
        item.getViewBox().setRange(
            xRange=(-0.5, max(n - 0.5, 0.5)), yRange=(0, (top or 1.0) * 1.15), padding=0
        )

    def index_at(self, point: QPointF) -> int | None:
        i = round(point.x())
        return i if 0 <= i < len(self.data.labels) else None


def _tint(color: str, alpha: float) -> QColor:
    q = QColor(color)
    q.setAlphaF(alpha)
    return q
