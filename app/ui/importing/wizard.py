"""The import wizard: file -> settings + preview -> columns -> defaults -> review -> import ->
result. All reading and writing runs through ctx.tasks; the dialog only shows and asks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.changes import Changes
from app.services.importing.mapping import ALL_FIELDS, LEAD_FIELDS, QUALIFIER_FIELDS, Mapping
from app.services.importing.prepare import DELIMITERS, ENCODINGS, Prepared
from app.ui import theme
from app.ui.context import AppContext
from app.ui.importing.models import (
    COL_FIELD,
    COL_SAMPLES,
    NOT_IMPORTED,
    MappingModel,
    PreviewModel,
    ProblemsModel,
    field_label,
)
from app.ui.workers import TaskError, TaskState

FILE_FILTER = "Badge-scan exports (*.csv *.tsv *.txt *.xlsx *.xlsm);;All files (*)"
SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")
STEPS = ("File", "Settings", "Columns", "Defaults", "Review", "Import", "Done")
(P_FILE, P_SETTINGS, P_COLUMNS, P_DEFAULTS, P_REVIEW, P_IMPORT, P_DONE) = range(len(STEPS))
ROUTE_AUTOMATICALLY = "Route automatically"
PROBLEM_WIDTHS = (56, 0, 170, 220, 180)  # 0: the problem text takes the rest


def _style(c: theme.Colors) -> str:
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


def _secondary(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setProperty("secondary", True)
    label.setWordWrap(True)
    return label


def _title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("PageTitle")
    return label


def _restyle(widget: QWidget, **props: Any) -> None:
    for k, v in props.items():
        widget.setProperty(k, v)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def _table(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().setDefaultSectionSize(28)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(False)
    view.setWordWrap(False)
    view.horizontalHeader().setHighlightSections(False)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
    return view


def _problems_table(model: Any) -> QTableView:
    view = _table(model)
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
            _restyle(dot, state=state)
            _restyle(name, state=state)


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
        self.caption = _secondary(caption)
        col.addWidget(self.value)
        col.addWidget(self.caption)

    def set_value(self, n: int) -> None:
        self.value.setText(f"{n:,}")
        _restyle(self.value, tone=self.tone if n else "")


def _stat_grid(captions: list[tuple[str, str, str]]) -> tuple[QWidget, dict[str, StatCard]]:
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
        sub = _secondary(
            "CSV, TSV/TXT or Excel (.xlsx) from a lead-retrieval app or event platform"
        )
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
            _restyle(self, hover=True)

    def dragLeaveEvent(self, event: Any) -> None:
        _restyle(self, hover=False)

    def dropEvent(self, event: QDropEvent) -> None:
        _restyle(self, hover=False)
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


class ImportWizard(QDialog):
    """The badge-scan import, step by step. `imported` fires with the result after a load."""

    imported = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, path: str | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import badge scans")
        self.setObjectName("ImportWizard")
        self.setStyleSheet(_style(theme.colors()))
        self.resize(1000, 680)
        self.setMinimumSize(860, 560)
        self.setAcceptDrops(True)
        self.path: Path | None = None
        self.prepared: Prepared | None = None
        self.review: Any = None  # dry-run ImportResult
        self.result: Any = None  # ImportResult of the real import
        self.undo_result: Any = None
        self._import_state: TaskState | None = None
        self._overrides: dict[str, Any] = {}
        self._key = f"import-wizard-{id(self)}"

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.steps = StepIndicator()
        outer.addWidget(self.steps)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        for build in (
            self._file_page,
            self._settings_page,
            self._columns_page,
            self._defaults_page,
            self._review_page,
            self._import_page,
            self._done_page,
        ):
            page = QWidget()
            col = QVBoxLayout(page)
            col.setContentsMargins(24, 20, 24, 16)
            col.setSpacing(12)
            build(col)
            self.stack.addWidget(page)
        outer.addWidget(self._button_bar())
        self._go(P_FILE)
        self._load_users()
        if path:
            self.open_file(path)

    # -- frame --------------------------------------------------------------------------

    def _button_bar(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("ButtonBar")
        row = QHBoxLayout(bar)
        row.setContentsMargins(20, 12, 20, 12)
        row.setSpacing(8)
        self.status = _secondary()
        row.addWidget(self.status, 1)
        self.cancel_button = QPushButton("Cancel")
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.next_button.setProperty("primary", True)
        self.next_button.setDefault(True)
        self.cancel_button.clicked.connect(self._cancel)
        self.back_button.clicked.connect(self._back)
        self.next_button.clicked.connect(self._next)
        row.addWidget(self.cancel_button)
        row.addWidget(self.back_button)
        row.addWidget(self.next_button)
        return bar

    @property
    def page(self) -> int:
        return self.stack.currentIndex()

    def _go(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.steps.set_current(index)
        self._update_buttons()
        if index == P_REVIEW:
            self._start_review()

    def _update_buttons(self) -> None:
        p = self.page
        ready = self.prepared is not None
        self.back_button.setVisible(p not in (P_FILE, P_IMPORT, P_DONE))
        self.back_button.setEnabled(p > P_FILE)
        self.cancel_button.setVisible(p != P_DONE)
        self.cancel_button.setText("Cancel import" if p == P_IMPORT else "Cancel")
        self.next_button.setVisible(p != P_IMPORT)
        text = {P_REVIEW: self._import_label(), P_DONE: "Close"}.get(p, "Next")
        self.next_button.setText(text)
        enabled = {
            P_FILE: ready,
            P_SETTINGS: ready,
            P_COLUMNS: ready and self._identity_mapped(),
            P_REVIEW: self.review is not None,
        }.get(p, True)
        self.next_button.setEnabled(enabled)

    def _import_label(self) -> str:
        if self.review is None:
            return "Import"
        n = self.review.created
        if n == 0 and self.review.updated:
            return f"Update {self.review.updated:,} leads"
        return f"Import {n:,} lead{'s' if n != 1 else ''}"

    def _next(self) -> None:
        p = self.page
        if p == P_COLUMNS:
            self._apply_mapping()
        if p == P_REVIEW:
            self._start_import()
            return
        if p == P_DONE:
            self.accept()
            return
        self._go(p + 1)

    def _back(self) -> None:
        if self.page > P_FILE:
            self._go(self.page - 1)

    def _cancel(self) -> None:
        if self.page == P_IMPORT and self._import_state is not None:
            self._import_state.cancel()
            self.import_label.setText("Cancelling… nothing will be kept.")
            self.cancel_button.setEnabled(False)
            return
        self.reject()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.page in (P_FILE, P_SETTINGS) and dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event)
        if path is not None and self.page in (P_FILE, P_SETTINGS):
            event.acceptProposedAction()
            self.open_file(path)

    # -- 1 file -------------------------------------------------------------------------

    def _file_page(self, col: QVBoxLayout) -> None:
        col.addWidget(_title("Choose the file"))
        col.addWidget(
            _secondary(
                "Leadgate detects the encoding, delimiter and header row, suggests which column "
                "is which, and shows you what will happen before anything is saved."
            )
        )
        self.drop_zone = DropZone()
        self.drop_zone.choose.clicked.connect(self._choose_file)
        self.drop_zone.file_dropped.connect(self.open_file)
        col.addWidget(self.drop_zone, 1)
        self.file_label = _secondary()
        col.addWidget(self.file_label)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import badge scans", "", FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        """Read the file's layout (in the background) and show the settings step."""
        self.path = Path(path)
        self.prepared = None
        self._overrides = {}
        self.file_label.setText(f"Reading {self.path.name}…")
        self.file_label.setObjectName("")
        self._prepare(go_to_settings=True)

    def _prepare(self, *, go_to_settings: bool = False, preset: str | None = None) -> None:
        from app.services.importing.prepare import prepare

        assert self.path is not None
        path, overrides = self.path, dict(self._overrides)

        def work(session: Any) -> Prepared:
            return prepare(session, path, preset=preset, **overrides)

        def done(prepared: Prepared) -> None:
            self.prepared = prepared
            self.review = None
            self.file_label.setText(f"{path.name}  ·  {_size(prepared.detected.size)}")
            self._show_prepared()
            if go_to_settings and self.page == P_FILE:
                self._go(P_SETTINGS)
            self._update_buttons()

        def failed(error: TaskError) -> None:
            self.file_label.setText(f"Cannot read {path.name}: {error.message}")
            self.settings_error.setText(f"Cannot read the file this way: {error.message}")
            self.settings_error.setVisible(True)
            self._update_buttons()

        self.ctx.tasks.submit(work, on_done=done, on_error=failed, key=self._key + "-prepare")

    # -- 2 settings ---------------------------------------------------------------------

    def _settings_page(self, col: QVBoxLayout) -> None:
        col.addWidget(_title("Check how the file is read"))
        self.detected_label = _secondary()
        col.addWidget(self.detected_label)
        form = QHBoxLayout()
        form.setSpacing(16)
        self.encoding_box = QComboBox()
        self.encoding_box.addItems(ENCODINGS)
        self.delimiter_box = QComboBox()
        for value, label in DELIMITERS.items():
            self.delimiter_box.addItem(label, value)
        self.header_spin = QSpinBox()
        self.header_spin.setRange(1, 60)
        self.sheet_box = QComboBox()
        self.sheet_label = QLabel("Sheet")
        for label, widget in (
            ("Encoding", self.encoding_box),
            ("Delimiter", self.delimiter_box),
            ("Header row", self.header_spin),
            (None, None),
        ):
            if label is None:
                form.addWidget(self.sheet_label)
                form.addWidget(self.sheet_box)
                continue
            form.addWidget(QLabel(label))
            form.addWidget(widget)
        form.addStretch(1)
        col.addLayout(form)
        self.encoding_box.activated.connect(
            lambda _i: self._override("encoding", self.encoding_box.currentText())
        )
        self.delimiter_box.activated.connect(
            lambda _i: self._override("delimiter", self.delimiter_box.currentData())
        )
        self.header_spin.editingFinished.connect(
            lambda: self._override("header_row", self.header_spin.value())
        )
        self.sheet_box.activated.connect(
            lambda _i: self._override("sheet", self.sheet_box.currentText())
        )
        self.warnings_label = _secondary()
        self.warnings_label.setObjectName("Notice")
        col.addWidget(self.warnings_label)
        self.settings_error = QLabel()
        self.settings_error.setObjectName("Error")
        self.settings_error.setWordWrap(True)
        self.settings_error.setVisible(False)
        col.addWidget(self.settings_error)
        self.preview_model = PreviewModel(self)
        self.preview_view = _table(self.preview_model)
        self.preview_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.Interactive
        )
        col.addWidget(self.preview_view, 1)
        col.addWidget(_secondary("The first rows after the header, as they will be read."))

    def _override(self, key: str, value: Any) -> None:
        if self.prepared is None:
            return
        det = self.prepared.detected
        current = {"encoding": det.encoding, "delimiter": det.delimiter,
                   "header_row": det.header_row, "sheet": det.sheet}.get(key)  # fmt: skip
        if value == current:
            return
        self._overrides[key] = value
        self.settings_error.setVisible(False)
        self._prepare()

    def _show_prepared(self) -> None:
        assert self.prepared is not None
        det = self.prepared.detected
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
            what = (f"{_encoding_name(det.encoding)}, {DELIMITERS.get(det.delimiter or '', '?')}"
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
        # Columns
        m = self.prepared.mapping
        samples = [self.prepared.samples(i) for i in range(len(det.headers))]
        self.mapping_model.set_mapping(det.headers, samples, m.fields)
        self._fill_presets(m.preset)
        self._mapping_changed()

    # -- 3 columns ----------------------------------------------------------------------

    def _columns_page(self, col: QVBoxLayout) -> None:
        col.addWidget(_title("Match the columns"))
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(QLabel("Preset"))
        self.preset_box = QComboBox()
        self.preset_box.setMinimumWidth(220)
        self.preset_box.activated.connect(self._preset_chosen)
        top.addWidget(self.preset_box)
        self.save_preset_button = QPushButton("Save as preset…")
        self.save_preset_button.clicked.connect(self._save_preset)
        top.addWidget(self.save_preset_button)
        top.addStretch(1)
        col.addLayout(top)
        self.preset_note = _secondary()
        col.addWidget(self.preset_note)
        self.mapping_model = MappingModel(self)
        self.mapping_model.dataChanged.connect(lambda *_: self._mapping_changed())
        self.mapping_view = _table(self.mapping_model)
        self.mapping_view.setItemDelegateForColumn(COL_FIELD, FieldDelegate(self.mapping_view))
        self.mapping_view.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            & ~QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.mapping_view.verticalHeader().setVisible(False)
        header = self.mapping_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_SAMPLES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_FIELD, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 200)
        header.resizeSection(COL_FIELD, 260)
        col.addWidget(self.mapping_view, 1)
        self.mapping_hint = _secondary()
        col.addWidget(self.mapping_hint)

    def _fill_presets(self, applied: str | None) -> None:
        assert self.prepared is not None
        self.preset_box.clear()
        self.preset_box.addItem("Suggested by Leadgate", "")
        for p in self.prepared.presets:
            self.preset_box.addItem(p.name, p.name)
        self.preset_box.setCurrentIndex(max(self.preset_box.findData(applied or ""), 0))
        if applied:
            self.preset_note.setText(
                f"Preset “{applied}” applied automatically: it was saved for a file with "
                "these same columns."
            )
        else:
            self.preset_note.setText(
                "Suggestions come from the column names (English, German, French, Spanish) "
                "and, where names say nothing, from the values. Click a row to change it."
            )

    def _preset_chosen(self, _i: int) -> None:
        name = self.preset_box.currentData() or None
        if name is None:
            from app.services.importing.mapping import suggest_mapping

            assert self.prepared is not None
            det = self.prepared.detected
            m = suggest_mapping(det.headers, det.preview)
            self.mapping_model.set_fields(m.fields)
            self._fill_presets(None)
            return
        preset = next(p for p in self.prepared.presets if p.name == name) if self.prepared else None
        if preset is not None:
            from app.services.importing.mapping import mapping_from_dict

            m = mapping_from_dict(self.prepared.detected.headers, preset.mapping)  # type: ignore[union-attr]
            self.mapping_model.set_fields(m.fields)
            self.preset_note.setText(f"Preset “{name}” applied.")

    def _save_preset(self) -> None:
        name, ok = QInputDialog.getText(self, "Save mapping preset", "Preset name")
        if not ok or not name.strip():
            return
        mapping = self._current_mapping()

        def work(session: Any) -> Any:
            from app.services.importing.mapping import save_preset

            return save_preset(session, self.ctx.clock, name.strip(), mapping)

        def done(info: Any) -> None:
            assert self.prepared is not None
            self.prepared.presets = [p for p in self.prepared.presets if p.name != info.name]
            self.prepared.presets.append(info)
            self._fill_presets(info.name)
            self.preset_note.setText(
                f"Saved as “{info.name}”. Files with these columns will use it automatically."
            )

        self.ctx.tasks.submit(work, on_done=done, on_error=self._show_error)

    def _current_mapping(self) -> Mapping:
        assert self.prepared is not None
        return Mapping(list(self.prepared.detected.headers), self.mapping_model.fields(),
                       preset=self.preset_box.currentData() or None)  # fmt: skip

    def _identity_mapped(self) -> bool:
        fields = set(self.mapping_model.fields())
        has_name = bool(fields & {"first_name", "last_name", "full_name"})
        return "email" in fields or "phone" in fields or (has_name and "company" in fields)

    def _mapping_changed(self) -> None:
        fields = [f for f in self.mapping_model.fields() if f]
        kept = len(self.mapping_model.fields()) - len(fields)
        if not self._identity_mapped():
            self.mapping_hint.setText(
                "Map an e-mail or phone column (or a name and a company) so leads can be told "
                "apart."
            )
            self.mapping_hint.setObjectName("Error")
        else:
            if kept:
                text = (
                    f"{len(fields)} columns import into lead fields; the other {kept} are "
                    "kept in each lead's raw row, so nothing typed in the file is lost."
                )
            else:
                text = (
                    f"All {len(fields)} columns import into lead fields; each lead also "
                    "keeps its raw row as typed in the file."
                )
            self.mapping_hint.setText(text)
            self.mapping_hint.setObjectName("")
        _restyle(self.mapping_hint)
        self.review = None
        self._update_buttons()

    def _apply_mapping(self) -> None:
        if self.prepared is not None:
            self.prepared.mapping = self._current_mapping()

    # -- 4 defaults ---------------------------------------------------------------------

    def _defaults_page(self, col: QVBoxLayout) -> None:
        col.addWidget(_title("Set what every lead gets"))
        col.addWidget(_secondary("Values in the file win; these fill what the file does not say."))
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(12)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source_edit = QLineEdit("Event badge scan")
        self.event_edit = QLineEdit()
        self.event_edit.setPlaceholderText("e.g. Web Summit 2026")
        self.event_date = QDateEdit()
        self.event_date.setCalendarPopup(True)
        self.event_date.setDisplayFormat("d MMM yyyy")
        today = self.ctx.clock.now().date()
        self.event_date.setDate(QDate(today.year, today.month, today.day))
        self.owner_box = QComboBox()
        self.owner_box.addItem(ROUTE_AUTOMATICALLY, None)
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("comma separated, e.g. booth-b12, follow-up")
        for w in (self.source_edit, self.event_edit, self.tags_edit, self.owner_box):
            w.setMaximumWidth(420)
        self.event_date.setMaximumWidth(200)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow("Source", self.source_edit)
        form.addRow("Event name", self.event_edit)
        form.addRow("Event date", self.event_date)
        form.addRow("Owner", self.owner_box)
        form.addRow("Tags", self.tags_edit)
        col.addLayout(form)
        col.addWidget(
            _secondary(
                "“Route automatically” hands new leads to reps by the team's routing rules. "
                "The event date is used for leads whose scan time is missing."
            )
        )
        col.addStretch(1)

    def _load_users(self) -> None:
        def work(session: Any) -> list[Any]:
            from app.services.team.users import list_users

            return list_users(session)

        def done(users: list[Any]) -> None:
            for u in users:
                self.owner_box.addItem(u.name, u.id)

        self.ctx.tasks.submit(work, on_done=done, on_error=lambda _e: None)

    def options(self, *, dry_run: bool) -> Any:
        from app.services.importing import ImportOptions

        d = self.event_date.date()
        owner = self.owner_box.currentData()
        return ImportOptions(
            source=self.source_edit.text().strip() or None,
            event=self.event_edit.text().strip() or None,
            event_date=date(d.year(), d.month(), d.day()),
            owner_id=owner,
            route=owner is None,
            tags=[t.strip() for t in self.tags_edit.text().split(",") if t.strip()],
            user_id=self.ctx.user.id if self.ctx.user else None,
            dry_run=dry_run,
        )

    # -- 5 review -----------------------------------------------------------------------

    def _review_page(self, col: QVBoxLayout) -> None:
        col.addWidget(_title("Review before importing"))
        self.review_label = _secondary("Checking every row…")
        col.addWidget(self.review_label)
        self.review_progress = QProgressBar()
        self.review_progress.setTextVisible(False)
        col.addWidget(self.review_progress)
        grid, self.review_cards = _stat_grid(
            [
                ("created", "will be created", "success"),
                ("updated", "will update existing leads", ""),
                ("merged", "repeats merged in the file", ""),
                ("incomplete", "incomplete (no valid e-mail or company)", "warning"),
                ("rejected", "rejected (nothing to identify a person)", "danger"),
                ("possible_duplicates", "possible duplicates to review", "warning"),
            ]
        )
        col.addWidget(grid)
        col.addWidget(QLabel("Rows to look at"))
        self.problems_model = ProblemsModel(self)
        self.problems_view = _problems_table(self.problems_model)
        col.addWidget(self.problems_view, 1)

    def _start_review(self) -> None:
        if self.review is not None or self.prepared is None or self.path is None:
            return
        from app.services.importing import run_import

        path, det, mapping = self.path, self.prepared.detected, self.prepared.mapping
        opts = self.options(dry_run=True)
        clock = self.ctx.clock
        self.review_label.setText("Checking every row… nothing is saved yet.")
        self.review_progress.setVisible(True)
        self.review_progress.setRange(0, 0)

        def work(session: Any, state: TaskState) -> Any:
            return run_import(session, clock, path, detected=det, mapping=mapping, options=opts,
                              state=state)  # fmt: skip

        def done(result: Any) -> None:
            self.review = result
            self.review_progress.setVisible(False)
            self._show_counts(self.review_cards, result)
            self.problems_model.set_rows(problem_rows(result))
            self.review_label.setText(
                f"{result.data_rows:,} data rows in {path.name}"
                + (f"; {result.skipped_blank:,} blank rows skipped" if result.skipped_blank else "")
                + (f"; {result.footer_rows} footer line(s) ignored" if result.footer_rows else "")
                + ". Nothing has been saved yet."
            )
            self._update_buttons()

        def failed(error: TaskError) -> None:
            self.review_progress.setVisible(False)
            if not error.cancelled:
                self.review_label.setText(f"The file could not be checked: {error.message}")

        self.ctx.tasks.submit(work, on_done=done, on_error=failed, on_progress=self._review_tick,
                              key=self._key + "-review", with_state=True)  # fmt: skip

    def _review_tick(self, done: int, total: int, _text: str) -> None:
        self.review_progress.setRange(0, 1000)
        self.review_progress.setValue(int(1000 * done / max(total, 1)))

    @staticmethod
    def _show_counts(cards: dict[str, StatCard], result: Any) -> None:
        for key, card in cards.items():
            value = getattr(result, key)
            card.set_value(len(value) if isinstance(value, list) else int(value))

    # -- 6 import -----------------------------------------------------------------------

    def _import_page(self, col: QVBoxLayout) -> None:
        col.addStretch(1)
        self.import_title = _title("Importing…")
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
        self.import_label = _secondary("Starting…")
        self.import_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.import_label)
        col.addWidget(_secondary_center("Cancel leaves your leads exactly as they were."))
        col.addStretch(2)

    def _start_import(self) -> None:
        if self.prepared is None or self.path is None:
            return
        from app.services.importing import run_import

        path, det, mapping = self.path, self.prepared.detected, self.prepared.mapping
        opts = self.options(dry_run=False)
        clock = self.ctx.clock
        self.import_title.setText(f"Importing {path.name}")
        self.import_bar.setValue(0)
        self.import_label.setText("Starting…")
        self.cancel_button.setEnabled(True)
        self._go(P_IMPORT)

        def work(session: Any, state: TaskState) -> Any:
            return run_import(session, clock, path, detected=det, mapping=mapping, options=opts,
                              state=state)  # fmt: skip

        self._import_state = self.ctx.tasks.submit(
            work, on_done=self._imported, on_error=self._import_failed,
            on_progress=self._import_tick, key=self._key + "-import", with_state=True,
        )  # fmt: skip

    def _import_tick(self, done: int, total: int, text: str) -> None:
        self.import_bar.setValue(int(1000 * done / max(total, 1)))
        pct = 100 * done / max(total, 1)
        self.import_label.setText(f"{text}  ·  {pct:.0f}%" if text else f"{pct:.0f}%")

    def _imported(self, result: Any) -> None:
        self.result = result
        self._import_state = None
        self._show_counts(self.done_cards, result)
        self.done_title.setText(
            f"Imported {self.path.name if self.path else ''}: {result.created:,} new "
            f"lead{'s' if result.created != 1 else ''}"
        )
        self.done_label.setText(
            f"Batch {result.batch_id} · {result.data_rows:,} rows in {result.seconds:.1f} s. "
            "New leads are scored and routed; repeats were added to the leads they match."
        )
        self.error_file_button.setEnabled(bool(result.rejected_rows))
        self.undo_button.setEnabled(True)
        self.done_problems.set_rows(problem_rows(result))
        self._go(P_DONE)
        self.ctx.events.changed.emit(Changes(all_leads=True))
        self.ctx.events.status_message.emit(
            f"Imported {result.created:,} leads from {self.path.name if self.path else 'file'}"
        )
        self.imported.emit(result)
        # The import held back SQLite's checkpoint from its commit so the numbers show at
        # once; it runs now, in the background.
        from app.store.db import checkpoint

        self.ctx.tasks.submit(checkpoint, key="store-checkpoint")

    def _import_failed(self, error: TaskError) -> None:
        self._import_state = None
        self.cancel_button.setEnabled(True)
        from app.services.importing import ImportCancelled

        cancelled = error.cancelled or isinstance(error.exception, ImportCancelled)
        self._go(P_REVIEW)
        if cancelled:
            self.review_label.setText("Import cancelled. Nothing was changed.")
        else:
            self.review_label.setText(f"The import failed and nothing was saved: {error.message}")

    # -- 7 done -------------------------------------------------------------------------

    def _done_page(self, col: QVBoxLayout) -> None:
        self.done_title = _title("Imported")
        col.addWidget(self.done_title)
        self.done_label = _secondary()
        col.addWidget(self.done_label)
        grid, self.done_cards = _stat_grid(
            [
                ("created", "leads created", "success"),
                ("updated", "existing leads updated", ""),
                ("merged", "repeats merged", ""),
                ("incomplete", "incomplete", "warning"),
                ("rejected", "rows rejected", "danger"),
                ("possible_duplicates", "possible duplicates", "warning"),
            ]
        )
        col.addWidget(grid)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.error_file_button = QPushButton(
            theme.icon("file-download-outline"), "Save error file…"
        )
        self.error_file_button.setToolTip("The rejected rows as in the file, with a reason column")
        self.error_file_button.clicked.connect(self._save_error_file)
        self.show_button = QPushButton(theme.icon("account-box-multiple-outline"), "Show leads")
        self.show_button.clicked.connect(self._show_leads)
        self.undo_button = QPushButton("Undo this import")
        self.undo_button.setProperty("danger", True)
        self.undo_button.clicked.connect(self._undo)
        actions.addWidget(self.error_file_button)
        actions.addWidget(self.show_button)
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        col.addLayout(actions)
        self.undo_label = _secondary()
        self.undo_label.setVisible(False)
        col.addWidget(self.undo_label)
        col.addWidget(QLabel("Rows to look at"))
        self.done_problems = ProblemsModel(self)
        col.addWidget(_problems_table(self.done_problems), 1)

    def _save_error_file(self) -> None:
        if self.result is None or not self.result.rejected_rows or self.path is None:
            return
        from app.services.importing import write_error_file

        suggested = str(self.path.with_name(f"{self.path.stem}-rejected.csv"))
        target, _ = QFileDialog.getSaveFileName(self, "Save error file", suggested, "CSV (*.csv)")
        if not target:
            return
        n = write_error_file(target, self.result.headers, self.result.rejected_rows)
        self._note(f"Saved {n} rejected row(s) with their reasons to {target}.")

    def _show_leads(self) -> None:
        if self.result is None:
            return
        flt: dict[str, Any] = {"title": f"Imported from {self.result.file_name}"}
        event = self.options(dry_run=True).event
        if event:
            flt["event"] = event
        if len(self.result.created_ids) <= 5000:
            flt["ids"] = tuple(self.result.created_ids)
        self.ctx.events.show_leads.emit(flt)
        self.accept()

    def _undo(self) -> None:
        if self.result is None or self.result.batch_id is None:
            return
        answer = QMessageBox.question(
            self,
            "Undo this import?",
            f"Remove the {self.result.created:,} leads this import created and revert the fields "
            "it filled in on existing leads? Leads changed since the import are left alone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        batch_id, clock = self.result.batch_id, self.ctx.clock
        user_id = self.ctx.user.id if self.ctx.user else None
        self.undo_button.setEnabled(False)
        self._note("Undoing…")

        def work(session: Any) -> Any:
            from app.services.importing import undo_batch

            return undo_batch(session, clock, batch_id, user_id=user_id)

        def done(res: Any) -> None:
            self.undo_result = res
            text = f"Import undone: {res.deleted:,} leads removed, {res.reverted:,} reverted."
            if res.skipped:
                ids = ", ".join(f"#{i}" for i in res.skipped[:12])
                more = "…" if len(res.skipped) > 12 else ""
                text += f" Left alone because they changed since: {ids}{more}."
            self._note(text)
            self.ctx.events.changed.emit(Changes(all_leads=True))

        def failed(error: TaskError) -> None:
            self.undo_button.setEnabled(True)
            self._show_error(error)

        self.ctx.tasks.submit(work, on_done=done, on_error=failed)

    def _note(self, text: str) -> None:
        self.undo_label.setText(text)
        self.undo_label.setVisible(bool(text))

    def _show_error(self, error: TaskError) -> None:
        self.status.setText(error.message)

    def closeEvent(self, event: Any) -> None:
        if self._import_state is not None:
            self._import_state.cancel()
        super().closeEvent(event)

    def reject(self) -> None:
        if self._import_state is not None:
            self._import_state.cancel()
        super().reject()


def _secondary_center(text: str) -> QLabel:
    label = _secondary(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _encoding_name(enc: str | None) -> str:
    return {
        "utf-8": "UTF-8",
        "utf-8-sig": "UTF-8 with BOM",
        "utf-16": "UTF-16 (Excel Unicode text)",
        "cp1252": "Windows-1252",
        "latin-1": "Latin-1",
    }.get(enc or "", enc or "?")


def problem_rows(result: Any) -> list[tuple[Any, str, str, str, str, str]]:
    """Rejected, incomplete and possible-duplicate rows, in file order."""
    rows: list[tuple[Any, str, str, str, str, str]] = []
    headers = result.headers
    fields = list(result.mapping.values())
    keys = list(result.mapping.keys())

    def cell(cells: list[str], field: str) -> str:
        if field in fields:
            i = (
                headers.index(keys[fields.index(field)])
                if keys[fields.index(field)] in headers
                else -1
            )
            return cells[i].strip() if 0 <= i < len(cells) else ""
        return ""

    for r in result.rejected_rows[:2000]:
        name = " ".join(p for p in (cell(r.cells, "first_name"), cell(r.cells, "last_name")) if p)
        rows.append((r.row, f"Rejected: {r.reason}", name or cell(r.cells, "full_name"),
                     cell(r.cells, "email"), cell(r.cells, "company"), "rejected"))  # fmt: skip
    for row, name, email, company, valid in result.incomplete_rows[:2000]:
        missing = [] if valid else ["no valid e-mail"]
        if not company:
            missing.append("no company")
        rows.append((row, "Incomplete: " + ", ".join(missing), name, email or "", company or "",
                     "incomplete"))  # fmt: skip
    for d in result.possible_duplicates[:2000]:
        other = f"row {d.other_row}" if d.other_row else f"lead #{d.other_id}"
        rows.append((d.row or "", f"Possible duplicate of {other} ({d.reason}): {d.other_name}",
                     d.name, "", "", "duplicate"))  # fmt: skip
    rows.sort(key=lambda r: r[0] if isinstance(r[0], int) else 0)
    return rows


__all__ = ["ALL_FIELDS", "ImportWizard", "dropped_file", "problem_rows"]
