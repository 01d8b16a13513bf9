"""Step 4: what every new lead gets where the file says nothing (source, event, owner, tags)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QFormLayout, QLabel, QLineEdit, QWidget

from app.services.importing.results import DEFAULT_SOURCE, ImportOptions
from app.services.team.users import UserInfo
from app.ui.importing.widgets import ROUTE_AUTOMATICALLY, Page, secondary, title


class DefaultsPage(Page):
    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        col = self.col
        col.addWidget(title("Set what every lead gets"))
        col.addWidget(secondary("Values in the file win; these fill what the file does not say."))
        form = QFormLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(12)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source_edit = QLineEdit(DEFAULT_SOURCE)
        self.event_edit = QLineEdit()
        self.event_edit.setPlaceholderText("e.g. Web Summit 2026")
        self.event_date = QDateEdit()
        self.event_date.setCalendarPopup(True)
        self.event_date.setDisplayFormat("d MMM yyyy")
        self.event_date.setDate(QDate(today.year, today.month, today.day))
        self.owner_box = QComboBox()
        self.owner_box.addItem(ROUTE_AUTOMATICALLY, None)
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText("comma separated, e.g. booth-b12, follow-up")
        for w in (self.source_edit, self.event_edit, self.tags_edit, self.owner_box):
            w.setMaximumWidth(420)
        self.event_date.setMaximumWidth(200)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for text, field in (
            ("Source", self.source_edit),
            ("Event name", self.event_edit),
            ("Event date", self.event_date),
            ("Owner", self.owner_box),
            ("Tags", self.tags_edit),
        ):
            form.addRow(_label(text, field), field)
        col.addLayout(form)
        col.addWidget(
            secondary(
                "“Route automatically” hands new leads to reps by the team's routing rules. "
                "The event date is used for leads whose scan time is missing."
            )
        )
        col.addStretch(1)

    def set_users(self, users: Sequence[UserInfo]) -> None:
        for u in users:
            self.owner_box.addItem(u.name, u.id)

    def options(self, *, dry_run: bool) -> ImportOptions:
        """The import's options as set here (who imports is the acting user, set by the API)."""
        d = self.event_date.date()
        owner = self.owner_box.currentData()
        return ImportOptions(
            source=self.source_edit.text().strip() or None,
            event=self.event_edit.text().strip() or None,
            event_date=date(d.year(), d.month(), d.day()),
            owner_id=owner,
            route=owner is None,
            tags=[t.strip() for t in self.tags_edit.text().split(",") if t.strip()],
            dry_run=dry_run,
            search_later=not dry_run,  # search catches up after the import (issue 17)
        )


def _label(text: str, field: QWidget) -> QLabel:
    """A form label as tall as its field, its text centred on the field's text."""
    label = QLabel(text)
    label.setMinimumHeight(field.sizeHint().height())
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return label
