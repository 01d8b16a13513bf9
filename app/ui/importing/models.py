"""Item models of the import wizard: file preview, column mapping, problem rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.importing.mapping import ALL_FIELDS, QUALIFIER_FIELDS
from app.ui import theme

Index = QModelIndex | QPersistentModelIndex
NOT_IMPORTED = "Keep in raw row only"
FIELD_ROLE = Qt.ItemDataRole.UserRole + 1


def field_label(field: str | None) -> str:
    if not field:
        return NOT_IMPORTED
    label = ALL_FIELDS.get(field, field)
    return f"Qualifier: {label}" if field in QUALIFIER_FIELDS else label


class PreviewModel(QAbstractTableModel):
    """The first rows of the file under its header, as detection reads them."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._rows: list[list[str]] = []
        self._first_row = 2

    def set_table(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], first_row: int
    ) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self._first_row = first_row
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        value = row[index.column()] if index.column() < len(row) else ""
        if role == Qt.ItemDataRole.DisplayRole:
            return " ".join(value.split()) if len(value) < 200 else value[:200] + "…"
        if role == Qt.ItemDataRole.ToolTipRole and len(value) > 40:
            return value[:2000]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return str(self._first_row + section) if 0 <= section < len(self._rows) else None


COL_SOURCE, COL_SAMPLES, COL_FIELD = range(3)


class MappingModel(QAbstractTableModel):
    """One row per file column: its header, sample values, and the lead field it fills."""

    HEADERS = ("File column", "Sample values", "Imports into")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._samples: list[list[str]] = []
        self._fields: list[str | None] = []
        self._suggested: list[str | None] = []

    def set_mapping(
        self, headers: Sequence[str], samples: Sequence[Sequence[str]], fields: Sequence[str | None]
    ) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._samples = [list(s) for s in samples]
        self._fields = list(fields)
        self._suggested = list(fields)
        self.endResetModel()

    def fields(self) -> list[str | None]:
        return list(self._fields)

    def set_fields(self, fields: Sequence[str | None]) -> None:
        self._fields = list(fields) + [None] * (len(self._headers) - len(fields))
        if self._headers:
            self.dataChanged.emit(
                self.index(0, COL_FIELD), self.index(len(self._headers) - 1, COL_FIELD)
            )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == COL_FIELD:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        field = self._fields[r]
        if role == Qt.ItemDataRole.DisplayRole:
            if c == COL_SOURCE:
                return self._headers[r]
            if c == COL_SAMPLES:
                return "  ·  ".join(self._samples[r]) if self._samples[r] else "(empty in preview)"
            return field_label(field)
        if role in (Qt.ItemDataRole.EditRole, FIELD_ROLE) and c == COL_FIELD:
            return field or ""
        muted = c == COL_SAMPLES or (c == COL_FIELD and not field)
        if role == Qt.ItemDataRole.ForegroundRole and muted:
            return QColor(theme.colors().text_secondary)
        if role == Qt.ItemDataRole.ToolTipRole and c == COL_FIELD:
            if field and field == self._suggested[r]:
                return "Suggested from the column's header or values"
            return None
        if role == Qt.ItemDataRole.DecorationRole and c == COL_FIELD and field:
            return theme.icon("check-circle-outline", theme.colors().success)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != COL_FIELD or role != Qt.ItemDataRole.EditRole:
            return False
        new = value or None
        if new is not None and new not in ALL_FIELDS:
            return False
        changed = [index.row()]
        if new is not None and new in self._fields:
            # One column per field: the column that had it gives it up.
            other = self._fields.index(new)
            if other != index.row():
                self._fields[other] = None
                changed.append(other)
        self._fields[index.row()] = new
        for r in changed:
            i = self.index(r, COL_FIELD)
            self.dataChanged.emit(i, i)
        return True

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None


class ProblemsModel(QAbstractTableModel):
    """Rows a person should look at: rejected, incomplete, possible duplicates, conflicts."""

    HEADERS = ("Row", "Problem", "Name", "E-mail", "Company")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[Any, str, str, str, str, str]] = []  # + kind for colour

    def set_rows(self, rows: Sequence[tuple[Any, str, str, str, str, str]]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = row[index.column()]
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            kind = row[5]
            c = theme.colors()
            return QColor({"rejected": c.danger, "incomplete": c.warning}.get(kind, c.text))
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return row[1]
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None
        return None
