"""A table model over a SQL query that never touches the database from `data()`.

The count and pages of rows are fetched on the task runner; a row not yet fetched shows a
placeholder and its page is requested. Sorting and filtering are parameters of the query, so
they happen in SQL. Subclasses (or users) describe columns and two service calls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from sqlalchemy.orm import Session

from app.ui.workers import TaskRunner

ROW_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    display: Callable[[Any], Any]
    sort_key: str | None = None  # None: not sortable
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    width: int = 120
    tooltip: Callable[[Any], str | None] | None = None


CountFn = Callable[[Session, Any], int]
PageFn = Callable[[Session, Any, str, bool, int, int], list[Any]]


class LazyTableModel(QAbstractTableModel):
    loaded = Signal()  # after a reload (count + first page) lands
    page_loaded = Signal(int)
    failed = Signal(str)

    PAGE = 200
    MAX_PAGES = 60

    def __init__(
        self,
        runner: TaskRunner,
        columns: list[Column],
        count_fn: CountFn,
        page_fn: PageFn,
        *,
        params: Any = None,
        sort_key: str = "id",
        descending: bool = True,
        name: str = "lazy",
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._columns = columns
        self._count_fn = count_fn
        self._page_fn = page_fn
        self._params = params
        self._sort_key = sort_key
        self._descending = descending
        self._name = name
        self._count = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        self._pending: set[int] = set()
        self._generation = 0
        self._loading = False

    # -- query parameters -------------------------------------------------------------------
    @property
    def params(self) -> Any:
        return self._params

    @property
    def sort_state(self) -> tuple[str, bool]:
        return self._sort_key, self._descending

    @property
    def loading(self) -> bool:
        return self._loading

    @property
    def columns(self) -> list[Column]:
        return self._columns

    def set_params(self, params: Any) -> None:
        self._params = params
        self.reload()

    def reload(self) -> None:
        """Re-run the query (count and first page) in the background."""
        self._generation += 1
        generation = self._generation
        params, key, desc = self._params, self._sort_key, self._descending
        count_fn, page_fn, page = self._count_fn, self._page_fn, self.PAGE
        self._loading = True

        def work(session: Session) -> tuple[int, list[Any]]:
            return count_fn(session, params), page_fn(session, params, key, desc, 0, page)

        def done(result: tuple[int, list[Any]]) -> None:
            if generation != self._generation:
                return
            count, rows = result
            self.beginResetModel()
            self._count = count
            self._pages = OrderedDict({0: rows}) if rows else OrderedDict()
            self._pending.clear()
            self.endResetModel()
            self._loading = False
            self.loaded.emit()

        def error(err: Any) -> None:
            self._loading = False
            self.failed.emit(err.message)

        self._runner.submit(work, on_done=done, on_error=error, key=f"{self._name}:reload")

    # -- Qt model API -----------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        col = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.title
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align)
        return None

    def row_at(self, row: int) -> Any | None:
        """The cached row object, or None (and its page requested) when not fetched yet."""
        if not 0 <= row < self._count:
            return None
        page = row // self.PAGE
        rows = self._pages.get(page)
        if rows is None:
            self._request_page(page)
            return None
        self._pages.move_to_end(page)
        offset = row % self.PAGE
        return rows[offset] if offset < len(rows) else None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        col = self._columns[index.column()]
        if row is None:
            return "…" if role == Qt.ItemDataRole.DisplayRole and index.column() == 0 else None
        if role == Qt.ItemDataRole.DisplayRole:
            return col.display(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return col.tooltip(row)
        if role == ROW_ID_ROLE:
            return getattr(row, "id", None)
        if role == ROW_ROLE:
            return row
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            return
        key = self._columns[column].sort_key
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) == (self._sort_key, self._descending) and self._generation:
            return  # the view re-announcing the current order: nothing to fetch
        self._sort_key, self._descending = key, descending
        if self._generation:  # before the first reload, just remember the order
            self.reload()

    def column_of(self, sort_key: str) -> int:
        for i, col in enumerate(self._columns):
            if col.sort_key == sort_key:
                return i
        return -1

    # -- paging -----------------------------------------------------------------------------
    def _request_page(self, page: int) -> None:
        if page in self._pending:
            return
        self._pending.add(page)
        generation = self._generation
        params, key, desc = self._params, self._sort_key, self._descending
        page_fn, size = self._page_fn, self.PAGE

        def work(session: Session) -> list[Any]:
            return page_fn(session, params, key, desc, page * size, size)

        def done(rows: list[Any]) -> None:
            self._pending.discard(page)
            if generation != self._generation:
                return
            self._pages[page] = rows
            while len(self._pages) > self.MAX_PAGES:
                self._pages.popitem(last=False)
            first = page * size
            last = min(first + size, self._count) - 1
            if last >= first:
                self.dataChanged.emit(
                    self.index(first, 0), self.index(last, len(self._columns) - 1)
                )
            self.page_loaded.emit(page)

        def error(err: Any) -> None:
            self._pending.discard(page)
            self.failed.emit(err.message)

        self._runner.submit(work, on_done=done, on_error=error)
