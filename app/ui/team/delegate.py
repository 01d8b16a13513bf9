"""Paints the role as a chip and the load as "18 / 25 open" with a small capacity bar."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.ui import theme
from app.ui.team.model import LOAD, ROLE, ROW_ROLE


class TeamDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        col = index.column()
        row = index.data(ROW_ROLE)
        if col not in (ROLE, LOAD) or row is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(option.rect).adjusted(8, 0, -8, 0)
        c = theme.colors()
        faded = not row.user.active
        if col == ROLE:
            font = painter.font()
            font.setPointSizeF(max(7.0, font.pointSizeF() - 1))
            painter.setFont(font)
            word = row.user.role.title()
            chip = QRectF(
                rect.left(),
                rect.center().y() - 9,
                painter.fontMetrics().horizontalAdvance(word) + 16,
                18,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c.q("surface_alt"))
            painter.drawRoundedRect(chip, 9, 9)
            painter.setPen(c.q("text_secondary" if faded else "accent"))
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, word)
        else:
            cap, n = row.user.capacity, row.open_leads
            text = f"{n} / {cap} open" if cap else f"{n} open · no limit"
            full = bool(cap) and n >= cap
            painter.setPen(c.q("text_secondary" if faded else ("danger" if full else "text")))
            label = QRectF(rect.left(), rect.top(), rect.width(), rect.height() - 6)
            painter.drawText(
                label, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text
            )
            if cap:
                bar = QRectF(rect.left(), rect.bottom() - 7, min(120.0, rect.width()), 3)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(c.q("surface_alt"))
                painter.drawRoundedRect(bar, 1.5, 1.5)
                filled = QRectF(
                    bar.left(), bar.top(), bar.width() * min(1.0, n / cap), bar.height()
                )
                painter.setBrush(c.q("danger" if full else "accent"))
                painter.drawRoundedRect(filled, 1.5, 1.5)
        painter.restore()
