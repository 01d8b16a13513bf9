"""Step 5: what the import would do (a dry run), and the rows to look at."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

from app.services.importing.results import ImportResult
from app.services.importing.review import problem_rows
from app.ui.importing.models import ProblemsModel
from app.ui.importing.widgets import Page, problems_table, secondary, show_counts, stat_grid, title


class ReviewPage(Page):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        col = self.col
        col.addWidget(title("Review before importing"))
        self.review_label = secondary("Checking every row…")
        col.addWidget(self.review_label)
        self.review_progress = QProgressBar()
        self.review_progress.setTextVisible(False)
        col.addWidget(self.review_progress)
        grid, self.review_cards = stat_grid(
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
        self.problems_view = problems_table(self.problems_model)
        col.addWidget(self.problems_view, 1)

    def checking(self) -> None:
        self.review_label.setText("Checking every row… nothing is saved yet.")
        self.review_progress.setVisible(True)
        self.review_progress.setRange(0, 0)

    def tick(self, done: int, total: int, _text: str = "") -> None:
        self.review_progress.setRange(0, 1000)
        self.review_progress.setValue(int(1000 * done / max(total, 1)))

    def show_review(self, result: ImportResult) -> None:
        self.review_progress.setVisible(False)
        show_counts(self.review_cards, result)
        self.problems_model.set_rows(problem_rows(result))
        self.review_label.setText(
            f"{result.data_rows:,} data rows in {result.file_name}"
            + (f"; {result.skipped_blank:,} blank rows skipped" if result.skipped_blank else "")
            + (f"; {result.footer_rows} footer line(s) ignored" if result.footer_rows else "")
            + ". Nothing has been saved yet."
        )

    def show_message(self, text: str) -> None:
        self.review_progress.setVisible(False)
        self.review_label.setText(text)
