"""File > Back up store… and File > Restore from backup… for a local SQLite store.

The work (copy, checks, swap) is app.backup's; this module asks where, confirms, and puts a
new window on the restored store, as File > Connect does for another store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.backup import BackupError, BackupInfo, backup_name, backup_store, list_backups
from app.ui import theme

if TYPE_CHECKING:
    from app.store.db import Store
    from app.ui.main_window import MainWindow

# Columns of the backups list.
COL_TAKEN, COL_KIND, COL_SCHEMA, COL_SIZE = range(4)
PATH_ROLE = Qt.ItemDataRole.UserRole
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ROW_HEIGHT = 28  # UI.md: dense tables, ~28 px rows
HEADERS = ("Taken", "Kind", "Schema", "Size")
AnyIndex = QModelIndex | QPersistentModelIndex


class BackupsModel(QAbstractTableModel):
    """The store's backups, newest first: when (local time), kind, schema revision, size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backups: list[BackupInfo] = []

    def set_backups(self, backups: list[BackupInfo]) -> None:
        self.beginResetModel()
        self.backups = list(backups)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.backups)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_SIZE:
            return int(RIGHT)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info, col = self.backups[index.row()], index.column()
        texts = (
            info.taken.astimezone().strftime("%Y-%m-%d %H:%M:%S"),  # local time
            info.kind_label,
            info.revision or "unreadable",
            human_size(info.size),
        )
        if role == Qt.ItemDataRole.DisplayRole:
            return texts[col]
        if role == PATH_ROLE:
            return str(info.path)
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_TAKEN:
            return str(info.path)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(RIGHT)
        if role == Qt.ItemDataRole.SizeHintRole:  # the text's width, a taller row
            width = QFontMetrics(QApplication.font()).horizontalAdvance(texts[col]) + 24
            return QSize(width, ROW_HEIGHT)
        return None


def store_file(store: Store) -> Path | None:
    """The local store's file, or None for a shared (PostgreSQL) store."""
    if not store.is_sqlite or not store.url.database or store.url.database == ":memory:":
        return None
    return Path(store.url.database).expanduser().resolve()


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def back_up(path: Path, target: Path) -> str:
    """Back up and say so in one sentence (raises BackupError)."""
    written = backup_store(path, target)
    return f"Backed up to {written} ({human_size(written.stat().st_size)}, checked)."


def ask_backup_target(parent: QWidget, path: Path, now: datetime) -> Path | None:
    suggested = backup_name(path, "manual", now)
    chosen, _filter = QFileDialog.getSaveFileName(
        parent, "Back up store", str(suggested), "Leadgate stores (*.sqlite3);;All files (*)"
    )
    return Path(chosen) if chosen else None


class RestoreDialog(QDialog):
    """The store's backups (automatic ones before upgrades, manual ones, safety copies), a
    way to pick any other file, and Restore. A refused file gets one line, in red, here."""

    restore_requested = Signal(Path)

    def __init__(
        self, path: Path, now: Callable[[], datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.now = now
        self.setWindowTitle("Restore from backup")
        self.setMinimumSize(680, 420)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(12)

        title = QLabel("Restore the store from a backup")
        title.setStyleSheet("font-size: 15px; font-weight: 700;")
        layout.addWidget(title)
        where = QLabel(
            f"Store: {path}\nThe current store is kept as a safety copy beside it, and the "
            "window reopens on the restored one."
        )
        where.setProperty("secondary", True)
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(where)

        self.model = BackupsModel(self)
        self.table = QTreeView()
        self.table.setModel(self.model)
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_TAKEN, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_KIND, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_SCHEMA, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_SIZE, QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        self.table.doubleClicked.connect(lambda _index: self._restore_selected())
        layout.addWidget(self.table, 1)
        self.empty = QLabel(
            "No backups beside this store yet. Leadgate makes one before each upgrade; "
            "Back up now makes one whenever you like."
        )
        self.empty.setProperty("secondary", True)
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        layout.addWidget(self.error)
        self.status = QLabel()
        self.status.setProperty("secondary", True)
        self.status.setWordWrap(True)
        self.status.hide()
        layout.addWidget(self.status)

        row = QHBoxLayout()
        row.setSpacing(8)
        self.backup_button = QPushButton("Back up now…")
        self.backup_button.clicked.connect(self._back_up_now)
        self.choose_button = QPushButton("Choose file…")
        self.choose_button.clicked.connect(self._choose_file)
        row.addWidget(self.backup_button)
        row.addWidget(self.choose_button)
        row.addStretch(1)
        buttons = QDialogButtonBox()
        self.restore_button = buttons.addButton(
            "Restore selected…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.restore_button.setProperty("danger", True)
        self.restore_button.clicked.connect(self._restore_selected)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row.addWidget(buttons)
        layout.addLayout(row)
        self.refresh()

    # -- the list ----------------------------------------------------------------------------
    def refresh(self) -> None:
        self.backups: list[BackupInfo] = list_backups(self.path)
        self.model.set_backups(self.backups)
        self.table.setVisible(bool(self.backups))
        self.empty.setVisible(not self.backups)
        if self.backups:
            self.table.setCurrentIndex(self.model.index(0, 0))
        self._selection_changed()

    def selected_path(self) -> Path | None:
        path = self.model.data(self.table.currentIndex(), PATH_ROLE)
        return Path(path) if path is not None else None

    def _selection_changed(self) -> None:
        self.restore_button.setEnabled(self.selected_path() is not None)

    # -- actions -------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.status.hide()
        self.error.setText(message)
        self.error.show()

    def show_status(self, message: str) -> None:
        self.error.hide()
        self.status.setText(message)
        self.status.show()

    def back_up_to(self, target: Path) -> bool:
        try:
            self.show_status(back_up(self.path, target))
        except BackupError as exc:
            self.show_error(str(exc))
            return False
        self.refresh()
        return True

    def _back_up_now(self) -> None:
        target = ask_backup_target(self, self.path, self.now())
        if target is not None:
            self.back_up_to(target)

    def _choose_file(self) -> None:
        chosen, _filter = QFileDialog.getOpenFileName(
            self,
            "Restore from a file",
            str(self.path.parent),
            "Leadgate stores (*.sqlite3 *.db);;All files (*)",
        )
        if chosen:
            self.request_restore(Path(chosen))

    def _restore_selected(self) -> None:
        path = self.selected_path()
        if path is not None:
            self.request_restore(path)

    def request_restore(self, source: Path, confirm: bool = True) -> None:
        """Check the file now (so a wrong one is refused before anything is asked), confirm,
        then hand it to whoever restores (restore_requested)."""
        from app.backup import check_copy

        try:
            revision = check_copy(source)
        except BackupError as exc:
            self.show_error(str(exc))
            return
        self.error.hide()
        if confirm and not self._confirm(source, revision):
            return
        self.restore_requested.emit(source)

    def _confirm(self, source: Path, revision: str) -> bool:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Restore from backup")
        box.setText(f"Replace the current store with {source.name}?")
        box.setInformativeText(
            f"The backup holds schema {revision}. Everything changed in the store since it "
            "was taken is set aside in a safety copy beside the store."
        )
        restore = box.addButton("Restore", QMessageBox.ButtonRole.DestructiveRole)
        restore.setProperty("danger", True)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is restore


# -- wiring to the main window ------------------------------------------------------------------


def back_up_from_window(window: MainWindow) -> None:
    """File > Back up store…: ask where, back up, say how it went in the status bar."""
    path = store_file(window.ctx.store)
    if path is None:
        QMessageBox.information(window, "Back up store", SHARED_STORE)
        return
    target = ask_backup_target(window, path, window.ctx.clock.now())
    if target is None:
        return
    try:
        message = back_up(path, target)
    except BackupError as exc:
        QMessageBox.warning(window, "Back up store", str(exc))
        return
    window.statusBar().showMessage(message, 15000)


SHARED_STORE = (
    "This window is on a team database: its backups are made on the server by its admin "
    "(for example with pg_dump). Back up and restore here are for a local store."
)


def open_restore_dialog(window: MainWindow) -> RestoreDialog | None:
    """File > Restore from backup…"""
    path = store_file(window.ctx.store)
    if path is None:
        QMessageBox.information(window, "Restore from backup", SHARED_STORE)
        return None
    dialog = RestoreDialog(path, window.ctx.clock.now, window)
    dialog.restore_requested.connect(lambda source: restore_into(window, source, dialog))
    dialog.open()
    return dialog


def restore_into(window: MainWindow, source: Path, dialog: QDialog | None = None) -> QWidget:
    """Restore `source` over the window's store, then show a new window on it (the old one
    closes: its views, timer thread and connections belong to the replaced file). Returns the
    window now showing the store, or the old one if the restore was refused."""
    from app.backup import restore_store
    from app.store.db import StoreError, open_store

    ctx = window.ctx
    path = store_file(ctx.store)
    assert path is not None
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    quit_on_close = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)  # the old window closes before the new one shows

    def close_store() -> None:
        if dialog is not None:
            dialog.close()
        window.close()  # stops its timer thread and waits for its tasks
        ctx.store.dispose()

    try:
        try:
            result = restore_store(source, path, now=ctx.clock.now(), close_store=close_store)
        except BackupError as exc:
            if window.isVisible():
                if isinstance(dialog, RestoreDialog):
                    dialog.show_error(str(exc))
                else:
                    QMessageBox.warning(window, "Restore from backup", str(exc))
                return window
            result = None
            failure = str(exc)  # the swap failed after the window closed: reopen what is there
        try:
            store = open_store(ctx.store.url, now=ctx.clock.now())
        except StoreError as exc:
            QMessageBox.critical(None, "Leadgate cannot open the restored store", str(exc))
            app.quit()
            return window
        reopen = window.reopen_handler
        new_window = reopen(store, window) if reopen is not None else None
        if new_window is None:
            app.quit()
            return window
        if result is None:
            new_window.statusBar().showMessage(f"The restore failed: {failure}", 30000)
        else:
            kept = result.safety_copy
            safety = f" The store it replaced is kept as {kept.name}." if kept else ""
            new_window.statusBar().showMessage(
                f"Restored from {source.name} (schema {result.revision}).{safety}", 30000
            )
        return new_window
    finally:
        app.setQuitOnLastWindowClosed(quit_on_close)
