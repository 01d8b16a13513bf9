"""Step 7: what the import did, the error file, the new leads, and Undo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from app.services.importing.export import write_error_file
from app.services.importing.results import ImportResult
from app.services.importing.review import problem_rows
from app.services.importing.undo import UndoResult
from app.ui import theme
from app.ui.importing.models import ProblemsModel
from app.ui.importing.widgets import Page, problems_table, secondary, show_counts, stat_grid, title


class DonePage(Page):
    """Emits `undo_requested` once the user confirmed, `show_leads_requested` for the list.
    Undo is only shown to a role that may undo an import (`can_undo`)."""

    undo_requested = Signal()
    show_leads_requested = Signal()
    review_duplicates_requested = Signal()

    def __init__(self, *, can_undo: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: ImportResult | None = None
        self.path: Path | None = None
        col = self.col
        self.done_title = title("Imported")
        col.addWidget(self.done_title)
        self.done_label = secondary()
        col.addWidget(self.done_label)
        self.routing_label = QLabel()
        self.routing_label.setWordWrap(True)
        self.routing_label.setVisible(False)
        col.addWidget(self.routing_label)
        grid, self.done_cards = stat_grid(
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
        self.show_button.clicked.connect(self.show_leads_requested)
        self.undo_button = QPushButton("Undo this import")
        self.undo_button.setProperty("danger", True)
        self.undo_button.clicked.connect(self._confirm_undo)
        self.undo_button.setVisible(can_undo)
        self.duplicates_button = QPushButton(
            theme.icon("account-multiple-check-outline"), "Review duplicates…"
        )
        self.duplicates_button.setToolTip("Merge or dismiss the possible duplicates found")
        self.duplicates_button.clicked.connect(self.review_duplicates_requested)
        actions.addWidget(self.error_file_button)
        actions.addWidget(self.show_button)
        actions.addWidget(self.duplicates_button)
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        col.addLayout(actions)
        self.undo_label = secondary()
        self.undo_label.setVisible(False)
        col.addWidget(self.undo_label)
        col.addWidget(QLabel("Rows to look at"))
        self.done_problems = ProblemsModel(self)
        col.addWidget(problems_table(self.done_problems), 1)

    def show_result(self, path: Path, result: ImportResult) -> None:
        self.path, self.result = path, result
        show_counts(self.done_cards, result)
        self.done_title.setText(
            f"Imported {path.name}: {result.created:,} new lead{'s' if result.created != 1 else ''}"
        )
        self.done_label.setText(
            f"Batch {result.batch_id} · {result.data_rows:,} rows in {result.seconds:.1f} s. "
            "Repeats were added to the leads they match. Undo it later from File → Import "
            "history."
            + (f" Indexing {result.search_backlog:,} new leads for search in the background: "
               "for a few seconds a search may not find them yet, and long lists may load "
               "more slowly." if result.search_backlog else "")
        )  # fmt: skip
        self.routing_label.setVisible(False)
        self.error_file_button.setEnabled(bool(result.rejected_rows))
        self.duplicates_button.setEnabled(bool(result.possible_duplicates) and not result.dry_run)
        self.undo_button.setEnabled(result.batch_id is not None)
        self.done_problems.set_rows(problem_rows(result))
        self.note("")

    def show_routing(self, text: str, queued: bool) -> None:
        """Where the new leads went; a warning when they sit in the manager's queue."""
        self.routing_label.setText(text)
        color = theme.colors().warning if queued else theme.colors().text_secondary
        self.routing_label.setStyleSheet(
            f"color: {color};" + (" font-weight: 600;" if queued else "")
        )
        self.routing_label.setVisible(True)

    def note(self, text: str) -> None:
        self.undo_label.setText(text)
        self.undo_label.setVisible(bool(text))

    def undone(self, res: UndoResult) -> None:
        text = f"Import undone: {res.deleted:,} leads removed, {res.reverted:,} reverted."
        if res.skipped:
            ids = ", ".join(f"#{i}" for i in res.skipped[:12])
            more = "…" if len(res.skipped) > 12 else ""
            text += f" Left alone because they changed since: {ids}{more}."
        self.note(text)

    def undo_failed(self, message: str) -> None:
        self.undo_button.setEnabled(True)
        self.note(f"Could not undo the import: {message}")

    def _save_error_file(self) -> None:
        result, path = self.result, self.path
        if result is None or not result.rejected_rows or path is None:
            return
        suggested = str(path.with_name(f"{path.stem}-rejected.csv"))
        target, _ = QFileDialog.getSaveFileName(self, "Save error file", suggested, "CSV (*.csv)")
        if not target:
            return
        n = write_error_file(target, result.headers, result.rejected_rows)
        self.note(f"Saved {n} rejected row(s) with their reasons to {target}.")

    def _confirm_undo(self) -> None:
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
        self.undo_button.setEnabled(False)
        self.note("Undoing…")
        self.undo_requested.emit()
