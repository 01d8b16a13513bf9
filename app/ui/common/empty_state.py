"""An empty view that says what it is for and offers the next step (UI.md)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui import theme


class EmptyState(QWidget):
    def __init__(self, icon: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.setSpacing(12)
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.icon.setPixmap(theme.icon(icon).pixmap(QSize(48, 48)))
        self.title = QLabel()
        self.title.setObjectName("ViewTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setFixedWidth(440)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setProperty("secondary", True)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(8)
        self.buttons.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for widget in (self.icon, self.title, self.text):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(self.buttons)
        self._actions: list[QPushButton] = []

    def show_state(
        self,
        title: str,
        text: str,
        actions: list[tuple[str, Callable[[], None]]] = (),  # type: ignore[assignment]
    ) -> None:
        self.title.setText(title)
        self.text.setText(text)
        for button in self._actions:
            button.deleteLater()
        self._actions = []
        for i, (label, callback) in enumerate(actions):
            button = QPushButton(label)
            button.setProperty("primary", i == 0)
            button.clicked.connect(callback)
            self.buttons.addWidget(button)
            self._actions.append(button)

    def action_labels(self) -> list[str]:
        return [b.text() for b in self._actions]

    def click(self, label: str) -> None:
        next(b for b in self._actions if b.text() == label).click()
