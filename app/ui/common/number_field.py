"""A compact typed number field, shared by the settings dialogs."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDoubleValidator, QIntValidator, QValidator
from PySide6.QtWidgets import QLineEdit


class NumberField(QLineEdit):
    """A compact numeric field (typed, validated, right-aligned). Used instead of QSpinBox,
    whose arrows and text the app style sheet's bordered fields render badly."""

    valueChanged = Signal(float)

    def __init__(self, maximum: float, decimals: int = 0, width: int = 72) -> None:
        super().__init__()
        self._decimals = decimals
        self._maximum = maximum
        validator: QValidator
        if decimals:
            double = QDoubleValidator(0.0, float(maximum), decimals, self)
            double.setNotation(QDoubleValidator.Notation.StandardNotation)
            validator = double
        else:
            validator = QIntValidator(0, int(maximum), self)
        self.setValidator(validator)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.setFixedWidth(width)
        self.textChanged.connect(lambda _t: self.valueChanged.emit(float(self.value())))

    def value(self) -> float | int:
        text = self.text().strip().replace(",", ".")
        try:
            number = float(text) if text else 0.0
        except ValueError:
            number = 0.0
        number = max(0.0, min(float(self._maximum), number))
        return round(number, self._decimals) if self._decimals else int(number)

    def setValue(self, value: float) -> None:
        self.setText(f"{float(value):.{self._decimals}f}" if self._decimals else str(int(value)))
