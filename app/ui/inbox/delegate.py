"""Paints the tier chip (colour and word) and the score with its small bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.leads.queries import LeadRow
from app.ui import theme
from app.ui.common.lazy_model import ROW_ROLE


def paint_tier_chip(painter: QPainter, rect: QRectF, tier: str | None) -> None:
    """A rounded chip in the tier's colour with its word: colour is never the only signal."""
    if not tier:
        return
    c = theme.colors()
    fm = painter.fontMetrics()
    width = fm.horizontalAdvance(tier) + 16
    chip = QRectF(rect.left(), rect.center().y() - 10, width, 20)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(c.tier_background(tier))
    painter.drawRoundedRect(chip, 10, 10)
    painter.setPen(c.tier_color(tier))
    painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, tier)


class InboxDelegate(QStyledItemDelegate):
    def __init__(self, tier_column: int, score_column: int, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.tier_column = tier_column
        self.score_column = score_column

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        col = index.column()
        if col not in (self.tier_column, self.score_column):
            super().paint(painter, option, index)
            return
        row = index.data(ROW_ROLE)
        # Background and selection from the style, then our drawing on top.
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        if not isinstance(row, LeadRow):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(8, 0, -8, 0)
        if col == self.tier_column:
            font = painter.font()
            font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
            font.setBold(True)
            painter.setFont(font)
            paint_tier_chip(painter, rect, row.tier)
        else:
            self._paint_score(painter, rect, row)
        painter.restore()

    def _paint_score(self, painter: QPainter, rect: QRectF, row: LeadRow) -> None:
        # The number first (what people read), then a small bar for scanning a column.
        c = theme.colors()
        number = QRectF(rect.left(), rect.top(), 24, rect.height())
        painter.setPen(c.q("text"))
        painter.drawText(
            number, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(row.score)
        )
        bar_w = max(12.0, min(36.0, rect.right() - number.right() - 6))
        bar = QRectF(number.right() + 6, rect.center().y() - 2, bar_w, 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.q("surface_alt"))
        painter.drawRoundedRect(bar, 2, 2)
        filled = QRectF(bar.left(), bar.top(), bar_w * max(0, min(100, row.score)) / 100.0, 4)
        painter.setBrush(c.tier_color(row.tier))
        painter.drawRoundedRect(filled, 2, 2)
