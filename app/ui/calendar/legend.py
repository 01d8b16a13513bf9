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
        self.texts: list[QLabel] = []
        self.icons: dict[str, QLabel] = {}
        for kind in TYPE_ORDER:
            icon = QLabel()
            icon.setToolTip(TYPE_LABELS[kind])
            self.icons[kind] = icon
            text = QLabel(TYPE_LABELS[kind])
            text.setProperty("secondary", True)
            self.texts.append(text)
            pair = QHBoxLayout()
            pair.setSpacing(4)
            pair.addWidget(icon)
            pair.addWidget(text)
            legend.addLayout(pair)
        self.overdue = QLabel("Overdue")
        legend.addWidget(self.overdue)
        legend.addStretch(1)
        self.hint = QLabel("Drag a follow-up onto another day to reschedule it")
        self.hint.setProperty("secondary", True)
        legend.addWidget(self.hint)
        self.apply_theme()

    def apply_theme(self) -> None:
        """The type icons and the overdue colour in the current palette."""
        for kind, icon in self.icons.items():
            icon.setPixmap(type_icon(kind).pixmap(14, 14))
        self.overdue.setStyleSheet(f"color: {theme.colors().danger}; font-weight: 600;")

    def set_compact(self, narrow: bool, show_hint: bool) -> None:
        for label in self.texts:
            label.setVisible(not narrow)
        self.hint.setVisible(show_hint)
