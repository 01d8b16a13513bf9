"""The calendar's legend: one icon per kind of follow-up, the overdue colour, the drag hint."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.ui import theme
from app.ui.calendar.model import TYPE_LABELS, TYPE_ORDER, type_icon


class Legend(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        legend = QHBoxLayout(self)
        legend.setContentsMargins(0, 0, 0, 0)
        legend.setSpacing(12)
        c = theme.colors()
        self.texts: list[QLabel] = []
        for kind in TYPE_ORDER:
            icon = QLabel()
            icon.setPixmap(type_icon(kind).pixmap(14, 14))
            icon.setToolTip(TYPE_LABELS[kind])
            text = QLabel(TYPE_LABELS[kind])
            text.setProperty("secondary", True)
            self.texts.append(text)
            pair = QHBoxLayout()
            pair.setSpacing(4)
            pair.addWidget(icon)
            pair.addWidget(text)
            legend.addLayout(pair)
        overdue = QLabel("Overdue")
        overdue.setStyleSheet(f"color: {c.danger}; font-weight: 600;")
        legend.addWidget(overdue)
        legend.addStretch(1)
        self.hint = QLabel("Drag a follow-up onto another day to reschedule it")
        self.hint.setProperty("secondary", True)
        legend.addWidget(self.hint)

    def set_compact(self, narrow: bool, show_hint: bool) -> None:
        for label in self.texts:
            label.setVisible(not narrow)
        self.hint.setVisible(show_hint)
