"""Item models of the Routing page: the ordered rules (moved by drag or by buttons), the team
members as check boxes (the round-robin pool, and a rule's pool), and the country -> territory
rows. Each holds the page's draft; nothing is saved until the page saves it whole. A model
made read-only (a rep) offers no edit, check or drag."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from app.services.routing.config import RuleDoc
from app.ui import theme

Index = QModelIndex | QPersistentModelIndex
RULE_ROLE = Qt.ItemDataRole.UserRole + 1  # a rule: the dict `set_routing` takes
MEMBER_ROLE = Qt.ItemDataRole.UserRole + 2  # a member's user id


class RulesModel(QAbstractListModel):
    """The rules in order, each shown as its sentence ('Big deals: Deal value ≥ 50,000 → Jonas');
    first match wins, so the order is the data. Rows move with `moveRows` (QListView's internal
    drag calls it)."""

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[dict[str, Any]] = []
        self.names: dict[int, str] = {}
        self.editable = False

    # -- reading ------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rules)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rules):
            return None
        rule = self.rules[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(rule)
        if role == RULE_ROLE:
            return dict(rule)
        if role == Qt.ItemDataRole.ForegroundRole and not rule.get("active", True):
            return theme.colors().q("text_secondary")
        return None

    def text(self, rule: Mapping[str, Any]) -> str:
        doc = RuleDoc(
            rule["name"], rule.get("conditions") or {}, rule.get("target_user_id"),
            rule.get("target_pool"), rule.get("active", True),
        )  # fmt: skip
        return f"{doc.name}: {doc.sentence(self.names)}" + ("" if doc.active else "  (off)")

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            # Between rows: where a dragged rule may land.
            return Qt.ItemFlag.ItemIsDropEnabled if self.editable else Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsDragEnabled if self.editable else base

    # -- editing ------------------------------------------------------------------------------
    def set_rules(self, rules: Iterable[Mapping[str, Any]], names: Mapping[int, str]) -> None:
        self.beginResetModel()
        self.rules = [dict(r) for r in rules]
        self.names = dict(names)
        self.endResetModel()

    def add_rule(self, rule: Mapping[str, Any]) -> int:
        row = len(self.rules)
        self.beginInsertRows(QModelIndex(), row, row)
        self.rules.append(dict(rule))
        self.endInsertRows()
        return row

    def replace_rule(self, row: int, rule: Mapping[str, Any]) -> None:
        if 0 <= row < len(self.rules):
            self.rules[row] = dict(rule)
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or count < 1 or row < 0 or row + count > len(self.rules):
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        del self.rules[row : row + count]
        self.endRemoveRows()
        return True

    def moveRows(self, source: Index, row: int, count: int, destination: Index, child: int) -> bool:
        """Move `count` rules from `row` to before `child` (Qt's convention)."""
        if source.isValid() or destination.isValid() or count < 1:
            return False
        if row < 0 or row + count > len(self.rules) or not 0 <= child <= len(self.rules):
            return False
        if row <= child <= row + count:  # onto itself: nothing to do
            return False
        if not self.beginMoveRows(QModelIndex(), row, row + count - 1, QModelIndex(), child):
            return False
        moving = self.rules[row : row + count]
        del self.rules[row : row + count]
        at = child - count if child > row else child
        self.rules[at:at] = moving
        self.endMoveRows()
        return True

    def move(self, row: int, step: int) -> int:
        """Move one rule up (-1) or down (+1); returns its new row (unchanged at an end)."""
        target = row + step
        if not (0 <= row < len(self.rules) and 0 <= target < len(self.rules)):
            return row
        self.moveRows(QModelIndex(), row, 1, QModelIndex(), target + 1 if step > 0 else target)
        return target

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction


class MembersModel(QAbstractListModel):
    """Team members with a check box each: the round-robin pool, or a rule's pool."""

    def __init__(self) -> None:
        super().__init__()
        self.members: list[tuple[int, str]] = []
        self.checked: set[int] = set()
        self.editable = False

    def set_members(self, names: Mapping[int, str], checked: Iterable[int]) -> None:
        self.beginResetModel()
        self.members = sorted(names.items(), key=lambda m: (m[1].casefold(), m[0]))
        self.checked = {int(i) for i in checked} & set(names)
        self.endResetModel()

    def set_editable(self, editable: bool) -> None:
        if editable != self.editable:
            self.editable = editable
            if self.members:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self.members) - 1, 0))

    def chosen(self) -> list[int]:
        """The checked members' ids, in the list's order."""
        return [uid for uid, _ in self.members if uid in self.checked]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.members)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.members):
            return None
        uid, name = self.members[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if uid in self.checked else Qt.CheckState.Unchecked
        if role == MEMBER_ROLE:
            return uid
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (
            role != Qt.ItemDataRole.CheckStateRole
            or not self.editable
            or not index.isValid()
            or not 0 <= index.row() < len(self.members)
        ):
            return False
        uid = self.members[index.row()][0]
        state = value.value if isinstance(value, Qt.CheckState) else int(value)
        if state == Qt.CheckState.Checked.value:
            self.checked.add(uid)
        else:
            self.checked.discard(uid)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsUserCheckable if self.editable else base


COUNTRY, TERRITORY = 0, 1


class TerritoriesModel(QAbstractTableModel):
    """Country -> territory rows, edited in place; a new row starts blank."""

    COLUMNS = ("Country", "Territory")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.editable = False

    def set_territories(self, territories: Mapping[str, str]) -> None:
        self.beginResetModel()
        self.rows = [[c, t] for c, t in sorted(territories.items(), key=lambda x: x[0].casefold())]
        self.endResetModel()

    def set_editable(self, editable: bool) -> None:
        self.editable = editable

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if not 0 <= index.column() < len(self.COLUMNS):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self.rows[index.row()][index.column()]
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or not self.editable or not index.isValid():
            return False
        if not 0 <= index.row() < len(self.rows) or not 0 <= index.column() < len(self.COLUMNS):
            return False
        self.rows[index.row()][index.column()] = str(value or "").strip()
        self.dataChanged.emit(index, index)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if self.editable else base

    def insertRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or count < 1 or not 0 <= row <= len(self.rows):
            return False
        self.beginInsertRows(QModelIndex(), row, row + count - 1)
        self.rows[row:row] = [["", ""] for _ in range(count)]
        self.endInsertRows()
        return True

    def removeRows(self, row: int, count: int, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid() or count < 1 or row < 0 or row + count > len(self.rows):
            return False
        self.beginRemoveRows(QModelIndex(), row, row + count - 1)
        del self.rows[row : row + count]
        self.endRemoveRows()
        return True

    def add_row(self, country: str = "", territory: str = "") -> int:
        row = len(self.rows)
        self.insertRows(row, 1)
        self.rows[row] = [country.strip(), territory.strip()]
        return row

    def territories(self) -> dict[str, str]:
        """The rows as a map; ValueError (one sentence) on a half-filled or repeated country.
        Blank rows are dropped."""
        out: dict[str, str] = {}
        for n, (country, territory) in enumerate(self.rows, start=1):
            if not country and not territory:
                continue
            if not country or not territory:
                raise ValueError(
                    f"Territories, row {n}: give both a country and its territory "
                    "(or remove the row)."
                )
            if country.casefold() in {c.casefold() for c in out}:
                raise ValueError(f"Territories: {country} is listed twice.")
            out[country] = territory
        return out
