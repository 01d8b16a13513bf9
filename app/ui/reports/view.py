"""The Reports view: a filters bar over the playbook's five-layer overview strip and the chart
cards, computed off the UI thread. Charts leave the mouse wheel to the page; exports paint the
content (no buttons) with the period and filters, as vectors in the PDF; a live theme switch
repaints every card."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QMarginsF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.changes import Changes
from app.services.reports import metrics as m
from app.services.reports.overview import band_text
from app.ui.context import AppContext
from app.ui.reports.cards import CARD_TYPES, ChartCard, Drill, at_size
from app.ui.reports.filters import FilterBar
from app.ui.reports.overview import OverviewStrip
from app.ui.reports.playbook_cards import PLAYBOOK_CARDS, status_color
from app.ui.theme import colors, icon
from app.ui.workers import TaskError, TaskState

WIDE = 1180  # at least this wide: two columns of cards


class ReportsView(QWidget):
    computed = Signal(object)  # Dashboard, after the cards show it
    failed = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.dashboard: m.Dashboard | None = None
        self._cache: dict[m.MetricsFilter, m.Dashboard] = {}
        # Changed leads make every cached dashboard stale (the one change broadcast).
        ctx.events.changed.connect(self._data_changed)
        self._options_loaded = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 8)
        outer.setSpacing(8)

        head = QHBoxLayout()
        head.setSpacing(12)
        title = QLabel("Reports")
        title.setObjectName("ViewTitle")
        head.addWidget(title)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setFixedWidth(96)
        self.busy.setAccessibleName("Computing reports")
        self.busy.hide()
        head.addWidget(self.busy)
        self.status = QLabel("")
        self.status.setProperty("secondary", True)
        head.addWidget(self.status)
        head.addStretch(1)
        self.pdf_button = QPushButton(icon("file-pdf-box"), "Export PDF report")
        self.pdf_button.setToolTip("The whole dashboard as a PDF for the owners' meeting")
        self.pdf_button.clicked.connect(self._ask_pdf)
        head.addWidget(self.pdf_button)
        outer.addLayout(head)

        self.filters = FilterBar(ctx.clock.now().date())
        self.filters.changed.connect(lambda _f: self.refresh())
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.filters)
        filter_row.addStretch(1)
        outer.addLayout(filter_row)

        self.hint = QLabel(
            "Reports fill in as leads are captured and move through the pipeline. "
            "Import a badge file or load demo data to see them."
        )
        self.hint.setProperty("secondary", True)
        self.hint.setWordWrap(True)
        self.hint.hide()
        outer.addWidget(self.hint)

        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        holder = self.holder = QWidget()
        holder.setObjectName("ReportsHolder")
        self.grid = QGridLayout(holder)
        self.grid.setContentsMargins(0, 0, 4, 0)
        self.grid.setSpacing(12)
        self.overview = OverviewStrip()
        self.cards: dict[str, ChartCard] = {}
        self._theme = colors()
        self._style_holder()
        for card_type in [*CARD_TYPES, *PLAYBOOK_CARDS]:
            card = card_type()
            card.drill.connect(self._drill)
            card.png_button.clicked.connect(lambda _c=False, c=card: self._ask_png(c))
            card.csv_button.clicked.connect(lambda _c=False, c=card: self._ask_csv(c))
            self.cards[card.key] = card
        self._columns = 0
        self._layout_cards(2)
        self.scroll_area.setWidget(holder)
        outer.addWidget(self.scroll_area, 1)

    # ------------------------------------------------------------------ layout
    def _layout_cards(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        self.grid.removeWidget(self.overview)
        for card in self.cards.values():
            self.grid.removeWidget(card)
        self.grid.addWidget(self.overview, 0, 0, 1, 2)
        for i, card in enumerate(self.cards.values()):
            self.grid.addWidget(card, 1 + i // columns, i % columns)
        for col in range(2):
            self.grid.setColumnStretch(col, 1 if col < columns else 0)

    def resizeEvent(self, event: Any) -> None:
        self._layout_cards(2 if self.width() >= WIDE else 1)
        super().resizeEvent(event)
        # A card never taller than the visible area, so a chart is always seen whole with its
        # axis; never so short that its bars crowd.
        height = max(340, min(self.scroll_area.viewport().height() - 8, 520))
        for card in self.cards.values():
            card.setFixedHeight(height)

    # ------------------------------------------------------------------ theme
    def _style_holder(self) -> None:
        self.holder.setStyleSheet(f"QWidget#ReportsHolder {{ background: {colors().window}; }}")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.apply_theme()

    def apply_theme(self) -> None:
        """Repaint in the theme now applied (View -> Theme switches it live); once per switch."""
        if colors() is self._theme:
            return
        self._theme = colors()
        self._style_holder()
        self.overview.restyle()
        for card in self.cards.values():
            card.apply_theme()

    # ------------------------------------------------------------------ data
    def _data_changed(self, changes: Changes) -> None:
        """Drop the cached dashboards when what they count changed: leads (their stages,
        owners, contacts...), the stages themselves, the team, or a setting (the SLA figures
        judge each lead against the response windows). A follow-up or an alert leaves every
        figure as it was, so switching filters stays instant."""
        if changes.touches_leads or changes.pipeline or changes.users or changes.settings:
            self._cache.clear()

    def activate(self) -> None:
        if not self._options_loaded:
            self.ctx.tasks.submit(
                m.filter_options, on_done=self._options_arrived, key="reports.options"
            )
        else:
            # Shown again: the data may have moved on, so recompute (the old figures stay
            # visible meanwhile).
            self.refresh(fresh=True)

    def _options_arrived(self, options: m.FilterOptions) -> None:
        self._options_loaded = True
        self.filters.set_options(options)
        self.filters.restore_choices()
        self.refresh()

    def refresh(self, *, fresh: bool = False) -> None:
        """Show the dashboard for the current filters: at once from the cache when this filter
        was computed since the data last changed, else computed in the background."""
        flt = self.filters.filter()
        cached = None if fresh else self._cache.get(flt)
        if cached is not None:
            self._show(cached)
            return
        clock = self.ctx.clock
        self.busy.setRange(0, 0)
        self.busy.show()
        self.status.setText("Computing…")

        def work(session: Any, state: TaskState) -> m.Dashboard:
            return m.compute_dashboard(
                session, clock, flt, check=state.check, progress=state.progress
            )

        self.ctx.tasks.submit(
            work,
            on_done=self._computed,
            on_error=self._error,
            on_progress=self._progress,
            key="reports.dashboard",
            with_state=True,
        )

    def _progress(self, done: int, total: int, text: str) -> None:
        self.busy.setRange(0, total)
        self.busy.setValue(done)
        self.status.setText(f"Computing: {text}…")

    def _computed(self, dashboard: m.Dashboard) -> None:
        # Only a few filters are kept: switching back and forth between them is instant.
        self._cache[dashboard.filter] = dashboard
        while len(self._cache) > 8:
            self._cache.pop(next(iter(self._cache)))
        self._show(dashboard)

    def _show(self, dashboard: m.Dashboard) -> None:
        self.dashboard = dashboard
        self.overview.set_overview(dashboard.overview)
        for key, card in self.cards.items():
            card.set_result(getattr(dashboard, key))
        self.busy.hide()
        flt = dashboard.filter
        self.status.setText(f"{dashboard.funnel.cohort:,} leads captured, {flt.period_label()}")
        empty = dashboard.funnel.cohort == 0 and not any(r.open_leads for r in dashboard.team.reps)
        self.hint.setVisible(empty)
        self.computed.emit(dashboard)

    def _error(self, error: TaskError) -> None:
        if error.cancelled:
            return
        self.busy.hide()
        self.status.setText(f"Could not compute the reports: {error.message}")
        self.failed.emit(error.message)

    # ------------------------------------------------------------------ drill-down
    def _drill(self, drill: Drill) -> None:
        flt = self.filters.filter()
        period = flt.period_label()
        if drill.kind == "rep":
            self.ctx.events.show_leads.emit(
                {"owner_id": drill.key, "status": "open", "title": f"Open leads of {drill.label}"}
            )
            return
        if drill.kind == "funnel":
            title = f"Reached {drill.label}: leads captured {period}"

            def ids(session: Any) -> list[int]:
                return m.funnel_lead_ids(session, flt, drill.key)

            extra: dict[str, Any] = {}
        else:
            title = f"{drill.label}: leads captured {period}"

            def ids(session: Any) -> list[int]:
                return m.source_lead_ids(session, flt, drill.key, drill.extra)

            extra = {"source": drill.key} if drill.key else {}
            if drill.extra:
                extra["event"] = drill.extra

        def emit(found: list[int]) -> None:
            self.ctx.events.show_leads.emit({**extra, "ids": tuple(found), "title": title})

        self.ctx.tasks.submit(ids, on_done=emit, key="reports.drill")

    # ------------------------------------------------------------------ export
    def _ask_png(self, card: ChartCard) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export chart", f"{card.key}.png", "PNG image (*.png)"
        )
        if path:
            card.export_png(path, self.filters.describe())
            self.ctx.events.status_message.emit(f"Chart saved to {path}")

    def _ask_csv(self, card: ChartCard) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export data", f"{card.key}.csv", "CSV file (*.csv)"
        )
        if path:
            card.export_csv(path)
            self.ctx.events.status_message.emit(f"Data saved to {path}")

    def _ask_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export PDF report", "leadgate-report.pdf", "PDF (*.pdf)"
        )
        if path:
            self.export_pdf(path)
            self.ctx.events.status_message.emit(f"Report saved to {path}")

    def paint_pages(
        self, painter: QPainter, width: float, height: float, new_page: Callable[[], Any]
    ) -> None:
        """Paint the report's pages: the filters in every header, the five layers on the first
        page, then two charts a page. Everything is painted (text, the charts' scenes), never
        a screenshot: the PDF's charts are vector paths."""
        header = self.filters.describe()
        computed = f"{self.dashboard.computed_at:%d %b %Y %H:%M} UTC" if self.dashboard else ""
        cards = list(self.cards.values())
        slots: list[list[ChartCard | None]] = [[None, cards[0]]]  # None: the overview
        slots += [list[ChartCard | None](cards[i : i + 2]) for i in range(1, len(cards), 2)]
        for n, page in enumerate(slots):
            if n:
                new_page()
            top = _pdf_header(painter, width, header, computed, n + 1)
            slot = (height - top) / 2
            for i, card in enumerate(page):
                rect = QRectF(0, top + i * slot, width, slot - 24)
                if card is None:
                    _paint_overview(painter, rect, self.overview)
                    continue
                # Laid out at one size, so the pages look alike whatever the window's width.
                with at_size(card, 960, 600):
                    card.paint_content(painter, rect, "")

    def export_pdf(self, path: Path | str) -> Path:
        """The dashboard as a multi-page PDF: the filters in every page's header, two charts a
        page, each at the same size."""
        path = Path(path)
        writer = QPdfWriter(str(path))
        writer.setResolution(144)
        writer.setTitle("Leadgate owners' report")
        writer.setCreator("Leadgate")
        writer.setPageLayout(
            QPageLayout(
                QPageSize(QPageSize.PageSizeId.A4),
                QPageLayout.Orientation.Portrait,
                QMarginsF(14, 14, 14, 14),
                QPageLayout.Unit.Millimeter,
            )
        )
        painter = QPainter(writer)
        try:
            page = writer.pageLayout().paintRectPixels(writer.resolution())
            self.paint_pages(painter, float(page.width()), float(page.height()), writer.newPage)
        finally:
            painter.end()
        return path


def _paint_overview(painter: QPainter, rect: QRectF, strip: OverviewStrip) -> None:
    """The five layers as five boxes: layer, figure, name, band."""
    result = strip.result
    if result is None:
        return
    c = colors()
    painter.save()
    title = QFont()
    title.setPointSizeF(11)
    title.setBold(True)
    painter.setFont(title)
    painter.setPen(QColor(c.text))
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(
        Qt.TextFlag.TextWordWrap
    )
    used = painter.boundingRect(rect, flags, result.title)
    painter.drawText(rect, flags, result.title)
    gap = 12.0
    w = (rect.width() - gap * 4) / 5
    top = rect.top() + used.height() + 12

    def lines(kpi: m.LayerKpi) -> list[tuple[str, float, bool, str]]:
        band = band_text(kpi)
        return [
            (kpi.layer.upper(), 7.5, True, c.text_secondary),
            (kpi.text, 16.0, True, c.text),
            (kpi.label, 8.5, True, c.text),
            (kpi.detail, 7.5, False, c.text_secondary),
            (f"Band {band} · {kpi.status}" if band else "", 7.5, True, status_color(kpi.status)),
        ]

    def paint_lines(kpi: m.LayerKpi, inner: QRectF, draw: bool) -> float:
        y = inner.top()
        for text, size, bold, color in lines(kpi):
            if not text:
                continue
            font = QFont()
            font.setPointSizeF(size)
            font.setBold(bold)
            painter.setFont(font)
            painter.setPen(QColor(color))
            area = QRectF(inner.left(), y, inner.width(), 1000.0)
            if draw:
                painter.drawText(area, flags, text)
            y += painter.boundingRect(area, flags, text).height() + 4
        return y - inner.top()

    # As tall as the fullest box.
    box_h = 24 + max(paint_lines(k, QRectF(0, 0, w - 20, 0), False) for k in result.layers)
    for i, kpi in enumerate(result.layers):
        box = QRectF(rect.left() + i * (w + gap), top, w, box_h)
        painter.setPen(QColor(c.border))
        painter.setBrush(QColor(c.surface))
        painter.drawRoundedRect(box, 8, 8)
        painter.fillRect(
            QRectF(box.left(), box.top(), box.width(), 5), QColor(status_color(kpi.status))
        )
        paint_lines(kpi, box.adjusted(10, 12, -10, -8), True)
    painter.restore()


def _pdf_header(painter: QPainter, width: float, filters: str, computed: str, page: int) -> float:
    c = colors()
    title_font = QFont()
    title_font.setPointSizeF(15)
    title_font.setBold(True)
    painter.setFont(title_font)
    painter.setPen(QColor(c.text))
    painter.drawText(QRectF(0, 0, width, 40), Qt.AlignmentFlag.AlignLeft, "Leadgate owners' report")
    small = QFont()
    small.setPointSizeF(9)
    painter.setFont(small)
    painter.setPen(QColor(c.text_secondary))
    painter.drawText(
        QRectF(0, 0, width, 40),
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
        f"Page {page}",
    )
    painter.drawText(QRectF(0, 44, width, 24), Qt.AlignmentFlag.AlignLeft, filters)
    painter.drawText(QRectF(0, 68, width, 24), Qt.AlignmentFlag.AlignLeft, f"Computed {computed}")
    painter.setPen(QColor(c.border))
    painter.drawLine(0, 98, int(width), 98)
    return 112.0
