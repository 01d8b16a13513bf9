"""Paints a lead card: one rounded rectangle per row, no widget per card."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.leads.board import CardRow
from app.ui import theme
from app.ui.pipeline.model import CARD_ROLE

CARD_HEIGHT = 80
MARGIN_X = 6
MARGIN_Y = 4
PAD = 8
RADIUS = 6.0
TIER_LETTER = {"Urgent": "Urgent", "High": "High", "Medium": "Medium", "Low": "Low"}

AnyIndex = QModelIndex | QPersistentModelIndex


_ICON_CACHE: dict[tuple[str, str, int], QPixmap] = {}


def _icon(name: str, color: str, size: int = 14) -> QPixmap:
    """Icon pixmaps are cached: building a font icon per card per paint is what made
    scrolling stutter."""
    key = (name, color, size)
    pixmap = _ICON_CACHE.get(key)
    if pixmap is None:
        pixmap = theme.icon(name, color).pixmap(size, size)
        _ICON_CACHE[key] = pixmap
    return pixmap


def card_rect(rect: QRect) -> QRect:
    return rect.adjusted(MARGIN_X, MARGIN_Y, -MARGIN_X, -MARGIN_Y)


class CardDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(max(option.rect.width(), 200), CARD_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        card = index.data(CARD_ROLE)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        paint_card(painter, card_rect(option.rect), card, option.font, hovered, selected)


def paint_card(
    painter: QPainter,
    rect: QRect,
    card: CardRow | None,
    base_font: QFont,
    hovered: bool = False,
    selected: bool = False,
) -> None:
    c = theme.colors()
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if hovered:
        rect = rect.translated(0, -1)  # the card lifts a little under the pointer
        shadow = QPainterPath()
        shadow.addRoundedRect(QRectF(rect).translated(0, 2), RADIUS, RADIUS)
        painter.fillPath(shadow, QColor(0, 0, 0, 40 if c.dark else 22))
    path = QPainterPath()
    path.addRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
    painter.fillPath(path, c.q("surface"))
    border = c.q("accent") if selected else c.q("border")
    painter.setPen(QPen(border, 1.5 if selected else 1.0))
    painter.drawPath(path)
    if card is None:
        painter.setPen(c.q("text_secondary"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Loading…")
        painter.restore()
        return
    if card.rotting:
        painter.save()
        painter.setClipPath(path)
        painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), c.q("danger"))
        painter.restore()

    inner = rect.adjusted(PAD + (2 if card.rotting else 0), PAD - 2, -PAD, -PAD + 2)
    bold = QFont(base_font)
    bold.setWeight(QFont.Weight.DemiBold)
    small = QFont(base_font)
    small.setPointSizeF(max(base_font.pointSizeF() - 1, 7))
    fm_bold, fm_small, fm = QFontMetrics(bold), QFontMetrics(small), QFontMetrics(base_font)

    # Line 1: name, deal value on the right.
    value = theme.money(float(card.deal_value)) if card.deal_value is not None else ""
    value_w = fm.horizontalAdvance(value) + (8 if value else 0)
    line1 = QRect(inner.left(), inner.top(), inner.width(), fm_bold.height() + 2)
    painter.setFont(base_font)
    painter.setPen(c.q("text"))
    painter.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, value)
    painter.setFont(bold)
    name = fm_bold.elidedText(card.name, Qt.TextElideMode.ElideRight, line1.width() - value_w)
    painter.drawText(line1, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)

    # Line 2: company.
    line2 = QRect(inner.left(), line1.bottom() + 1, inner.width(), fm_small.height() + 2)
    painter.setFont(small)
    painter.setPen(c.q("text_secondary"))
    company = fm_small.elidedText(card.company or "—", Qt.TextElideMode.ElideRight, line2.width())
    painter.drawText(line2, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, company)

    # Line 3: owner initials, tier chip | days in stage, lock badge.
    chip_h = 20
    y = inner.bottom() - chip_h + 1
    x = inner.left()
    circle = QRect(x, y, chip_h, chip_h)
    if card.owner_initials:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.q("surface_alt"))
        painter.drawEllipse(circle)
        painter.setPen(c.q("text"))
        tiny = QFont(small)
        tiny.setPointSizeF(max(small.pointSizeF() - 1, 6.5))
        tiny.setWeight(QFont.Weight.DemiBold)
        painter.setFont(tiny)
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, card.owner_initials)
    else:
        painter.setPen(QPen(c.q("border"), 1, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(circle.adjusted(1, 1, -1, -1))
    x = circle.right() + 6
    painter.setFont(small)
    # The right-hand side first (lock badge, days in stage), so a narrow card knows how
    # much room the tier chip has: its word, else its initial (never colour alone).
    right = inner.right()
    badge = None
    if card.unmet_count:
        text = str(card.unmet_count)
        w = fm_small.horizontalAdvance(text) + 24
        badge = QRect(right - w + 1, y + 1, w, chip_h - 2)
        right = badge.left() - 6
    days = f"{card.days_in_stage}d"
    w = fm_small.horizontalAdvance(days)
    days_rect = QRect(right - w + 1, y, w, chip_h)
    if card.tier:
        word = TIER_LETTER.get(card.tier, card.tier)
        w = fm_small.horizontalAdvance(word) + 12
        if x + w > days_rect.left() - 20:
            word = card.tier[:1]
            w = max(fm_small.horizontalAdvance(word) + 12, chip_h - 2)
        chip = QRect(x, y + 1, w, chip_h - 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.tier_background(card.tier))
        painter.drawRoundedRect(chip, 9, 9)
        painter.setPen(c.tier_color(card.tier))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, word)
    if badge is not None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(c.q("surface_alt"))
        painter.drawRoundedRect(badge, 9, 9)
        painter.drawPixmap(badge.left() + 5, badge.top() + 2, _icon("lock-outline", c.warning))
        painter.setPen(c.q("text"))
        painter.drawText(
            badge.adjusted(18, 0, -5, 0), Qt.AlignmentFlag.AlignCenter, str(card.unmet_count)
        )
    painter.setPen(c.q("danger") if card.rotting else c.q("text_secondary"))
    painter.drawText(days_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, days)
    clock_color = c.danger if card.rotting else c.text_secondary
    painter.drawPixmap(days_rect.left() - 16, y + 3, _icon("clock-outline", clock_color))
    painter.restore()
