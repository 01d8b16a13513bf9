"""Step 1: choose (or drop) the badge file."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from app.ui.importing.widgets import FILE_FILTER, DropZone, Page, secondary, title


class FilePage(Page):
    file_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.col.addWidget(title("Choose the file"))
        self.col.addWidget(
            secondary(
                "Leadgate detects the encoding, delimiter and header row, suggests which column "
                "is which, and shows you what will happen before anything is saved."
            )
        )
        self.drop_zone = DropZone()
        self.drop_zone.choose.clicked.connect(self._choose_file)
        self.drop_zone.file_dropped.connect(self.file_chosen)
        self.col.addWidget(self.drop_zone, 1)
        self.file_label = secondary()
        self.col.addWidget(self.file_label)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import badge scans", "", FILE_FILTER)
        if path:
            self.file_chosen.emit(path)

    def set_note(self, text: str) -> None:
        self.file_label.setText(text)
