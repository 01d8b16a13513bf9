"""Item models of the calendar: a list of follow-ups (agenda, week columns) and a month grid.

Both accept follow-ups dropped on them (MIME type FOLLOWUP_MIME holding the activity id) and
turn a drop into `reschedule_requested(activity_id, date)`; the view does the service call.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon

from app.services.followups.cadence import DayLoad, FollowUp
from app.ui import theme

AnyIndex = QModelIndex | QPersistentModelIndex

FOLLOWUP_MIME = "application/x-leadgate-followup"

FOLLOWUP_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
LEAD_ID_ROLE = Qt.ItemDataRole.UserRole + 3
OVERDUE_ROLE = Qt.ItemDataRole.UserRole + 4
DATE_ROLE = Qt.ItemDataRole.UserRole + 5
LOAD_ROLE = Qt.ItemDataRole.UserRole + 6
IN_MONTH_ROLE = Qt.ItemDataRole.UserRole + 7
TODAY_ROLE = Qt.ItemDataRole.UserRole + 8

TYPE_ORDER = ("email", "call", "linkedin", "meeting", "task")
TYPE_LABELS = {
    "email": "Email",
    "call": "Call",
    "linkedin": "LinkedIn",
    "meeting": "Meeting",
    "task": "Task",
}
TYPE_ICONS = {
    "email": "email-outline",
    "call": "phone-outline",
    "linkedin": "linkedin",
    "meeting": "account-group-outline",
    "task": "checkbox-marked-circle-outline",
}


def type_color(kind: str) -> QColor:
    """One theme colour per follow-up type, so a day's mix reads at a glance."""
    c = theme.colors()
    name = {
        "email": c.accent,
        "call": c.success,
        "linkedin": c.tier["Medium"],
        "meeting": c.warning,
        "task": c.text_secondary,
    }.get(kind, c.text_secondary)
    return QColor(name)


def type_icon(kind: str, overdue: bool = False) -> QIcon:
    color = theme.colors().danger if overdue else type_color(kind).name()
    return theme.icon(TYPE_ICONS.get(kind, "calendar-blank-outline"), color)


def encode_ids(ids: list[int]) -> QMimeData:
    mime = QMimeData()
    mime.setData(FOLLOWUP_MIME, QByteArray(",".join(str(i) for i in ids).encode()))
    mime.setText(", ".join(f"follow-up {i}" for i in ids))
    return mime


def decode_ids(mime: QMimeData | None) -> list[int]:
    if mime is None or not mime.hasFormat(FOLLOWUP_MIME):
        return []
    raw = bytes(mime.data(FOLLOWUP_MIME).data()).decode(errors="ignore")
    return [int(p) for p in raw.split(",") if p.strip().isdigit()]


def local_dt(value: datetime | None) -> datetime | None:
    return value.astimezone() if value else None


class FollowupListModel(QAbstractListModel):
    """Follow-ups of one day (or any list), ordered by due time. Drag source and drop target."""

    reschedule_requested = Signal(int, object)  # activity id, date

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[FollowUp] = []
        self._now: datetime | None = None
        self.day: date | None = None

    def set_rows(self, rows: list[FollowUp], now: datetime, day: date | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._now = now
        self.day = day
        self.endResetModel()

    def rows(self) -> list[FollowUp]:
        return list(self._rows)

    def row_of(self, activity_id: int) -> int:
        return next((i for i, r in enumerate(self._rows) if r.id == activity_id), -1)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def followup(self, index: AnyIndex) -> FollowUp | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def _overdue(self, f: FollowUp) -> bool:
        return self._now is not None and f.is_overdue(self._now)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        f = self.followup(index)
        if f is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            due = local_dt(f.due_at)
            when = due.strftime("%H:%M") if due else "--:--"
            return f"{when}  {TYPE_LABELS.get(f.type, f.type)} · {f.lead_name}"
        if role == Qt.ItemDataRole.DecorationRole:
            return type_icon(f.type, self._overdue(f))
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._overdue(f):
                return theme.colors().q("danger")
            if f.status != "planned":
                return theme.colors().q("text_secondary")
            return None
        if role == Qt.ItemDataRole.FontRole and f.status == "skipped":
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{TYPE_LABELS.get(f.type, f.type)}: {f.subject or ''}", f.lead_name]
            if f.company:
                lines[-1] += f" ({f.company})"
            if f.owner_name:
                lines.append(f"Owner: {f.owner_name}")
            if self._overdue(f):
                lines.append("Overdue")
            elif f.status != "planned":
                lines.append(f"{f.status.title()}: {f.outcome or ''}")
            return "\n".join(lines)
        if role == FOLLOWUP_ROLE:
            return f
        if role == ID_ROLE:
            return f.id
        if role == LEAD_ID_ROLE:
            return f.lead_id
        if role == OVERDUE_ROLE:
            return self._overdue(f)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        f = self.followup(index)
        if f is None:
            # Dropping on the list itself (not on an item) targets the list's day.
            return (
                Qt.ItemFlag.ItemIsDropEnabled if self.day is not None else Qt.ItemFlag.NoItemFlags
            )
        if f.status == "planned":
            base |= Qt.ItemFlag.ItemIsDragEnabled
        return base

    def mimeTypes(self) -> list[str]:
        return [FOLLOWUP_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        ids = sorted({f.id for i in indexes if (f := self.followup(i)) is not None})
        return encode_ids(ids)

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        return self.day is not None and bool(decode_ids(data))

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        for activity_id in decode_ids(data):
            if self.row_of(activity_id) < 0:  # dropped on its own day: nothing to do
                self.reschedule_requested.emit(activity_id, self.day)
        # False: the source list must not delete the row itself; a reload redraws both days.
        return False


class MonthModel(QAbstractTableModel):
    """Six weeks of days (Monday first) around a month; each cell holds that day's load."""

    reschedule_requested = Signal(int, object)  # activity id, date

    ROWS, COLS = 6, 7
    HEADERS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.month = date(2026, 1, 1)
        self.first = self.grid_start(self.month)
        self.today: date | None = None
        self._loads: dict[date, DayLoad] = {}

    @staticmethod
    def grid_start(month: date) -> date:
        first = month.replace(day=1)
        return first - timedelta(days=first.weekday())

    def set_month(self, month: date, today: date) -> None:
        self.beginResetModel()
        self.month = month.replace(day=1)
        self.first = self.grid_start(self.month)
        self.today = today
        self._loads = {}
        self.endResetModel()

    def set_loads(self, loads: dict[date, DayLoad]) -> None:
        self._loads = dict(loads)
        self.dataChanged.emit(self.index(0, 0), self.index(self.ROWS - 1, self.COLS - 1))

    def range(self) -> tuple[date, date]:
        return self.first, self.first + timedelta(days=self.ROWS * self.COLS)

    def date_at(self, index: AnyIndex) -> date | None:
        if not index.isValid():
            return None
        return self.first + timedelta(days=index.row() * self.COLS + index.column())

    def index_of(self, day: date) -> QModelIndex:
        offset = (day - self.first).days
        if not 0 <= offset < self.ROWS * self.COLS:
            return QModelIndex()
        return self.index(offset // self.COLS, offset % self.COLS)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.ROWS

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < self.COLS else None
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        day = self.date_at(index)
        if day is None:
            return None
        load = self._loads.get(day)
        if role == Qt.ItemDataRole.DisplayRole:
            return str(day.day)
        if role == DATE_ROLE:
            return day
        if role == LOAD_ROLE:
            return load
        if role == IN_MONTH_ROLE:
            return day.month == self.month.month
        if role == TODAY_ROLE:
            return day == self.today
        if role == Qt.ItemDataRole.ToolTipRole:
            if load is None or (not load.total and not load.done):
                return f"{day:%A %d %B}: nothing planned"
            parts = [
                f"{load.counts[k]} {TYPE_LABELS.get(k, k).lower()}"
                for k in TYPE_ORDER
                if load.counts.get(k)
            ]
            text = f"{day:%A %d %B}: " + (", ".join(parts) or "nothing open")
            if load.overdue:
                text += f"; {load.overdue} overdue"
            if load.done:
                text += f"; {load.done} done"
            return text
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.data(index, Qt.ItemDataRole.ToolTipRole)
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
        )

    def mimeTypes(self) -> list[str]:
        return [FOLLOWUP_MIME]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        return parent.isValid() and bool(decode_ids(data))

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: AnyIndex
    ) -> bool:
        day = self.date_at(parent)
        if day is None:
            return False
        for activity_id in decode_ids(data):
            self.reschedule_requested.emit(activity_id, day)
        return False
