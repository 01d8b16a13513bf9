"""The playbook's metrics as report cards, each with its benchmark band drawn on the chart:
a shaded range with dashed edges (or a shaded row for a per-row band)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.services.reports import metrics as m
from app.services.reports.cohorts import Cohorts, show
from app.services.reports.formatting import money_text
from app.services.reports.playbook import Band
from app.services.reports.rates import RateReport
from app.ui.reports.cards import MAX_ROWS, ChartCard
from app.ui.reports.plots import Bar, BasePlot, HBarPlot, LineData, LinePlot, Series, VBarPlot
from app.ui.theme import colors


def status_color(status: str | None) -> str:
    c = colors()
    return {"within": c.success, "below": c.warning, "above": c.warning}.get(status or "", c.accent)


def percent_band(band: Band) -> tuple[float | None, float | None]:
    """A rate band in the percent units the charts draw; a one-sided target stops at 100 %."""
    low = band.low * 100 if band.low is not None else None
    high = band.high * 100 if band.high is not None else (100.0 if low is not None else None)
    return low, high


def band_label(band: Band) -> str:
    return f"playbook {band.text()}"


class RateCard(ChartCard):
    """A rate of the cohort per source against its band (qualification, lead-to-opportunity)."""

    def draw(self, result: RateReport) -> None:
        rows = [("All sources", result.leads, result.reached, result.rate, result.status)]
        rows += [(s.label, s.leads, s.reached, s.rate, s.status) for s in result.by_source]
        bars = [
            Bar(
                label=f"{label}  ·  {leads:,} leads",
                value=(r or 0.0) * 100,
                color=status_color(status),
                text=f"{m.pct(r, 1)}  ({reached:,})",
                text_at=max((r or 0.0) * 100, (result.band.high or 0) * 100),
                tooltip=(
                    f"{label}: {reached:,} of {leads:,} leads ({m.pct(r, 1)})\n"
                    f"Playbook band: {result.band.text()} ({status or 'n/a'})"
                ),
            )
            for label, leads, reached, r, status in rows[: MAX_ROWS + 1]
        ]
        plot = self.plot
        plot.set_bars(bars, x_label="Share of leads captured", empty="No leads in this period")
        assert isinstance(plot, HBarPlot)
        if bars:
            low, high = percent_band(result.band)
            top = max(100.0, *(b.value for b in bars))
            plot.getPlotItem().getViewBox().setXRange(0, top * 1.35, padding=0)
            plot.add_band(low, high, vertical=True, text=band_label(result.band))
            _percent_ticks(plot, top)


def _percent_ticks(plot: BasePlot, top: float) -> None:
    step = 25 if top <= 100 else 50
    plot.getPlotItem().getAxis("bottom").setTicks(
        [[(v, f"{v}%") for v in range(0, int(top) + 1, step)]]
    )


class QualificationCard(RateCard):
    key = "qualification"
    heading = "Qualification rate"
    explanation = (
        "Leads captured in the period that sales accepted (moved past New), per source. "
        "Green band: the playbook's 20–40 %."
    )


class LeadToOpportunityCard(RateCard):
    key = "lead_to_opportunity"
    heading = "Lead-to-opportunity"
    explanation = (
        "Leads captured in the period that became opportunities (reached Discovery complete), "
        "per source. Green band: the playbook's 10–20 %."
    )


class LifecycleCard(ChartCard):
    key = "lifecycle"
    heading = "MQL → SQL → opportunity"
    explanation = (
        "Leads captured in the period at each hand-off step. Shaded: the playbook's range for "
        "SQL (20–40 % of captured) and opportunities (10–20 %)."
    )

    def draw(self, result: m.Lifecycle) -> None:
        c = colors()
        bars = []
        for s in result.steps:
            band = None
            if s.band is not None and result.captured:
                band = (
                    (s.band.low or 0) * result.captured,
                    (s.band.high or 1) * result.captured,
                )
            text = f"{s.leads:,}"
            if s.name != "Captured":
                text += (
                    f"  ·  {m.pct(s.step_rate)} of previous  ·  {m.pct(s.cohort_rate)} of captured"
                )
            bars.append(
                Bar(
                    label=s.name,
                    value=s.leads,
                    color=status_color(s.status) if s.band else c.accent,
                    text=text,
                    band=band,
                    tooltip=(
                        f"{s.name}: {s.leads:,} leads\nOf the previous step: "
                        f"{m.pct(s.step_rate, 1)}\nOf all captured: {m.pct(s.cohort_rate, 1)}"
                        + (f"\nPlaybook band: {s.band.text()}" if s.band else "")
                    ),
                )
            )
        self.plot.set_bars(bars, x_label="Leads", empty="No leads were captured in this period")


class AssignmentCard(ChartCard):
    key = "time_to_assignment"
    heading = "Time to assignment"
    explanation = (
        "Capture to first owner for leads captured in the period. Green: the playbook's target, "
        "a hand-off within 5 minutes (the Urgent window)."
    )

    def make_plot(self) -> BasePlot:
        return VBarPlot()

    def draw(self, result: m.TimeToAssignment) -> None:
        c = colors()
        limit = result.band.high or 0
        total = result.leads or 1
        bars = []
        within = 0
        for i, (label, n) in enumerate(result.buckets):
            top = next((t for lbl, t in m.ASSIGNMENT_BUCKETS if lbl == label), None)
            fast = top is not None and top <= limit
            within = i if fast else within
            bars.append(
                Bar(
                    label=label,
                    value=n,
                    color=c.success
                    if fast
                    else (c.tier["Low"] if top is None and label == m.NOT_ASSIGNED else c.accent),
                    text=f"{n:,}" if n else "",
                    tooltip=f"{label}: {n:,} leads ({m.pct(n / total if result.leads else None)})",
                )
            )
        plot = self.plot
        assert isinstance(plot, VBarPlot)
        plot.set_bars(bars, y_label="Leads", x_label="Capture to first owner")
        if bars:
            plot.add_band(
                -0.5, within + 0.5, vertical=True, text=f"target {result.band.text('{:.0f} min')}"
            )


class HandoffCard(ChartCard):
    key = "handoff_score"
    heading = "Score at hand-off"
    explanation = (
        "Lead score when a rep got the lead, for leads captured in the period. Green: at or "
        "above the MQL threshold (the Medium tier), the playbook's band for a hand-off."
    )

    def make_plot(self) -> BasePlot:
        return VBarPlot()

    def draw(self, result: m.HandoffScore) -> None:
        c = colors()
        low = result.band.low or 0
        bars = [
            Bar(
                label=f"{lo}",
                value=n,
                color=c.success if lo >= low else c.warning,
                text=f"{n:,}" if n else "",
                tooltip=f"Score {lo}-{min(lo + 9, 100)}: {n:,} leads",
            )
            for lo, n in result.bins
        ]
        plot = self.plot
        assert isinstance(plot, VBarPlot)
        plot.set_bars(bars, y_label="Leads", x_label="Score at hand-off (bins of 10)")
        first = next((i for i, (lo, _n) in enumerate(result.bins) if lo >= low), len(bars))
        plot.add_band(first - 0.5, len(bars) - 0.5, vertical=True, text=f"≥ {low:.0f} (MQL)")


class SlaCard(ChartCard):
    key = "sla"
    heading = "SLA compliance by tier"
    explanation = (
        "Leads captured in the period contacted within their tier's window: Urgent 5 min, "
        "High the same business day, Medium 24 h; Low goes to nurture. Green: the 90 % target."
    )

    def draw(self, result: m.SlaCompliance) -> None:
        c = colors()
        bars = [
            Bar(
                label=f"{t.tier}  ·  {t.window}",
                value=(t.compliance or 0.0) * 100,
                color=status_color(t.status) if t.compliance is not None else c.tier["Low"],
                text_at=100.0 if t.compliance is not None else None,
                text=(
                    f"{m.pct(t.compliance, 1)}  ·  {t.within:,} in time, {t.missed:,} late"
                    + (f", {t.pending:,} pending" if t.pending else "")
                    if t.compliance is not None
                    else f"{t.leads:,} leads · no response window"
                ),
                tooltip=(
                    f"{t.tier} ({t.window}): {t.leads:,} leads\nWithin the window: {t.within:,}"
                    f"\nLate or never: {t.missed:,}\nWindow still running: {t.pending:,}"
                ),
            )
            for t in result.tiers
        ]
        plot = self.plot
        assert isinstance(plot, HBarPlot)
        plot.set_bars(bars, x_label="Contacted within the window", empty="No leads")
        plot.getPlotItem().getViewBox().setXRange(0, 190, padding=0)
        low, high = percent_band(result.band)
        plot.add_band(low, high, vertical=True, text=f"target {result.band.text()}")
        _percent_ticks(plot, 100)


class RoutingCard(ChartCard):
    key = "routing_accuracy"
    heading = "Routing accuracy"
    explanation = (
        "Leads captured in the period and routed to a rep that the same rep still owns (not "
        "reassigned), per first rep. Green: the playbook's 90 % target."
    )

    def draw(self, result: m.RoutingAccuracy) -> None:
        rows = [("Everyone", result.routed, result.kept, result.accuracy, result.status)]
        rows += [(r.name, r.routed, r.kept, r.accuracy, r.status) for r in result.reps]
        bars = [
            Bar(
                label=name,
                value=(acc or 0.0) * 100,
                color=status_color(status),
                text=f"{m.pct(acc, 1)}  ·  {kept:,} of {routed:,} kept",
                text_at=100.0,
                tooltip=f"{name}: routed {routed:,}, still theirs {kept:,} ({m.pct(acc, 1)})",
            )
            for name, routed, kept, acc, status in rows[: MAX_ROWS + 1]
        ]
        plot = self.plot
        assert isinstance(plot, HBarPlot)
        plot.set_bars(bars, x_label="Still with the first rep", empty="No routed leads")
        if bars:
            plot.getPlotItem().getViewBox().setXRange(0, 160, padding=0)
            low, high = percent_band(result.band)
            plot.add_band(low, high, vertical=True, text=f"target {result.band.text()}")
            _percent_ticks(plot, 100)


class PipelineValueCard(ChartCard):
    key = "pipeline_value"
    heading = "Pipeline value by source"
    explanation = (
        "Deal value of leads captured in the period: open opportunities (bar) and won (light "
        "bar, open + won). The playbook sets no band for it."
    )

    def draw(self, result: m.PipelineValue) -> None:
        c = colors()
        bars = [
            Bar(
                label=s.label,
                value=s.open_value,
                back=s.open_value + s.won_value,
                color=c.accent,
                text=f"{money_text(s.open_value)} open  ·  {money_text(s.won_value)} won",
                tooltip=(
                    f"{s.label}\nOpen opportunities: {s.open_opportunities:,} "
                    f"({money_text(s.open_value)})\nWon: {s.won:,} ({money_text(s.won_value)})"
                ),
            )
            for s in result.by_source[:MAX_ROWS]
        ]
        self.plot.value_axis.kind = "money"
        self.plot.set_bars(bars, x_label="Deal value ($)", empty="No deal value in this period")


class TrendsCard(ChartCard):
    key = "trends"
    heading = "Trends per source"
    explanation = "Leads captured week by week for the biggest sources."
    views = ("Leads", "Qualification rate")

    def make_plot(self) -> BasePlot:
        return LinePlot()

    def draw(self, result: m.Trends) -> None:
        c = colors()
        # Six sources at most (five and "Other"): six colours apart in both themes.
        palette = [c.accent, c.success, c.warning, c.danger, "#9b7bf7", c.tier["Low"]]
        rate_view = self.view == "Qualification rate"
        series = [
            Series(
                s.source,
                [v * 100 if v is not None else None for v in s.qualification]
                if rate_view
                else [float(v) for v in s.leads],
                palette[i % len(palette)],
                "{:.0f}%" if rate_view else "{:,.0f}",
            )
            for i, s in enumerate(result.sources)
        ]
        plot = self.plot
        assert isinstance(plot, LinePlot)
        plot.value_axis.kind = "percent" if rate_view else "count"
        plot.set_lines(
            LineData([f"{w:%d %b}" for w in result.weeks], series),
            y_label="Qualification rate" if rate_view else "Leads captured",
            x_label="Week starting",
        )
        self.note_label.setText(
            "Qualification rate week by week per source. Green band: the playbook's 20–40 %."
            if rate_view
            else self.explanation
        )
        if rate_view and result.weeks:
            _xs, (_y0, y1) = plot.getPlotItem().getViewBox().viewRange()
            plot.getPlotItem().getViewBox().setYRange(0, max(y1, 50), padding=0)
            low, high = percent_band(result.band)
            plot.add_band(low, high, vertical=False, text=band_label(result.band))


class FigureTable(QWidget):
    """Two periods side by side, painted (so an export paints the very same table)."""

    def __init__(self) -> None:
        super().__init__()
        self.result: Cohorts | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self.paint_table(painter, QRectF(self.rect()))
        finally:
            painter.end()

    def paint_table(self, painter: QPainter, rect: QRectF) -> None:
        if self.result is None:
            return
        c = colors()
        r = self.result
        heads = [
            "",
            f"{r.current[0]:%d %b} – {r.current[1]:%d %b %Y}",
            f"{r.previous[0]:%d %b} – {r.previous[1]:%d %b %Y}",
            "Change",
            "Playbook band",
        ]
        widths = [0.27, 0.2, 0.2, 0.15, 0.18]
        rows: list[list[tuple[str, str]]] = []
        for f in r.figures:
            change = ""
            if f.change is not None:
                if f.kind == "rate":
                    change = f"{f.change * 100:+.1f} pts".replace("-", "−")
                elif f.kind == "money":
                    change = ("+" if f.change >= 0 else "−") + money_text(abs(f.change))
                else:
                    change = f"{f.change:+,.0f}".replace("-", "−")
            cur_status = f.band.status(f.current) if f.band else None
            rows.append(
                [
                    (f.name, c.text),
                    (show(f.current, f.kind), status_color(cur_status) if f.band else c.text),
                    (show(f.previous, f.kind), c.text_secondary),
                    (change, c.text_secondary),
                    (f.band.text() if f.band else "—", c.success if f.band else c.text_secondary),
                ]
            )
        line = min(30.0, rect.height() / (len(rows) + 1.5))
        font = QFont()
        font.setPointSizeF(9.5)
        bold = QFont(font)
        bold.setBold(True)
        y = rect.top() + 4
        painter.setPen(QColor(c.text_secondary))
        painter.setFont(bold)
        x = rect.left()
        for text, w in zip(heads, widths, strict=True):
            painter.drawText(
                QRectF(x, y, rect.width() * w, line), Qt.AlignmentFlag.AlignVCenter, text
            )
            x += rect.width() * w
        y += line
        painter.setPen(QColor(c.border))
        painter.drawLine(int(rect.left()), int(y), int(rect.right()), int(y))
        for row in rows:
            x = rect.left()
            for i, ((text, color), w) in enumerate(zip(row, widths, strict=True)):
                painter.setFont(bold if i == 1 else font)
                painter.setPen(QColor(color))
                painter.drawText(
                    QRectF(x, y, rect.width() * w, line), Qt.AlignmentFlag.AlignVCenter, text
                )
                x += rect.width() * w
            y += line


class CohortsCard(ChartCard):
    key = "cohorts"
    heading = "Cohort comparison"
    explanation = (
        "Leads captured in the period against the period of the same length before it "
        "(the last four weeks when no period is set)."
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot.hide()
        self.table = FigureTable()
        self.outer.addWidget(self.table, 1)

    def draw(self, result: Cohorts) -> None:
        self.table.result = result
        self.table.update()

    def paint_chart(self, painter: QPainter, target: QRectF) -> None:
        self.table.paint_table(painter, target)


PLAYBOOK_CARDS: list[type[ChartCard]] = [
    QualificationCard,
    LeadToOpportunityCard,
    LifecycleCard,
    SlaCard,
    AssignmentCard,
    HandoffCard,
    RoutingCard,
    PipelineValueCard,
    CohortsCard,
    TrendsCard,
]
