"""The import wizard: file -> settings + preview -> columns -> defaults -> review -> import ->
result. Each step is its own widget (`*_page.py`); the wizard only wires them, moves between
them and calls one API function per user action through `run_op` (review, import, undo, save a
preset). Reading the file's layout and the team list are plain reads on the task runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.services.auth import Perm
from app.services.importing import api as importing_api
from app.services.importing.history import routed_summary, routing_sentence
from app.services.importing.pacing import ImportCancelled
from app.services.importing.prepare import Prepared, prepare
from app.services.importing.presets import PresetInfo
from app.services.importing.results import ImportResult
from app.services.importing.review import problem_rows
from app.services.importing.undo import UndoResult
from app.services.team.users import UserInfo, list_users
from app.ui import theme
from app.ui.context import AppContext
from app.ui.importing.columns_page import ColumnsPage
from app.ui.importing.defaults_page import DefaultsPage
from app.ui.importing.done_page import DonePage
from app.ui.importing.file_page import FilePage
from app.ui.importing.import_page import ImportPage
from app.ui.importing.review_page import ReviewPage
from app.ui.importing.settings_page import SettingsPage
from app.ui.importing.widgets import (
    P_COLUMNS,
    P_DEFAULTS,
    P_DONE,
    P_FILE,
    P_IMPORT,
    P_REVIEW,
    P_SETTINGS,
    StepIndicator,
    dropped_file,
    file_size,
    secondary,
    wizard_style,
)
from app.ui.ops import run_op
from app.ui.workers import TaskError, TaskState


class ImportWizard(QDialog):
    """The badge-scan import, step by step. `imported` fires with the result after a load."""

    imported = Signal(object)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, path: str | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Import badge scans")
        self.setObjectName("ImportWizard")
        self.setStyleSheet(wizard_style(theme.colors()))
        self.resize(1000, 680)
        self.setMinimumSize(860, 560)
        self.setAcceptDrops(True)
        self.path: Path | None = None
        self.prepared: Prepared | None = None
        self.review: ImportResult | None = None  # the dry run's result
        self.import_result: ImportResult | None = None  # the real import's
        self.undo_result: UndoResult | None = None
        self._import_state: TaskState | None = None
        self._overrides: dict[str, Any] = {}
        self._key = f"import-wizard-{id(self)}"

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.steps = StepIndicator()
        outer.addWidget(self.steps)
        self.file_page = FilePage()
        self.settings_page = SettingsPage()
        self.columns_page = ColumnsPage()
        self.defaults_page = DefaultsPage(ctx.clock.now().date())
        self.review_page = ReviewPage()
        self.import_page = ImportPage()
        self.done_page = DonePage(can_undo=ctx.can(Perm.IMPORT_UNDO))
        self.stack = QStackedWidget()
        for page in (self.file_page, self.settings_page, self.columns_page, self.defaults_page,
                     self.review_page, self.import_page, self.done_page):  # fmt: skip
            self.stack.addWidget(page)
        outer.addWidget(self.stack, 1)
        outer.addWidget(self._button_bar())

        self.file_page.file_chosen.connect(self.open_file)
        self.settings_page.override.connect(self._override)
        self.columns_page.mapping_changed.connect(self._mapping_changed)
        self.columns_page.save_requested.connect(self._save_preset)
        self.done_page.undo_requested.connect(self._undo)
        self.done_page.show_leads_requested.connect(self._show_leads)
        self.done_page.review_duplicates_requested.connect(self.review_duplicates)
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
        self.status = secondary()
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
            P_COLUMNS: ready and self.columns_page.can_tell_leads_apart(),
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
        if p == P_COLUMNS and self.prepared is not None:
            self.prepared.mapping = self.columns_page.current_mapping()
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
            self.import_page.cancelling()
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

    # -- reading the file (plain reads) ---------------------------------------------------

    def open_file(self, path: str) -> None:
        """Read the file's layout (in the background) and show the settings step."""
        self.path = Path(path)
        self.prepared = None
        self._overrides = {}
        self.file_page.set_note(f"Reading {self.path.name}…")
        self._prepare(go_to_settings=True)

    def _prepare(self, *, go_to_settings: bool = False) -> None:
        assert self.path is not None
        path, overrides = self.path, dict(self._overrides)

        def work(session: Session) -> Prepared:
            return prepare(session, path, **overrides)

        def done(prepared: Prepared) -> None:
            self.prepared = prepared
            self.review = None
            self.file_page.set_note(f"{path.name}  ·  {file_size(prepared.detected.size)}")
            self.settings_page.show_detected(prepared.detected)
            self.columns_page.show_prepared(prepared)
            if go_to_settings and self.page == P_FILE:
                self._go(P_SETTINGS)
            self._update_buttons()

        def failed(error: TaskError) -> None:
            self.file_page.set_note(f"Cannot read {path.name}: {error.message}")
            self.settings_page.show_error(f"Cannot read the file this way: {error.message}")
            self._update_buttons()

        self.ctx.tasks.submit(work, on_done=done, on_error=failed, key=self._key + "-prepare")

    def _override(self, key: str, value: Any) -> None:
        if self.prepared is None:
            return
        self._overrides[key] = value
        self._prepare()

    def _load_users(self) -> None:
        self.ctx.tasks.submit(list_users, on_done=self._users_loaded, on_error=lambda _e: None)

    def _users_loaded(self, users: list[UserInfo]) -> None:
        self.defaults_page.set_users(users)

    def _mapping_changed(self) -> None:
        self.review = None
        self._update_buttons()

    # -- actions (one API call each) ------------------------------------------------------

    def _save_preset(self, name: str) -> None:
        run_op(
            self.ctx, importing_api.save_mapping_preset, name, self.columns_page.current_mapping(),
            on_done=self._preset_saved, on_error=self._show_error, parent=self,
        )  # fmt: skip

    def _preset_saved(self, info: PresetInfo) -> None:
        self.columns_page.preset_saved(info)

    def _start_review(self) -> None:
        if self.review is not None or self.prepared is None or self.path is None:
            return
        self.review_page.checking()
        run_op(
            self.ctx, importing_api.run_import, self.path,
            detected=self.prepared.detected, mapping=self.prepared.mapping,
            options=self.defaults_page.options(dry_run=True),
            on_done=self._reviewed, on_error=self._review_failed,
            on_progress=self.review_page.tick, key=self._key + "-review", with_state=True,
        )  # fmt: skip

    def _reviewed(self, result: ImportResult) -> None:
        self.review = result
        self.review_page.show_review(result)
        self._update_buttons()

    def _review_failed(self, error: TaskError) -> None:
        if not error.cancelled:
            self.review_page.show_message(f"The file could not be checked: {error.message}")

    def _start_import(self) -> None:
        if self.prepared is None or self.path is None:
            return
        self.import_page.start(self.path.name)
        self.cancel_button.setEnabled(True)
        self._go(P_IMPORT)
        self._import_state = run_op(
            self.ctx, importing_api.run_import, self.path,
            detected=self.prepared.detected, mapping=self.prepared.mapping,
            options=self.defaults_page.options(dry_run=False),
            on_done=self._imported, on_error=self._import_failed,
            on_progress=self.import_page.tick, key=self._key + "-import", with_state=True,
        )  # fmt: skip

    def _imported(self, result: ImportResult) -> None:
        """The import is committed (and its changes broadcast by run_op)."""
        self.import_result = result
        self._import_state = None
        assert self.path is not None
        self.done_page.show_result(self.path, result)
        if result.batch_id is not None:
            batch_id = result.batch_id
            self.ctx.tasks.submit(
                lambda s: routing_sentence(routed_summary(s, [batch_id])[batch_id]),
                on_done=lambda said: self.done_page.show_routing(*said),
            )
        self._go(P_DONE)
        self.ctx.events.status_message.emit(
            f"Imported {result.created:,} leads from {self.path.name}"
        )
        self.imported.emit(result)

    def _import_failed(self, error: TaskError) -> None:
        self._import_state = None
        self.cancel_button.setEnabled(True)
        cancelled = error.cancelled or isinstance(error.exception, ImportCancelled)
        self._go(P_REVIEW)
        if cancelled:
            self.review_page.show_message("Import cancelled. Nothing was changed.")
        else:
            self.review_page.show_message(
                f"The import failed and nothing was saved: {error.message}"
            )

    def _undo(self) -> None:
        if self.import_result is None or self.import_result.batch_id is None:
            return
        run_op(
            self.ctx, importing_api.undo_import, self.import_result.batch_id,
            on_done=self._undone, on_error=self._undo_failed, parent=self,
        )  # fmt: skip

    def _undone(self, res: UndoResult) -> None:
        self.undo_result = res
        self.done_page.undone(res)

    def _undo_failed(self, error: TaskError) -> None:
        self.done_page.undo_failed(error.message)

    def review_duplicates(self) -> QWidget | None:
        """The import's possible duplicates, to merge or dismiss pair by pair."""
        from app.ui.importing.duplicates_dialog import DuplicatesDialog

        if self.import_result is None:
            return None
        dialog = DuplicatesDialog(self.ctx, list(self.import_result.possible_duplicates), self)
        self.duplicates_dialog = dialog
        dialog.open()
        return dialog

    def _show_leads(self) -> None:
        if self.import_result is None:
            return
        flt: dict[str, Any] = {"title": f"Imported from {self.import_result.file_name}"}
        event = self.defaults_page.options(dry_run=True).event
        if event:
            flt["event"] = event
        if len(self.import_result.created_ids) <= 5000:
            flt["ids"] = tuple(self.import_result.created_ids)
        self.ctx.events.show_leads.emit(flt)
        self.accept()

    def _show_error(self, error: TaskError) -> None:
        self.status.setText(error.message)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._import_state is not None:
            self._import_state.cancel()
        super().closeEvent(event)

    def reject(self) -> None:
        if self._import_state is not None:
            self._import_state.cancel()
        super().reject()


__all__ = [
    "P_COLUMNS",
    "P_DEFAULTS",
    "P_DONE",
    "P_FILE",
    "P_IMPORT",
    "P_REVIEW",
    "P_SETTINGS",
    "ImportWizard",
    "dropped_file",
    "problem_rows",
]
