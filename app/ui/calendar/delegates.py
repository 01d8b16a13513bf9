"""Painting of calendar items: follow-up cards (agenda, week) and month day cells."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.services.followups.cadence import DayLoad, FollowUp
from app.ui import theme
from app.ui.calendar.model import (
    FOLLOWUP_ROLE,
    IN_MONTH_ROLE,
    LOAD_ROLE,
    OVERDUE_ROLE,
    TODAY_ROLE,
    TYPE_LABELS,
    TYPE_ORDER,
    local_dt,
    type_color,
    type_icon,
)

AnyIndex = QModelIndex | QPersistentModelIndex


class FollowupDelegate(QStyledItemDelegate):
    """A follow-up as a small card: type bar and icon, lead, time and subject; red if overdue."""

    def __init__(self, parent: Any = None, *, compact: bool = False, show_day: bool = False):
        super().__init__(parent)
        self.compact = compact
        self.show_day = show_day

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        return QSize(160, 44 if self.compact else 50)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        f: FollowUp | None = index.data(FOLLOWUP_ROLE)
        if f is None:
            return
        c = theme.colors()
        overdue = bool(index.data(OVERDUE_ROLE))
        open_ = f.status == "planned"
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = QRectF(option.rect.adjusted(2, 2, -2, -2))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hover = bool(option.state & QStyle.StateFlag.State_MouseOver)
        bg = c.highlight_drop if selected else (c.surface_alt if hover else c.surface)
        painter.setPen(QPen(QColor(c.accent if selected else c.border), 1))
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(card, 6, 6)
        bar = QColor(c.danger) if overdue else type_color(f.type)
        if not open_:
            bar = QColor(c.border)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bar)
        painter.drawRoundedRect(QRectF(card.left(), card.top(), 4, card.height()), 2, 2)

        left = int(card.left()) + 12
        # In a narrow week column the name gets the whole first line; the icon moves down.
        narrow = card.width() < 130
        icon_size = 14 if narrow else 16
        line_h = QFontMetrics(option.font).height()
        top = int(card.top()) + (6 if self.compact else 8)
        if narrow:
            text_left = left - 2
        else:
            type_icon(f.type, overdue).paint(
                painter, QRect(left, top + (line_h - icon_size) // 2, icon_size, icon_size)
            )
            text_left = left + icon_size + 8
        width = int(card.right()) - text_left - (4 if narrow else 8)

        name_font = QFont(option.font)
        name_font.setWeight(QFont.Weight.DemiBold)
        name_font.setStrikeOut(f.status == "skipped")
        painter.setFont(name_font)
        painter.setPen(QColor(c.text if open_ else c.text_secondary))
        name_fm = QFontMetrics(name_font)
        name = name_fm.elidedText(f.lead_name, Qt.TextElideMode.ElideRight, width)
        painter.drawText(QRect(text_left, top, width, line_h), Qt.AlignmentFlag.AlignVCenter, name)
        used = name_fm.horizontalAdvance(name)
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() - 1, 7))
        painter.setFont(small)
        small_fm = QFontMetrics(small)
        if f.company and not self.compact and used + 24 < width:
            company = small_fm.elidedText(f.company, Qt.TextElideMode.ElideRight, width - used - 8)
            painter.setPen(QColor(c.text_secondary))
            painter.drawText(
                QRect(text_left + used + 8, top, width - used - 8, line_h),
                Qt.AlignmentFlag.AlignVCenter,
                company,
            )

        due = local_dt(f.due_at)
        when = ""
        if due is not None:
            when = due.strftime("%a %d %b %H:%M" if self.show_day else "%H:%M")
        if overdue and self.compact:
            second = f"Overdue · {when}"
            painter.setPen(QColor(c.danger))
        elif overdue:
            second = f"Overdue · {when} · {f.subject or TYPE_LABELS.get(f.type, f.type)}"
            painter.setPen(QColor(c.danger))
        elif not open_:
            second = f"{f.status.title()} · {f.outcome or ''}".rstrip(" ·")
            painter.setPen(QColor(c.text_secondary))
        else:
            what = TYPE_LABELS.get(f.type, f.type) if self.compact else f.subject
            second = f"{when} · {what or TYPE_LABELS.get(f.type, f.type)}"
            painter.setPen(QColor(c.text_secondary))
        if narrow:
            type_icon(f.type, overdue).paint(
                painter,
                QRect(text_left, top + line_h + 2 + (small_fm.height() - 12) // 2, 12, 12),
            )
            line2 = QRect(text_left + 16, top + line_h + 2, width - 16, small_fm.height())
            if overdue:
                second = when  # the red bar and text already say overdue
        else:
            line2 = QRect(
                text_left - icon_size - 8,
                top + line_h + 2,
                width + icon_size + 8,
                small_fm.height(),
            )
        painter.drawText(
            line2,
            Qt.AlignmentFlag.AlignVCenter,
            small_fm.elidedText(second, Qt.TextElideMode.ElideRight, line2.width()),
        )
        painter.restore()


class MonthDelegate(QStyledItemDelegate):
    """A day cell: the date (today in an accent circle), chips of counts by type, overdue."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        c = theme.colors()
        load: DayLoad | None = index.data(LOAD_ROLE)
        in_month = bool(index.data(IN_MONTH_ROLE))
        today = bool(index.data(TODAY_ROLE))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bg = c.highlight_drop if selected else (c.surface if in_month else c.window)
        painter.fillRect(rect, QColor(bg))
        painter.setPen(QPen(QColor(c.border), 1))
        painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())

        font = QFont(option.font)
        fm = QFontMetrics(font)
        num = str(index.data(Qt.ItemDataRole.DisplayRole))
        num_rect = QRect(rect.left() + 6, rect.top() + 6, max(fm.height() + 6, 24), fm.height() + 6)
        if today:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.accent))
            painter.drawEllipse(num_rect)
            font.setWeight(QFont.Weight.Bold)
            painter.setPen(QColor(c.accent_text))
        else:
            painter.setPen(QColor(c.text if in_month else c.text_secondary))
        painter.setFont(font)
        painter.drawText(num_rect, Qt.AlignmentFlag.AlignCenter, num)

        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() - 1, 7))
        sfm = QFontMetrics(small)
        painter.setFont(small)
        if load is not None and load.overdue:
            text = f"{load.overdue} overdue"
            if sfm.horizontalAdvance(text) + 12 > rect.right() - num_rect.right() - 14:
                text = str(load.overdue)  # narrow cell: the red count alone keeps the signal
            w = max(sfm.horizontalAdvance(text) + 12, sfm.height() + 4)
            pill = QRectF(rect.right() - w - 4, rect.top() + 8, w, sfm.height() + 4)
            if pill.left() < num_rect.right() + 2:
                # too narrow to sit beside the date: tuck it under the date's corner
                pill.moveTo(rect.right() - w - 2, num_rect.bottom() - pill.height() / 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.danger))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(QColor(c.accent_text))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

        if load is not None:
            x = rect.left() + 8
            y = num_rect.bottom() + 6
            chip_h = sfm.height() + 4
            kinds = [k for k in TYPE_ORDER if load.counts.get(k)]
            for n, kind in enumerate(kinds):
                count = load.counts[kind]
                label = str(count)
                w = 3 + 13 + 3 + sfm.horizontalAdvance(label) + 5
                wrap = x + w > rect.right() - 6
                if wrap and y + 2 * chip_h + 4 <= rect.bottom() - 4:
                    x = rect.left() + 8
                    y += chip_h + 4
                elif wrap or y + chip_h > rect.bottom() - 4:
                    # no room for every type: say how many more, never drop them silently
                    hidden = sum(load.counts[k] for k in kinds[n:])
                    more = f"+{hidden}" if n else f"{hidden} planned"
                    if n == 0 and x + sfm.horizontalAdvance(more) > rect.right() - 2:
                        more = str(hidden)
                    if x + sfm.horizontalAdvance(more) <= rect.right() - 2:
                        painter.setPen(QColor(c.text_secondary))
                        painter.drawText(
                            QRectF(x, y, rect.right() - x, chip_h),
                            Qt.AlignmentFlag.AlignVCenter,
                            more,
                        )
                    break
                chip = QRectF(x, y, w, chip_h)
                painter.setPen(Qt.PenStyle.NoPen)
                tint = type_color(kind)
                tint.setAlpha(38)
                painter.setBrush(tint)
                painter.drawRoundedRect(chip, 4, 4)
                type_icon(kind).paint(painter, QRect(x + 3, int(y + (chip_h - 13) / 2), 13, 13))
                painter.setPen(QColor(c.text))
                painter.drawText(
                    QRectF(x + 19, y, w - 20, chip_h), Qt.AlignmentFlag.AlignVCenter, label
                )
                x += w + 4
            done_text = f"{load.done} done"
            if load.total == 0:
                y -= chip_h + 4  # no chips: the done line takes the first row
            if (
                load.done
                and y + 2 * chip_h + 4 <= rect.bottom() - 2
                and sfm.horizontalAdvance(done_text) <= rect.width() - 16
            ):
                painter.setPen(QColor(c.text_secondary))
                painter.drawText(
                    QRect(rect.left() + 8, int(y + chip_h + 4), rect.width() - 16, sfm.height()),
                    Qt.AlignmentFlag.AlignVCenter,
                    done_text,
                )
        painter.restore()
