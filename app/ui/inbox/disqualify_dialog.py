"""Disqualify from the inbox: the reason, and for "bad timing" the date to try again."""

from __future__ import annotations

from datetime import UTC, date, datetime

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.leads.inbox import DISQUALIFY_REASONS, NEEDS_REVISIT_DATE
from app.services.leads.moves import EXIT_REASONS
from app.ui import theme
from app.ui.pipeline.dialogs import DateField


class DisqualifyDialog(QDialog):
    """Reason first; "bad timing" adds a revisit date (empty until picked, after today)."""

    def __init__(self, lead_name: str, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.today = today
        self.setWindowTitle("Disqualify lead")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        title = QLabel(f"Why is {lead_name} disqualified?")
        title.setObjectName("ViewTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.form = QFormLayout()
        self.form.setHorizontalSpacing(12)
        self.form.setVerticalSpacing(8)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.reason = QComboBox()
        for code in DISQUALIFY_REASONS:
            self.reason.addItem(EXIT_REASONS.get(code, code.replace("_", " ")), code)
        self.form.addRow("Reason", self.reason)
        self.revisit = DateField()
        self.revisit.setToolTip("When to try this lead again")
        self.form.addRow("Revisit on", self.revisit)
        layout.addLayout(self.form)
        self.error = QLabel()
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.ok = QPushButton("Disqualify")
        self.ok.setProperty("primary", True)
        self.ok.setDefault(True)
        self.ok.clicked.connect(self.accept)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)
        self.reason.currentIndexChanged.connect(self._update)
        self.revisit.changed.connect(self._update)
        self._update()

    def needs_date(self) -> bool:
        return self.reason.currentData() in NEEDS_REVISIT_DATE

    def revisit_day(self) -> date | None:
        """The typed or picked date, when it is a real one."""
        day = QDate.fromString(self.revisit.edit.text().strip(), "yyyy-MM-dd")
        return date(day.year(), day.month(), day.day()) if day.isValid() else None

    def problem(self) -> str | None:
        """Why the dialog cannot be accepted yet (one line), or None."""
        if not self.needs_date():
            return None
        text = self.revisit.edit.text().strip()
        day = self.revisit_day()
        if not text:
            return "Bad timing needs the date to try this lead again."
        if day is None:
            return f"'{text}' is not a date: give it as YYYY-MM-DD or pick it."
        if day <= self.today:
            return "The revisit date must be after today."
        return None

    def _update(self) -> None:
        self.form.setRowVisible(self.revisit, self.needs_date())
        problem = self.problem()
        typed = bool(self.revisit.edit.text().strip())
        # An empty date is simply not given yet: the disabled button says so, no red line.
        self.error.setText(problem if problem and typed else "")
        self.error.setVisible(bool(problem and typed))
        self.ok.setEnabled(problem is None)
        self.adjustSize()

    def values(self) -> tuple[str, datetime | None]:
        """The reason code and, for bad timing, the revisit time (09:00 UTC that day, as on
        the board's exit dialog)."""
        day = self.revisit_day() if self.needs_date() else None
        revisit = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) if day else None
        return str(self.reason.currentData()), revisit
