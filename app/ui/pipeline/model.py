"""One board column: a lazy list of cards fetched a page at a time on the task runner."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, QPersistentModelIndex, Qt
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.leads.board import BoardFilter, CardRow, board_cards, count_cards
from app.services.pipeline.stages import StageInfo
from app.ui.common.lazy_model import Column, LazyTableModel
from app.ui.workers import TaskRunner

CARD_MIME = "application/x-leadgate-card"
CARD_ROLE = Qt.ItemDataRole.UserRole + 10

AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ColumnParams:
    stage_id: int
    flt: BoardFilter
    clock: Clock
    stages: tuple[StageInfo, ...]


def _count(session: Session, p: ColumnParams) -> int:
    return count_cards(session, p.clock.now(), p.stage_id, p.flt, list(p.stages))


def _page(
    session: Session, p: ColumnParams, _key: str, _desc: bool, offset: int, limit: int
) -> list[CardRow]:
    return board_cards(
        session, p.clock.now(), p.stage_id, p.flt, offset=offset, limit=limit, stages=list(p.stages)
    )


def _tooltip(card: CardRow) -> str | None:
    if not card.unmet:
        return f"{card.name}: every exit criterion of this stage is met"
    return f"{card.name}: not met yet\n" + "\n".join(f"• {u}" for u in card.unmet)


CARD_COLUMNS = [Column("card", "Card", lambda c: c.name, None, tooltip=_tooltip)]


def encode_card(card: CardRow) -> QMimeData:
    mime = QMimeData()
    payload = {"id": card.id, "version": card.version, "stage_id": card.stage_id}
    mime.setData(CARD_MIME, json.dumps(payload).encode())
    mime.setText(card.name)
    return mime


def decode_card(mime: QMimeData) -> dict[str, int] | None:
    if not mime.hasFormat(CARD_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(CARD_MIME).data()).decode())
    except ValueError:
        return None
    return {k: int(data[k]) for k in ("id", "version", "stage_id")}


class ColumnModel(LazyTableModel):
    """Cards of one stage under the board's filters; rows are `CardRow`s."""

    PAGE = 40  # ~10 cards are visible per column; a page is fetched per 40 as one scrolls

    def __init__(self, runner: TaskRunner, params: ColumnParams, parent: Any = None) -> None:
        super().__init__(
            runner,
            CARD_COLUMNS,
            _count,
            _page,
            params=params,
            sort_key="score",
            name=f"board-column-{params.stage_id}",
            parent=parent,
        )
        # Rows are exposed a page at a time (canFetchMore/fetchMore). A QListView lays out
        # every row it is told about, calling back into Python per row: with 25,000 cards in
        # a column that alone took seconds. The header shows the full count.
        self._exposed = self.PAGE
        self.modelAboutToBeReset.connect(self._reset_exposed)

    def _reset_exposed(self) -> None:
        self._exposed = self.PAGE

    @property
    def total(self) -> int:
        """Cards in the column under the filters (rowCount is what is exposed so far)."""
        return self._count

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else min(self._count, self._exposed)

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._exposed < self._count

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        first = self._exposed
        last = min(self._count, self._exposed + self.PAGE) - 1
        self.beginInsertRows(QModelIndex(), first, last)
        self._exposed = last + 1
        self.endInsertRows()

    @property
    def stage_id(self) -> int:
        return int(self.params.stage_id)

    def card(self, row: int) -> CardRow | None:
        return self.row_at(row)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == CARD_ROLE:
            return self.row_at(index.row()) if index.isValid() else None
        return super().data(index, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid():
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [CARD_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        for index in indexes:
            card = self.row_at(index.row())
            if card is not None:
                return encode_card(card)
        return QMimeData()

    def row_of(self, lead_id: int) -> int:
        """The row of a cached card, or -1."""
        for page, rows in self._pages.items():
            for offset, card in enumerate(rows):
                if card.id == lead_id:
                    return page * self.PAGE + offset
        return -1
