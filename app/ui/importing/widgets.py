"""Pieces every page of the import wizard uses: the style sheet, labels, tables, the step
bar, stat cards, the field picker and the drop zone."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.importing.mapping import LEAD_FIELDS, QUALIFIER_FIELDS
from app.services.importing.results import ImportResult
from app.ui import theme
from app.ui.importing.models import NOT_IMPORTED, field_label

FILE_FILTER = "Badge-scan exports (*.csv *.tsv *.txt *.xlsx *.xlsm);;All files (*)"
SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
STEPS = ("File", "Settings", "Columns", "Defaults", "Review", "Import", "Done")
(P_FILE, P_SETTINGS, P_COLUMNS, P_DEFAULTS, P_REVIEW, P_IMPORT, P_DONE) = range(len(STEPS))
ROUTE_AUTOMATICALLY = "Route automatically"
PROBLEM_WIDTHS = (56, 0, 170, 220, 180)  # 0: the problem text takes the rest


def wizard_style(c: theme.Colors) -> str:
    return f"""
    QLabel#StepDot {{ min-width: 22px; max-width: 22px; min-height: 22px; max-height: 22px;
                      border-radius: 11px; border: 1px solid {c.border};
                      color: {c.text_secondary}; font-size: 11px; font-weight: 600; }}
    QLabel#StepDot[state="current"] {{ background: {c.accent}; border-color: {c.accent};
                                       color: {c.accent_text}; }}
    QLabel#StepDot[state="done"] {{ background: {c.highlight_drop}; border-color: {c.accent};
                                    color: {c.accent}; }}
    QLabel#StepName {{ color: {c.text_secondary}; }}
    QLabel#StepName[state="current"] {{ color: {c.text}; font-weight: 600; }}
    QFrame#StepLine {{ background: {c.border}; min-height: 1px; max-height: 1px; }}
    QFrame#StepBar {{ background: {c.surface}; border-bottom: 1px solid {c.border}; }}
    QFrame#ButtonBar {{ background: {c.surface}; border-top: 1px solid {c.border}; }}
    QLabel#PageTitle {{ font-size: 16px; font-weight: 600; }}
    QFrame#DropZone {{ border: 2px dashed {c.border}; border-radius: 12px;
                       background: {c.surface}; }}
    QFrame#DropZone[hover="true"] {{ border-color: {c.accent}; background: {c.highlight_drop}; }}
    QFrame#StatCard {{ background: {c.surface}; border: 1px solid {c.border};
                       border-radius: 8px; }}
    QLabel#StatValue {{ font-size: 22px; font-weight: 600; }}
    QLabel#StatValue[tone="danger"] {{ color: {c.danger}; }}
    QLabel#StatValue[tone="warning"] {{ color: {c.warning}; }}
    QLabel#StatValue[tone="success"] {{ color: {c.success}; }}
    QLabel#Notice {{ background: {c.surface_alt}; border-radius: 6px; padding: 8px 12px; }}
    QLabel#Error {{ color: {c.danger}; }}
    """


def secondary(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("secondary", True)
    label.setWordWrap(True)
    return label


def title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("PageTitle")
    return label


def restyle(widget: QWidget, **props: Any) -> None:
    for k, v in props.items():
        widget.setProperty(k, v)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def table_view(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().setDefaultSectionSize(28)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(False)
    view.setWordWrap(False)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
    return view


def problems_table(model: Any) -> QTableView:
    view = table_view(model)
    view.verticalHeader().setVisible(False)
    h = view.horizontalHeader()
    h.setStretchLastSection(False)
    for i, w in enumerate(PROBLEM_WIDTHS):
        if w:
            h.setSectionResizeMode(i, QHeaderView.ResizeMode.Interactive)
            h.resizeSection(i, w)
        else:
            h.setSectionResizeMode(i, QHeaderView.ResizeMode.Stretch)
    return view


class StepIndicator(QFrame):
    """1 File — 2 Settings — ... with the current step highlighted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StepBar")
        row = QHBoxLayout(self)
        row.setContentsMargins(20, 12, 20, 12)
        row.setSpacing(8)
        self._dots: list[QLabel] = []
        self._names: list[QLabel] = []
        for i, name in enumerate(STEPS):
            if i:
                line = QFrame()
                line.setObjectName("StepLine")
                line.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
                row.addWidget(line, 1)
            dot = QLabel(str(i + 1))
            dot.setObjectName("StepDot")
            dot.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label = QLabel(name)
            label.setObjectName("StepName")
            row.addWidget(dot)
            row.addWidget(label)
            self._dots.append(dot)
            self._names.append(label)
        self.current = -1

    def set_current(self, index: int) -> None:
        self.current = index
        for i, (dot, name) in enumerate(zip(self._dots, self._names, strict=True)):
            state = "current" if i == index else "done" if i < index else "todo"
            dot.setText("✓" if i < index else str(i + 1))
            restyle(dot, state=state)
            restyle(name, state=state)


class StatCard(QFrame):
    def __init__(self, caption: str, tone: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatCard")
        col = QVBoxLayout(self)
        col.setContentsMargins(12, 8, 12, 8)
        col.setSpacing(0)
        self.value = QLabel("–")
        self.value.setObjectName("StatValue")
        self.value.setProperty("tone", "")
        self.tone = tone
        self.caption = secondary(caption)
        col.addWidget(self.value)
        col.addWidget(self.caption)

    def set_value(self, n: int) -> None:
        self.value.setText(f"{n:,}")
        restyle(self.value, tone=self.tone if n else "")


def stat_grid(captions: list[tuple[str, str, str]]) -> tuple[QWidget, dict[str, StatCard]]:
    box = QWidget()
    grid = QGridLayout(box)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setHorizontalSpacing(12)
    grid.setVerticalSpacing(12)
    cards: dict[str, StatCard] = {}
    for i, (key, caption, tone) in enumerate(captions):
        card = StatCard(caption, tone)
        grid.addWidget(card, i // 3, i % 3)
        cards[key] = card
    return box, cards


class FieldDelegate(QStyledItemDelegate):
    """A combo box of lead fields for the mapping table's last column."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.addItem(NOT_IMPORTED, "")
        combo.insertSeparator(1)
        for key in LEAD_FIELDS:
            combo.addItem(field_label(key), key)
        combo.insertSeparator(combo.count())
        for key in QUALIFIER_FIELDS:
            combo.addItem(field_label(key), key)
        # Commit on pick, not only on focus loss: the table shows the choice at once.
        combo.activated.connect(lambda _i: self.commitData.emit(combo))
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        i = editor.findData(index.data(Qt.ItemDataRole.EditRole) or "")
        editor.setCurrentIndex(max(i, 0))

    def setModelData(
        self, editor: QWidget, model: Any, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        assert isinstance(editor, QComboBox)
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class DropZone(QFrame):
    file_dropped = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setAcceptDrops(True)
        self.setMinimumHeight(220)
        col = QVBoxLayout(self)
        col.setContentsMargins(24, 24, 24, 24)
        col.setSpacing(8)
        col.addStretch(1)
        icon = QLabel()
        icon.setPixmap(theme.icon("file-upload-outline", theme.colors().accent).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(icon)
        head = QLabel("Drop a badge-scan export here")
        head.setObjectName("PageTitle")
        head.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(head)
        sub = secondary("CSV, TSV/TXT or Excel (.xlsx) from a lead-retrieval app or event platform")
        sub.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(sub)
        self.choose = QPushButton("Choose file…")
        self.choose.setProperty("primary", True)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.choose)
        row.addStretch(1)
        col.addSpacing(8)
        col.addLayout(row)
        col.addStretch(1)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event) is not None:
            event.acceptProposedAction()
            restyle(self, hover=True)

    def dragLeaveEvent(self, event: Any) -> None:
        restyle(self, hover=False)

    def dropEvent(self, event: QDropEvent) -> None:
        restyle(self, hover=False)
        path = dropped_file(event)
        if path is not None:
            event.acceptProposedAction()
            self.file_dropped.emit(path)


def dropped_file(event: QDragEnterEvent | QDropEvent) -> str | None:
    """The one local file of a supported kind being dragged, if that is what it is."""
    mime = event.mimeData()
    if not mime.hasUrls():
        return None
    files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
    if len(files) != 1 or not files[0].lower().endswith(SUPPORTED_SUFFIXES):
        return None
    return files[0]


def secondary_center(text: str) -> QLabel:
    label = secondary(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def file_size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB"):
        if size < 1024:
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GB"


def encoding_name(enc: str | None) -> str:
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": "UTF-8 with BOM",
        "utf-16": "UTF-16 (Excel Unicode text)",
        "cp1252": "Windows-1252",
        "latin-1": "Latin-1",
    }.get(enc or "", enc or "?")


def show_counts(cards: dict[str, StatCard], result: ImportResult) -> None:
    """Fill stat cards keyed by ImportResult attribute (a list shows its length)."""
    for key, card in cards.items():
        value = getattr(result, key)
        card.set_value(len(value) if isinstance(value, list) else int(value))


class Page(QWidget):
    """One step of the wizard: a column of widgets with the wizard's margins."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.col = QVBoxLayout(self)
        self.col.setContentsMargins(24, 20, 24, 16)
        self.col.setSpacing(12)
