"""One card per chart: the finding as its title, a one-line explanation, the plot, and PNG /
CSV export. Each card draws a result object from services/metrics.py as it is."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.reports import metrics as m
from app.services.reports.export import write_csv
from app.ui.reports.plots import Bar, BasePlot, HBarPlot, LineData, LinePlot, Series, VBarPlot
from app.ui.theme import colors, icon

MAX_ROWS = 8  # more rows than this stop being readable in a card


@dataclass(frozen=True)
class Drill:
    """A click on a chart that should open the leads behind it."""

    kind: str  # "funnel", "source" or "rep"
    key: Any
    label: str
    extra: Any = None


class ChartCard(QFrame):
    drill = Signal(object)  # Drill

    key = ""
    heading = ""
    explanation = ""
    views: tuple[str, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ReportCard")
        self._style()
        self.result: Any = None
        outer = self.outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 10, 12, 8)
        outer.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.heading_label = QLabel(self.heading.upper())
        self.heading_label.setObjectName("SectionTitle")
        top.addWidget(self.heading_label)
        top.addStretch(1)
        self.view_box: QComboBox | None = None
        if self.views:
            self.view_box = QComboBox()
            self.view_box.addItems(list(self.views))
            self.view_box.setAccessibleName(f"{self.heading}: show")
            self.view_box.currentIndexChanged.connect(lambda _i: self.redraw())
            top.addWidget(self.view_box)
        self.png_button = self._tool("image-outline", "Export this chart as PNG")
        self.csv_button = self._tool("file-delimited-outline", "Export this chart's data as CSV")
        top.addWidget(self.png_button)
        top.addWidget(self.csv_button)
        outer.addLayout(top)
        self.title_label = QLabel("…")
        self.title_label.setWordWrap(True)
        self.title_label.setStyleSheet("font-size: 14px; font-weight: 600;")
        outer.addWidget(self.title_label)
        self.note_label = QLabel(self.explanation)
        self.note_label.setWordWrap(True)
        self.note_label.setProperty("secondary", True)
        outer.addWidget(self.note_label)
        self.plot = self.make_plot()
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot.bar_clicked.connect(self._bar_clicked)
        outer.addWidget(self.plot, 1)
        self.setMinimumHeight(340)

    def _style(self) -> None:
        c = colors()
        self.setStyleSheet(
            f"QFrame#ReportCard {{ background: {c.surface}; border: 1px solid {c.border};"
            " border-radius: 8px; }"
            f" QFrame#ReportCard QLabel {{ background: transparent; color: {c.text}; }}"
            f' QFrame#ReportCard QLabel[secondary="true"], QFrame#ReportCard'
            f" QLabel#SectionTitle {{ color: {c.text_secondary}; }}"
        )

    def plots(self) -> list[BasePlot]:
        """Every plot the card owns (some switch between two)."""
        return [self.plot]

    def apply_theme(self) -> None:
        """Repaint in the current theme (a live switch between light and dark)."""
        self._style()
        for plot in self.plots():
            plot.apply_theme()
        for button in (self.png_button, self.csv_button):
            button.setIcon(icon(button.property("icon_name")))
        self.redraw()

    def _tool(self, name: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon(name))
        button.setProperty("icon_name", name)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        return button

    def make_plot(self) -> BasePlot:
        return HBarPlot()

    @property
    def view(self) -> str:
        return self.view_box.currentText() if self.view_box else ""

    def set_result(self, result: Any) -> None:
        self.result = result
        self.title_label.setText(result.title)
        self.redraw()

    def redraw(self) -> None:
        if self.result is not None:
            self.draw(self.result)

    def draw(self, result: Any) -> None:
        raise NotImplementedError

    def _bar_clicked(self, index: int) -> None:
        pass

    # ------------------------------------------------------------------ export
    def paint_content(self, painter: QPainter, rect: QRectF, filters: str) -> None:
        """The card as a page shows it, without buttons or menus: heading, finding, the
        period and filters, the explanation, then the chart, all painted as vectors (text and
        the chart's scene), so a PDF keeps them sharp at any zoom."""
        c = colors()
        painter.save()
        y = rect.top()
        for text, size, bold, color in (
            (self.heading.upper() + (f" · {self.view}" if self.view else ""), 8.5, True,
             c.text_secondary),
            (self.title_label.text(), 12.5, True, c.text),
            (filters, 8.5, False, c.text_secondary),
            (self.note_label.text(), 8.5, False, c.text_secondary),
        ):  # fmt: skip
            if not text:
                continue
            font = QFont()
            font.setPointSizeF(size)
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(QColor(color))
            box = QRectF(rect.left(), y, rect.width(), rect.bottom() - y)
            flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(
                Qt.TextFlag.TextWordWrap
            )
            used = painter.boundingRect(box, flags, text)
            painter.drawText(box, flags, text)
            y += used.height() + 4
        self.paint_chart(painter, QRectF(rect.left(), y + 4, rect.width(), rect.bottom() - y - 4))
        painter.restore()

    def paint_chart(self, painter: QPainter, target: QRectF) -> None:
        self.plot.render_to(painter, target)

    def render_image(self, filters: str, width: int = 960, height: int = 600) -> QImage:
        """The card's content on its own (see paint_content), at twice the pixels for sharp
        text."""
        scale = 2
        image = QImage(width * scale, height * scale, QImage.Format.Format_ARGB32)
        image.setDevicePixelRatio(scale)
        image.fill(QColor(colors().surface))
        with at_size(self, width, height):
            painter = QPainter(image)
            try:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                self.paint_content(painter, QRectF(16, 12, width - 32, height - 24), filters)
            finally:
                painter.end()
        return image

    def export_png(self, path: Path | str, filters: str = "") -> Path:
        path = Path(path)
        if not QPixmap.fromImage(self.render_image(filters)).save(str(path), "PNG"):
            raise OSError(f"Could not write {path}")
        return path

    def export_csv(self, path: Path | str) -> Path:
        headers, rows = self.result.table() if self.result else ([], [])
        return write_csv(path, headers, rows)


@contextmanager
def at_size(card: ChartCard, width: int, height: int) -> Iterator[None]:
    """Lay the card out at a fixed size for an export (every page alike whatever the
    window's width), then give it its size back."""
    old_min, old_max, old = card.minimumSize(), card.maximumSize(), card.size()
    card.setFixedSize(width, height)
    card.outer.activate()
    for plot in card.plots():
        plot.resize(plot.size())  # pyqtgraph lays its scene out on resize
    try:
        yield
    finally:
        card.setMinimumSize(old_min)
        card.setMaximumSize(old_max)
        card.resize(old)
        card.outer.activate()


def _pct(value: float | None) -> str:
    return m.pct(value)


class FunnelCard(ChartCard):
    key = "funnel"
    heading = "Funnel"
    explanation = (
        "Leads captured in the period, by the furthest stage each reached. "
        "Red: a step converting under 10%. Click a bar for its leads."
    )

    def make_plot(self) -> BasePlot:
        plot = HBarPlot()
        plot.clickable = True
        return plot

    def draw(self, result: m.Funnel) -> None:
        c = colors()
        bars = []
        for s in result.steps:
            color = c.danger if s.low else (c.success if s is result.steps[-1] else c.accent)
            bars.append(
                Bar(
                    label=s.stage,
                    value=s.reached,
                    color=color,
                    text=(
                        f"{s.reached:,}  ·  {_pct(s.cumulative_rate)} of cohort"
                        if s is result.steps[0]
                        else f"{s.reached:,}  ·  {_pct(s.step_rate)} of previous  ·  "
                        f"{_pct(s.cumulative_rate)} of cohort"
                    ),
                    tooltip=(
                        f"{s.stage}: {s.reached:,} leads\n"
                        f"Step conversion: {m.pct(s.step_rate, 1)}\n"
                        f"Of all captured: {m.pct(s.cumulative_rate, 1)}"
                        + ("\nBelow 10%: a leak worth fixing" if s.low else "")
                    ),
                    key=s.stage_id,
                )
            )
        self.plot.set_bars(bars, x_label="Leads", empty="No leads were captured in this period")

    def _bar_clicked(self, index: int) -> None:
        step = self.result.steps[index]
        self.drill.emit(Drill("funnel", step.stage_id, step.stage))


class ConversionCard(ChartCard):
    key = "conversion"
    heading = "Stage conversion and time in stage"
    explanation = (
        "Stays that began in the period: median days (bar), p90 (light bar), stale limit (tick)."
        " Red: median past the stale limit."
    )

    def draw(self, result: m.Conversion) -> None:
        c = colors()
        bars = [
            Bar(
                label=f"{s.stage}  ·  {_pct(s.conversion)} advance",
                value=s.median_days or 0.0,
                back=s.p90_days,
                marker=s.stale_days,
                color=c.danger if s.over_stale else c.accent,
                text=f"{m.days_text(s.median_days)} median",
                tooltip=(
                    f"{s.stage}: {s.entered:,} entered, {s.advanced:,} advanced, "
                    f"{s.exited:,} left the pipeline, {s.ongoing:,} still there\n"
                    f"Conversion: {m.pct(s.conversion, 1)}\n"
                    f"Median {m.days_text(s.median_days)}, p90 {m.days_text(s.p90_days)}, "
                    f"stale after {m.days_text(s.stale_days)}"
                ),
            )
            for s in result.stages
        ]
        self.plot.set_bars(bars, x_label="Days in stage", empty="No stage entries in this period")


class VelocityCard(ChartCard):
    key = "velocity"
    heading = "Pipeline velocity"
    explanation = (
        "Open opportunities × average deal value × win rate ÷ average cycle, week by week "
        "(win rate and cycle over the previous quarter)."
    )
    views = ("Velocity", "Open opportunities", "Average deal value", "Win rate", "Cycle length")

    def make_plot(self) -> BasePlot:
        return LinePlot()

    def series(self, result: m.Velocity) -> dict[str, Series]:
        c = colors()
        weeks = result.weeks
        return {
            "Velocity": Series(
                "Velocity ($/day)", [w.velocity for w in weeks], c.accent, "${:,.0f}"
            ),
            "Open opportunities": Series(
                "Open opportunities", [w.open_opportunities for w in weeks], c.success
            ),
            "Average deal value": Series(
                "Average deal value", [w.avg_deal_value for w in weeks], c.warning, "${:,.0f}"
            ),
            "Win rate": Series(
                "Win rate (%)",
                [w.win_rate * 100 if w.win_rate is not None else None for w in weeks],
                c.tier["Medium"],
                "{:.1f}%",
            ),
            "Cycle length": Series(
                "Average cycle (days)", [w.cycle_days for w in weeks], c.tier["Low"], "{:.1f}"
            ),
        }

    def draw(self, result: m.Velocity) -> None:
        all_series = self.series(result)
        shown = all_series[self.view or "Velocity"]
        labels = [f"{w.week_start:%d %b}" for w in result.weeks]
        data = LineData(labels, [shown])
        kinds = {"Velocity": "money", "Average deal value": "money", "Win rate": "percent"}
        self.plot.value_axis.kind = kinds.get(self.view or "Velocity", "count")
        self.plot.set_lines(data, y_label=shown.name, x_label="Week starting")
        # Hover shows all four inputs, whichever series is drawn.
        self.plot._tooltips = [
            "\n".join(
                [f"Week of {labels[i]}"]
                + [
                    f"{s.name}: {s.fmt.format(s.values[i]) if s.values[i] is not None else 'n/a'}"
                    for s in all_series.values()
                ]
            )
            for i in range(len(labels))
        ]


class SpeedCard(ChartCard):
    key = "response_time"
    heading = "Speed to lead"
    explanation = "Capture to first contact for leads captured in the period."
    views = ("Distribution", "By rep", "By tier")

    def make_plot(self) -> BasePlot:
        return HBarPlot()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hbar = self.plot
        self._vbar = VBarPlot()
        self._vbar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.outer.addWidget(self._vbar, 1)
        self._vbar.hide()

    def plots(self) -> list[BasePlot]:
        return [self._hbar, self._vbar]

    def draw(self, result: m.SpeedToLead) -> None:
        c = colors()
        if self.view in ("", "Distribution"):
            self._hbar.hide()
            self._vbar.show()
            self.plot = self._vbar
            palette = [c.success, c.success, c.accent, c.accent, c.warning, c.danger]
            total = result.leads or 1
            bars = [
                Bar(
                    label=label,
                    value=n,
                    color=[*palette, c.tier["Low"]][i],
                    text=f"{n:,}" if n else "",
                    tooltip=f"{label}: {n:,} leads ({m.pct(n / total if result.leads else None)})",
                )
                for i, (label, n) in enumerate(result.buckets)
            ]
            self._vbar.set_bars(bars, y_label="Leads", x_label="Time to first contact")
            return
        self._vbar.hide()
        self._hbar.show()
        self.plot = self._hbar
        groups = result.by_rep if self.view == "By rep" else result.by_tier
        bars = [
            Bar(
                label=g.key,
                value=(g.within_1h or 0.0) * 100,
                back=None,
                color=c.tier.get(g.key, c.accent) if self.view == "By tier" else c.accent,
                text=(
                    f"{m.pct(g.within_1h)} within 1 h · {m.pct(g.within_5m)} within 5 min · "
                    f"median {m.minutes_text(g.median_minutes)}"
                ),
                tooltip=(
                    f"{g.key}: {g.leads:,} leads, {g.contacted:,} contacted\n"
                    f"Within 5 minutes: {m.pct(g.within_5m, 1)}\n"
                    f"Within 1 hour: {m.pct(g.within_1h, 1)}\n"
                    f"Median: {m.minutes_text(g.median_minutes)}"
                ),
            )
            for g in groups[:MAX_ROWS]
        ]
        self._hbar.set_bars(bars, x_label="Contacted within 1 hour", empty="No leads")
        # Room for the text after the bars; ticks only where a share can be.
        self._hbar.getPlotItem().getViewBox().setXRange(0, 240, padding=0)
        self._hbar.getPlotItem().getAxis("bottom").setTicks(
            [[(v, f"{v}%") for v in (0, 25, 50, 75, 100)]]
        )


class SourcesCard(ChartCard):
    key = "sources"
    heading = "Sources"
    explanation = (
        "Leads captured in the period per source: volume, qualified (past New) and won. "
        "Click a bar for its leads."
    )
    views = ("By source", "By event")

    def make_plot(self) -> BasePlot:
        plot = HBarPlot()
        plot.clickable = True
        return plot

    def rows(self) -> list[m.SourceStat]:
        if self.result is None:
            return []
        rows = self.result.by_event if self.view == "By event" else self.result.by_source
        return list(rows[:MAX_ROWS])

    def draw(self, result: m.Sources) -> None:
        c = colors()
        bars = [
            Bar(
                label=s.label,
                value=s.leads,
                back=None,
                color=c.accent,
                text=(
                    f"{s.leads:,}  ·  {m.pct(s.qualification_rate)} qualified  ·  "
                    f"{m.pct(s.close_rate, 1)} won"
                ),
                tooltip=(
                    f"{s.label}: {s.leads:,} leads\n"
                    f"Qualified (past New): {s.qualified:,} ({m.pct(s.qualification_rate, 1)})\n"
                    f"Won: {s.won:,} ({m.pct(s.close_rate, 1)})"
                ),
            )
            for s in self.rows()
        ]
        self.plot.set_bars(bars, x_label="Leads", empty="No leads were captured in this period")

    def _bar_clicked(self, index: int) -> None:
        rows = self.rows()
        if index < len(rows):
            s = rows[index]
            self.drill.emit(Drill("source", s.source, s.label, s.event))


class TeamCard(ChartCard):
    key = "team"
    heading = "Team"
    explanation = (
        "Open leads per rep now, against capacity (tick); routing accuracy for leads captured "
        "in the period. Click a rep for their open leads."
    )

    def make_plot(self) -> BasePlot:
        plot = HBarPlot()
        plot.clickable = True
        return plot

    def draw(self, result: m.Team) -> None:
        c = colors()
        bars = [
            Bar(
                label=r.name,
                value=r.open_leads,
                marker=r.capacity or None,
                color=c.danger if (r.load or 0) > 1 else c.accent,
                text=(f"{r.open_leads:,} / {r.capacity:,}  ·  routing {m.pct(r.routing_accuracy)}"),
                tooltip=(
                    f"{r.name}: {r.open_leads:,} open leads, capacity {r.capacity:,} "
                    f"({m.pct(r.load)})\nRouted in period: {r.routed:,}, still theirs: "
                    f"{r.kept:,} ({m.pct(r.routing_accuracy, 1)})"
                ),
            )
            for r in result.reps[:MAX_ROWS]
        ]
        self.plot.set_bars(bars, x_label="Open leads", empty="No reps")

    def _bar_clicked(self, index: int) -> None:
        rep = self.result.reps[index]
        self.drill.emit(Drill("rep", rep.owner_id, rep.name))


class StallsCard(ChartCard):
    key = "stalls"
    heading = "Why deals stall and die"
    explanation = "Gate criteria that refused moves in the period, and why leads left the pipeline."
    views = ("Blocking criteria", "Exit reasons")

    def draw(self, result: m.Stalls) -> None:
        c = colors()
        if self.view == "Exit reasons":
            color = {"lost": c.danger, "disqualified": c.tier["Low"], "nurture": c.warning}
            bars = [
                Bar(
                    label=f"{r.label} ({r.status})",
                    value=r.count,
                    color=color.get(r.status, c.accent),
                    text=f"{r.count:,}",
                    tooltip=f"{r.label}: {r.count:,} leads {r.status}",
                )
                for r in result.reasons[:MAX_ROWS]
            ]
            self.plot.set_bars(bars, x_label="Leads", empty="No exits in this period")
            return
        bars = [
            Bar(
                label=b.label,
                value=b.count,
                color=c.warning,
                text=f"{b.count:,}  ·  {m.pct(b.share)}",
                tooltip=(
                    f"{b.label}\nBlocked {b.count:,} moves ({m.pct(b.share, 1)} of "
                    f"{result.blocked_attempts:,} blocked attempts), mostly from {b.stage or '?'}"
                ),
            )
            for b in result.blockers[:MAX_ROWS]
        ]
        self.plot.set_bars(bars, x_label="Blocked moves", empty="No blocked moves in this period")


CARD_TYPES: list[type[ChartCard]] = [
    FunnelCard,
    ConversionCard,
    VelocityCard,
    SpeedCard,
    SourcesCard,
    TeamCard,
    StallsCard,
]
