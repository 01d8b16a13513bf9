"""Step 2: how the file is read (encoding, delimiter, header row, sheet), with a preview."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLabel, QSpinBox, QWidget

from app.services.importing.detect import Detected
from app.services.importing.prepare import DELIMITERS, ENCODINGS
from app.ui.importing.models import PreviewModel
from app.ui.importing.widgets import Page, encoding_name, secondary, table_view, title


class SettingsPage(Page):
    """Emits `override(key, value)` when the user reads the file differently than detected."""

    override = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detected: Detected | None = None
        col = self.col
        col.addWidget(title("Check how the file is read"))
        self.detected_label = secondary()
        col.addWidget(self.detected_label)
        form = QHBoxLayout()
        form.setSpacing(16)
        self.encoding_box = QComboBox()
        self.encoding_box.addItems(ENCODINGS)
        self.delimiter_box = QComboBox()
        for value, text in DELIMITERS.items():
            self.delimiter_box.addItem(text, value)
        self.header_spin = QSpinBox()
        self.header_spin.setRange(1, 60)
        self.sheet_box = QComboBox()
        self.sheet_label = QLabel("Sheet")
        controls: list[tuple[QLabel, QWidget]] = [
            (QLabel("Encoding"), self.encoding_box),
            (QLabel("Delimiter"), self.delimiter_box),
            (QLabel("Header row"), self.header_spin),
            (self.sheet_label, self.sheet_box),
        ]
        for label, widget in controls:
            form.addWidget(label)
            form.addWidget(widget)
        form.addStretch(1)
        col.addLayout(form)
        self.encoding_box.activated.connect(
            lambda _i: self._changed("encoding", self.encoding_box.currentText())
        )
        self.delimiter_box.activated.connect(
            lambda _i: self._changed("delimiter", self.delimiter_box.currentData())
        )
        self.header_spin.editingFinished.connect(
            lambda: self._changed("header_row", self.header_spin.value())
        )
        self.sheet_box.activated.connect(
            lambda _i: self._changed("sheet", self.sheet_box.currentText())
        )
        self.warnings_label = secondary()
        self.warnings_label.setObjectName("Notice")
        col.addWidget(self.warnings_label)
        self.error_label = QLabel()
        self.error_label.setObjectName("Error")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        col.addWidget(self.error_label)
        self.preview_model = PreviewModel(self)
        self.preview_view = table_view(self.preview_model)
        self.preview_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive
        )
        col.addWidget(self.preview_view, 1)
        col.addWidget(secondary("The first rows after the header, as they will be read."))

    def _changed(self, key: str, value: Any) -> None:
        det = self.detected
        if det is None:
            return
        current = {"encoding": det.encoding, "delimiter": det.delimiter,
                   "header_row": det.header_row, "sheet": det.sheet}.get(key)  # fmt: skip
        if value == current:
            return
        self.show_error("")
        self.override.emit(key, value)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def show_detected(self, det: Detected) -> None:
        self.detected = det
        is_csv = det.kind == "csv"
        for w in (self.encoding_box, self.delimiter_box):
            w.setEnabled(is_csv)
        self.sheet_box.setVisible(not is_csv)
        self.sheet_label.setVisible(not is_csv)
        if is_csv:
            if self.encoding_box.findText(det.encoding or "") < 0:
                self.encoding_box.addItem(det.encoding or "")
            self.encoding_box.setCurrentText(det.encoding or "")
            self.delimiter_box.setCurrentIndex(max(self.delimiter_box.findData(det.delimiter), 0))
            what = (f"{encoding_name(det.encoding)}, {DELIMITERS.get(det.delimiter or '', '?')}"
                    f" separated")  # fmt: skip
        else:
            self.sheet_box.clear()
            self.sheet_box.addItems(det.sheets)
            self.sheet_box.setCurrentText(det.sheet or "")
            what = f"Excel workbook, sheet “{det.sheet}”"
        self.header_spin.setValue(det.header_row)
        self.detected_label.setText(
            f"Detected: {what}; header on row {det.header_row} "
            f"({len(det.headers)} columns). Change anything that looks wrong."
        )
        notes = list(det.warnings)
        if det.header_row > 1:
            notes.append(
                f"Skipped {det.header_row - 1} line(s) above the header (titles or notes)."
            )
        self.warnings_label.setText("  ".join(notes))
        self.warnings_label.setVisible(bool(notes))
        self.preview_model.set_table(det.headers, det.preview, det.header_row + 1)
        header = self.preview_view.horizontalHeader()
        for i in range(len(det.headers)):
            self.preview_view.resizeColumnToContents(i)
            header.resizeSection(i, min(max(header.sectionSize(i), 80), 260))
