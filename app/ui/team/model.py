"""The team as a table: one row per member (deactivated members last, greyed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.services.team.users import TeamRow, UserInfo
from app.ui import theme

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Name", "Role", "Territory", "Load", "Working hours", "Availability")
NAME, ROLE, TERRITORY, LOAD, HOURS, AVAILABILITY = range(len(COLUMNS))
USER_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's UserInfo
ROW_ROLE = Qt.ItemDataRole.UserRole + 2  # the whole TeamRow (the delegate paints from it)


def availability(user: UserInfo, today: date) -> str:
    if not user.active:
        return "Deactivated"
    away = user.away_on(today)
    if away is not None:
        return f"Away until {away[1]:%d %b}"
    if not user.available:
        return "Takes no new leads"
    upcoming = [r for r in user.absences if r[0] > today]
    if upcoming:
        return f"Available · away {upcoming[0][0]:%d %b}–{upcoming[0][1]:%d %b}"
    return "Available"


class TeamModel(QAbstractTableModel):
    def __init__(self, today: date) -> None:
        super().__init__()
        self.rows: list[TeamRow] = []
        self.today = today

    def set_rows(self, rows: list[TeamRow], today: date) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.today = today
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        user, col = row.user, index.column()
        if role == USER_ROLE:
            return user
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            if col == NAME:
                return user.name
            if col == ROLE:
                return user.role.title()
            if col == TERRITORY:
                return user.territory or "—"
            if col == LOAD:
                return (
                    f"{row.open_leads} / {user.capacity}"
                    if user.capacity
                    else (f"{row.open_leads} (no limit)")
                )
            if col == HOURS:
                zone = user.timezone or "—"
                return f"{user.work_hours} {zone}" if user.work_hours else zone
            if col == AVAILABILITY:
                return availability(user, self.today)
        if role == Qt.ItemDataRole.ToolTipRole and col == NAME:
            login = f" · login {user.db_login}" if user.db_login else ""
            return f"{user.email}{login}"
        if role == Qt.ItemDataRole.ForegroundRole:
            c = theme.colors()
            if not user.active:
                return c.q("text_secondary")
            if col == AVAILABILITY and user.away_on(self.today) is not None:
                return c.q("warning")
            if col == LOAD and user.capacity and row.open_leads >= user.capacity:
                return c.q("danger")
        return None
