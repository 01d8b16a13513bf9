"""Step 6: the import running, with its progress (Cancel is the wizard's button)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QWidget

from app.ui.importing.widgets import Page, secondary, secondary_center, title


class ImportPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        col = self.col
        col.addStretch(1)
        self.import_title = title("Importing…")
        self.import_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.import_title)
        self.import_bar = QProgressBar()
        self.import_bar.setRange(0, 1000)
        self.import_bar.setTextVisible(False)
        self.import_bar.setMaximumWidth(560)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.import_bar, 3)
        row.addStretch(1)
        col.addLayout(row)
        self.import_label = secondary("Starting…")
        self.import_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.import_label)
        col.addWidget(secondary_center("Cancel leaves your leads exactly as they were."))
        col.addStretch(2)

    def start(self, file_name: str) -> None:
        self.import_title.setText(f"Importing {file_name}")
        self.import_bar.setValue(0)
        self.import_label.setText("Starting…")

    def tick(self, done: int, total: int, text: str) -> None:
        self.import_bar.setValue(int(1000 * done / max(total, 1)))
        pct = 100 * done / max(total, 1)
        self.import_label.setText(f"{text}  ·  {pct:.0f}%" if text else f"{pct:.0f}%")

    def cancelling(self) -> None:
        self.import_label.setText("Cancelling… nothing will be kept.")
