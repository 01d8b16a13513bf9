"""Edit in place: a field that reads as text and turns into an editor on F2 or double-click
(Enter saves, Esc cancels). The section that owns it runs the save (one API call)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QWidget,
)

from app.ui import theme

UNFOCUSED = "border: 1px solid transparent; border-radius: 4px;"  # the focus ring's room


class InlineField(QWidget):
    """A value label; F2 / double-click swaps in a line edit (or an editable combo when the
    field has usual values). `save_requested(key, text)` on Enter; Esc restores the label."""

    save_requested = Signal(str, str)

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.raw = ""  # the stored value as text ('' when empty)
        self.choices: list[tuple[str, str]] = []  # (value, label)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setToolTip("Double-click or F2 to edit")
        self.label.setStyleSheet(UNFOCUSED)
        self.label.installEventFilter(self)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.label)
        self.line = QLineEdit()
        self.line.installEventFilter(self)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # The editor takes the value's column as it is: a long choice must not widen the
        # narrow panel (it would scroll sideways and cut the field names off).
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(6)
        self.combo.installEventFilter(self)
        line_edit = self.combo.lineEdit()
        if line_edit is not None:
            line_edit.installEventFilter(self)
        box.addWidget(self.line)
        box.addWidget(self.combo)
        self._show(self.label)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def _show(self, page: QWidget) -> None:
        """Only the shown page takes room (a label row stays one text line high)."""
        for widget in (self.label, self.line, self.combo):
            widget.setVisible(widget is page)
        self._current = page

    # -- showing ----------------------------------------------------------------------------
    def set_value(self, raw: str, shown: str) -> None:
        self.raw = raw
        self.label.setText(shown)
        if self.editing:
            self.cancel()

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        self.choices = choices

    @property
    def editing(self) -> bool:
        return self._current is not self.label

    def editor(self) -> QLineEdit | QComboBox:
        return self.combo if self.choices else self.line

    # -- editing ----------------------------------------------------------------------------
    def start_edit(self) -> None:
        if self.choices:
            self.combo.clear()
            for value, label in self.choices:
                self.combo.addItem(label, value)
            found = self.combo.findData(self.raw)
            if found >= 0:
                self.combo.setCurrentIndex(found)
            else:
                self.combo.setEditText(self.raw)
            self._show(self.combo)
            self.combo.setFocus()
            line = self.combo.lineEdit()
            if line is not None:
                line.selectAll()
        else:
            self.line.setText(self.raw)
            self._show(self.line)
            self.line.setFocus()
            self.line.selectAll()

    def text(self) -> str:
        if not self.choices:
            return self.line.text().strip()
        typed = self.combo.currentText().strip()
        index = self.combo.findText(typed, Qt.MatchFlag.MatchFixedString)
        return str(self.combo.itemData(index)) if index >= 0 else typed

    def commit(self) -> None:
        if not self.editing:
            return
        text = self.text()
        if text == self.raw:
            self.cancel()
            return
        self.save_requested.emit(self.key, text)

    def cancel(self) -> None:
        self._show(self.label)
        self.setFocus()

    def focusInEvent(self, event: QFocusEvent) -> None:
        """A visible focus ring on the value (Tab walks the fields; F2 then edits)."""
        super().focusInEvent(event)
        accent = theme.colors().accent
        self.label.setStyleSheet(f"border: 1px solid {accent}; border-radius: 4px;")

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.label.setStyleSheet(UNFOCUSED)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F2 and not self.editing:
            self.start_edit()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.label:
            double = (
                kind == QEvent.Type.MouseButtonDblClick
                and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton
            )
            f2 = (
                kind == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_F2
            )
            if double or f2:
                self.start_edit()
                return True
        elif kind == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape:
                self.cancel()
                return True
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.commit()
                return True
        return super().eventFilter(watched, event)
