"""Add or edit a member; deactivate one (asking where their open leads go)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.team.users import UserInfo
from app.ui.startup import primary_buttons

AnyIndex = QModelIndex | QPersistentModelIndex


class RangesModel(QAbstractListModel):
    """A member's out-of-office ranges, earliest first; a range already listed is not added
    twice."""

    def __init__(self, ranges: Any = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ranges: list[tuple[date, date]] = sorted(set(ranges))

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.ranges)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        start, end = self.ranges[index.row()]
        return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"

    def add(self, start: date, end: date) -> int:
        """Insert the range in date order; its row (the existing one if already listed)."""
        if (start, end) in self.ranges:
            return self.ranges.index((start, end))
        row = sum(1 for r in self.ranges if r < (start, end))
        self.beginInsertRows(QModelIndex(), row, row)
        self.ranges.insert(row, (start, end))
        self.endInsertRows()
        return row

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.ranges):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.ranges[row]
            self.endRemoveRows()


ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Stockholm",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Singapore",
    "UTC",
)
POOL = -1  # the "back to routing" choice in the deactivate dialog


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


class MemberDialog(QDialog):
    """A member's details. `values()` gives what to pass to add_user / update_user."""

    def __init__(
        self, today: date, user: UserInfo | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.user = user
        self.setWindowTitle(f"Edit {user.name}" if user else "Add a team member")
        self.setMinimumWidth(440)
        form = QFormLayout()
        form.setSpacing(8)
        self.name = QLineEdit(user.name if user else "")
        self.email = QLineEdit(user.email if user else "")
        self.email.setPlaceholderText("name@company.com")
        self.role = QComboBox()
        for role in ("rep", "manager", "owner"):
            self.role.addItem(role.title(), role)
        self.role.setCurrentIndex(self.role.findData(user.role if user else "rep"))
        self.territory = QLineEdit((user.territory or "") if user else "")
        self.territory.setPlaceholderText("e.g. DACH")
        self.capacity = QSpinBox()
        self.capacity.setRange(0, 10000)
        self.capacity.setSpecialValueText("No limit")
        self.capacity.setSuffix(" open leads")
        self.capacity.setValue(user.capacity if user else 50)
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.addItem("")
        self.timezone.addItems(ZONES)
        self.timezone.setCurrentText((user.timezone or "") if user else "")
        hours = QHBoxLayout()
        self.hours_on = QCheckBox("Working hours")
        self.start = QTimeEdit(QTime(9, 0))
        self.end = QTimeEdit(QTime(17, 30))
        for time_edit in (self.start, self.end):
            time_edit.setDisplayFormat("HH:mm")
        if user and user.work_hours:
            self.hours_on.setChecked(True)
            self.start.setTime(QTime.fromString(user.work_hours[:5], "HH:mm"))
            self.end.setTime(QTime.fromString(user.work_hours[6:], "HH:mm"))
        hours.addWidget(self.hours_on)
        hours.addWidget(self.start)
        hours.addWidget(QLabel("to"))
        hours.addWidget(self.end)
        hours.addStretch(1)
        self.available = QCheckBox("Takes new leads")
        self.available.setChecked(user.available if user else True)
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        form.addRow("Role", self.role)
        form.addRow("Territory", self.territory)
        form.addRow("Capacity", self.capacity)
        form.addRow("Time zone", self.timezone)
        form.addRow("", self._wrap(hours))
        form.addRow("", self.available)

        self.absence_model = RangesModel(user.absences if user else (), self)
        self.absences = QListView()
        self.absences.setModel(self.absence_model)
        self.absences.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.absences.setMaximumHeight(90)
        self.away_from = QDateEdit(_qdate(today))
        self.away_to = QDateEdit(_qdate(today))
        for edit in (self.away_from, self.away_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        add = QPushButton("Add range")
        add.clicked.connect(self._add_clicked)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_clicked)
        picker = QHBoxLayout()
        picker.addWidget(self.away_from)
        picker.addWidget(QLabel("to"))
        picker.addWidget(self.away_to)
        picker.addWidget(add)
        picker.addWidget(remove)
        form.addRow("Out of office", self.absences)
        form.addRow("", self._wrap(picker))
        hint = QLabel("Routing skips a member on the days of an out-of-office range.")
        hint.setProperty("secondary", True)
        form.addRow("", hint)

        self.error = QLabel()
        self.error.setProperty("error", True)
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(primary_buttons(self, "Save changes" if user else "Add member"))

    @staticmethod
    def _wrap(inner: QHBoxLayout) -> QWidget:
        inner.setContentsMargins(0, 0, 0, 0)
        box = QWidget()
        box.setLayout(inner)
        return box

    def _add_clicked(self) -> None:
        start, end = _pydate(self.away_from.date()), _pydate(self.away_to.date())
        if end < start:
            self.error.setText("The out-of-office range ends before it starts.")
            return
        self.error.clear()
        row = self.absence_model.add(start, end)
        self.absences.setCurrentIndex(self.absence_model.index(row, 0))

    def _remove_clicked(self) -> None:
        rows = {i.row() for i in self.absences.selectionModel().selectedRows()}
        if not rows and self.absences.currentIndex().isValid():  # none selected: the current
            rows = {self.absences.currentIndex().row()}
        for row in sorted(rows, reverse=True):
            self.absence_model.remove(row)

    def ranges(self) -> list[tuple[date, date]]:
        return list(self.absence_model.ranges)

    def values(self) -> dict[str, Any]:
        hours = (
            f"{self.start.time().toString('HH:mm')}-{self.end.time().toString('HH:mm')}"
            if self.hours_on.isChecked()
            else None
        )
        return {
            "name": self.name.text(),
            "email": self.email.text(),
            "role": self.role.currentData(),
            "territory": self.territory.text(),
            "capacity": self.capacity.value(),
            "timezone": self.timezone.currentText().strip() or None,
            "work_hours": hours,
            "available": self.available.isChecked(),
            "absences": self.ranges(),
        }


class DeactivateDialog(QDialog):
    """Where do their open leads and follow-ups go? A member, or back through routing."""

    def __init__(
        self, user: UserInfo, open_leads: int, team: list[UserInfo], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Deactivate {user.name}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        text = QLabel(
            f"{user.name} holds {open_leads} open leads. They keep their history but get no "
            "new leads. Where do their open leads and planned follow-ups go?"
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.target = QComboBox()
        self.target.addItem("Back through routing (rules, then the round-robin pool)", POOL)
        for other in team:
            if other.id != user.id and other.active:
                self.target.addItem(f"{other.name} ({other.role})", other.id)
        layout.addWidget(self.target)
        buttons = primary_buttons(self, f"Deactivate {user.name}")
        ok = buttons.buttons()[0]
        ok.setProperty("primary", False)
        ok.setProperty("danger", True)
        layout.addWidget(buttons)

    def leads_to(self) -> int | None:
        value = int(self.target.currentData())
        return None if value == POOL else value
