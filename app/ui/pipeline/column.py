"""A board column (header + lazy card list) and the exit drop zones."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QDrag,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.services.leads.board import CardRow
from app.services.pipeline.stages import StageInfo
from app.ui import theme
from app.ui.pipeline.delegate import CARD_HEIGHT, CardDelegate, card_rect, paint_card
from app.ui.pipeline.model import CARD_ROLE, ColumnModel, decode_card, encode_card

# Drop states a column shows while a card hovers over it.
DROP_NONE, DROP_OK, DROP_BLOCKED = "", "ok", "blocked"


def criteria_tooltip(stage: StageInfo) -> str:
    if not stage.criteria:
        return f"<b>{stage.name}</b><br>No exit criteria."
    items = "".join(f"<li>{c['label']}</li>" for c in stage.criteria)
    stale = (
        f"<br>Rotting after {stage.stale_hours} h without a planned activity."
        if (stage.stale_hours)
        else ""
    )
    return f"<b>Leave {stage.name} when:</b><ul style='margin:4px 0'>{items}</ul>{stale}"


class CardListView(QListView):
    """The cards of one column. Drags carry the card; drops report (lead, from, to)."""

    card_dropped = Signal(dict, int)  # {"id", "version", "stage_id"}, target stage id
    drop_state_changed = Signal(str)
    step_column = Signal(int)  # Left/Right: go to the previous/next column
    user_acted = Signal()  # a click or key here: the selection is the user's own again

    def __init__(self, stage_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage_id = stage_id
        # (card dict, stage_id) -> whether the drop would be blocked; set by the board.
        self.drop_guess: Callable[[dict[str, int], int], bool] | None = None
        self.setItemDelegate(CardDelegate(self))
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_Hover, True)  # cards lift on hover
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setObjectName("CardList")
        self.verticalScrollBar().setSingleStep(24)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        self.user_acted.emit()
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if plain and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.step_column.emit(-1 if event.key() == Qt.Key.Key_Left else 1)
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.user_acted.emit()
        super().mousePressEvent(event)

    # -- dragging out ---------------------------------------------------------------------
    def startDrag(self, supported: Qt.DropAction) -> None:
        index = self.currentIndex()
        card: CardRow | None = index.data(CARD_ROLE) if index.isValid() else None
        if card is None:
            return
        drag = QDrag(self)
        drag.setMimeData(encode_card(card))
        rect = card_rect(self.visualRect(index))
        drag.setPixmap(self.drag_pixmap(index))
        cursor = self.viewport().mapFromGlobal(self.cursor().pos())
        drag.setHotSpot(cursor - rect.topLeft())
        drag.exec(Qt.DropAction.MoveAction)

    def drag_pixmap(self, index: QModelIndex) -> QPixmap:
        """The card as it follows the cursor: the same painting, semi-transparent."""
        card: CardRow | None = index.data(CARD_ROLE)
        rect = card_rect(self.visualRect(index))
        pixmap = QPixmap(rect.size() * self.devicePixelRatioF())
        pixmap.setDevicePixelRatio(self.devicePixelRatioF())
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setOpacity(0.85)
        paint_card(painter, QRect(QPoint(0, 0), rect.size()), card, self.font(), True, True)
        painter.end()
        return pixmap

    # -- dropping in ----------------------------------------------------------------------
    def _accepts(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> dict | None:
        card = decode_card(event.mimeData())
        if card is None or card["stage_id"] == self.stage_id:
            return None
        return card

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        card = self._accepts(event)
        if card is None:
            event.ignore()
            return
        blocked = bool(self.drop_guess and self.drop_guess(card, self.stage_id))
        self.drop_state_changed.emit(DROP_BLOCKED if blocked else DROP_OK)
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event) is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_state_changed.emit(DROP_NONE)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_state_changed.emit(DROP_NONE)
        card = self._accepts(event)
        if card is None:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.card_dropped.emit(card, self.stage_id)


class StageColumn(QFrame):
    """Header (name, count, total value, criteria on hover) over the card list."""

    def __init__(self, stage: StageInfo, model: ColumnModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.stage = stage
        self.model = model
        self.setObjectName("BoardColumn")
        self.setMinimumWidth(150)  # five columns fit 1280x720 beside the lead panel
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.header = QFrame()
        self.header.setObjectName("BoardColumnHeader")
        self.header.setToolTip(criteria_tooltip(stage))
        head = QVBoxLayout(self.header)
        head.setContentsMargins(12, 10, 12, 8)
        head.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.title = QLabel(stage.name)
        self.title.setObjectName("ColumnTitle")
        self.count = QLabel("0")
        self.count.setObjectName("ColumnCount")
        self.lock = QLabel()
        self.lock.setPixmap(theme.icon("lock-outline", theme.colors().warning).pixmap(14, 14))
        self.lock.setToolTip("The dragged lead does not meet this gate yet")
        self.lock.hide()
        self.title.setMinimumWidth(40)
        top.addWidget(self.title, 1)
        top.addWidget(self.lock)
        head.addLayout(top)
        # Count and value on the second line, so the stage name gets the full width.
        second = QHBoxLayout()
        second.setSpacing(6)
        self.total = QLabel("$0")
        self.total.setProperty("secondary", True)
        # The total elides (full text in the tooltip) rather than squeezing the stage name.
        self.total.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.total.setMinimumWidth(0)
        self._total_text = "$0"
        second.addWidget(self.count)
        second.addWidget(self.total, 1)
        head.addLayout(second)
        layout.addWidget(self.header)
        self.empty = QLabel("No leads here")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setProperty("secondary", True)
        self.empty.setContentsMargins(0, 16, 0, 0)
        layout.addWidget(self.empty)
        self.empty.hide()
        self.list = CardListView(stage.id)
        self.list.setModel(model)
        self.list.setMinimumHeight(CARD_HEIGHT)
        layout.addWidget(self.list, 1)
        self.list.drop_state_changed.connect(self.set_drop_state)
        model.loaded.connect(self._on_loaded)

    def apply_theme(self) -> None:
        self.lock.setPixmap(theme.icon("lock-outline", theme.colors().warning).pixmap(14, 14))
        self.list.viewport().update()

    def set_summary(self, count: int, total: Decimal) -> None:
        self.count.setText(f"{count:,}")
        self._total_text = f"{theme.money(float(total))} · {self.stage.win_probability:.0%} win"
        self.total.setToolTip(
            f"{theme.money(float(total))} open deal value in {self.stage.name}; "
            f"{self.stage.win_probability:.0%} win probability"
        )
        self.count.setToolTip(f"{count:,} leads in {self.stage.name}")
        self._elide_total()

    def _elide_total(self) -> None:
        fm = self.total.fontMetrics()
        room = max(self.total.width(), 0)
        self.total.setText(fm.elidedText(self._total_text, Qt.TextElideMode.ElideRight, room))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Long stage names elide rather than push the count out; the tooltip has the full name.
        room = self.header.width() - 26 - (20 if self.lock.isVisible() else 0)
        fm = self.title.fontMetrics()
        self.title.setText(fm.elidedText(self.stage.name, Qt.TextElideMode.ElideRight, room))
        self._elide_total()

    def _on_loaded(self) -> None:
        # The list stays: it is the drop target, empty or not.
        self.empty.setVisible(self.model.total == 0)

    def set_drop_state(self, state: str) -> None:
        self.setProperty("drop", state)
        self.lock.setVisible(state == DROP_BLOCKED)
        self.style().unpolish(self)
        self.style().polish(self)


class ExitZone(QFrame):
    """A drop target for Won / Lost / Disqualified / Nurture."""

    card_dropped = Signal(dict, int)

    ICONS = {
        "won": "trophy-outline",
        "lost": "close-circle-outline",
        "disqualified": "cancel",
        "nurture": "sprout-outline",
    }

    def __init__(self, stage: StageInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self.setObjectName("ExitZone")
        self.setProperty("won", stage.kind == "won")
        self.setAcceptDrops(True)
        if stage.kind == "won":
            self.setToolTip(
                f"Drop a card here to mark it {stage.name} (asks for what its gate still needs)"
            )
        else:
            self.setToolTip(f"Drop a card here to move it to {stage.name} (asks for a reason)")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 8)
        row.setSpacing(8)
        self.icon = QLabel()
        self.apply_theme()
        row.addWidget(self.icon)
        label = QLabel(stage.name)
        label.setProperty("secondary", True)
        row.addWidget(label)
        row.addStretch(1)

    def apply_theme(self) -> None:
        name = self.ICONS.get(self.stage.exit_status or "", "exit-run")
        color = theme.colors().success if self.stage.kind == "won" else None
        self.icon.setPixmap(theme.icon(name, color).pixmap(16, 16))

    def _set(self, state: str) -> None:
        self.setProperty("drop", state)
        self.style().unpolish(self)
        self.style().polish(self)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if decode_card(event.mimeData()) is None:
            event.ignore()
            return
        self._set(DROP_OK)
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set(DROP_NONE)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set(DROP_NONE)
        card = decode_card(event.mimeData())
        if card is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.card_dropped.emit(card, self.stage.id)
