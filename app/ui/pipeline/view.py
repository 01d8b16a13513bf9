"""The pipeline board: one lazy column per open stage, exits as drop zones, gated moves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, QPoint, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.models import Role, StageKind
from app.services.auth import Perm
from app.services.changes import Changes
from app.services.leads import api as leads_api
from app.services.leads.board import BoardFilter, BoardTotals, CardRow, board_totals, stages_of
from app.services.leads.moves import GateAnswers, MoveResult, StaleLeadError
from app.services.pipeline import api as pipeline_api
from app.services.pipeline.stages import StageInfo
from app.services.team.users import UserInfo, list_users
from app.ui import theme
from app.ui.common.indexing import INDEXING_RECHECK_MS, indexing_note
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.pipeline.column import ExitZone, StageColumn
from app.ui.pipeline.dialogs import ExitDialog, GateDialog, after_gate_submit, open_gate_dialog
from app.ui.pipeline.model import CARD_ROLE, ColumnModel, ColumnParams
from app.ui.theme import TIERS
from app.ui.workers import TaskError


def board_style(c: theme.Colors) -> str:
    return f"""
    QFrame#BoardColumn {{ background: {c.surface_alt}; border: 1px solid transparent;
                          border-radius: 8px; }}
    QFrame#BoardColumn[drop="ok"] {{ background: {c.highlight_drop};
                                     border: 1px dashed {c.accent}; }}
    QFrame#BoardColumn[drop="blocked"] {{ border: 1px dashed {c.warning}; }}
    QFrame#BoardColumnHeader {{ background: transparent; border: none; }}
    QLabel#ColumnTitle {{ font-weight: 600; }}
    QLabel#ColumnCount {{ color: {c.text_secondary}; background: {c.surface};
                          border-radius: 8px; padding: 0 6px; }}
    QListView#CardList {{ background: transparent; border: 1px solid transparent;
                          border-radius: 6px; }}
    QListView#CardList:focus {{ border: 1px solid {c.accent}; }}
    QListView#CardList QScrollBar:vertical {{ background: transparent; width: 8px;
                                              margin: 2px 0; }}
    QListView#CardList QScrollBar::handle:vertical {{ background: {c.border};
                                                      border-radius: 4px; min-height: 24px; }}
    QListView#CardList QScrollBar::add-line, QListView#CardList QScrollBar::sub-line {{
        height: 0; }}
    QListView#CardList QScrollBar::add-page, QListView#CardList QScrollBar::sub-page {{
        background: transparent; }}
    QFrame#ExitZone {{ border: 1px dashed {c.border}; border-radius: 8px;
                       background: {c.window}; }}
    QFrame#ExitZone[won="true"] {{ border-color: {c.success}; }}
    QFrame#ExitZone[drop="ok"] {{ background: {c.highlight_drop}; border-color: {c.accent}; }}
    QFrame#Banner {{ background: {c.tier_bg.get("High", c.surface_alt)};
                     border: 1px solid {c.warning}; border-radius: 6px; }}
    """


class MoveCommand(QUndoCommand):
    """A move already made; undo moves the lead back (recorded as an undo), redo re-applies."""

    def __init__(
        self,
        board: PipelineView,
        lead_id: int,
        name: str,
        from_stage: StageInfo,
        to_stage: StageInfo,
        version: int,
        extra: dict[str, Any],
    ) -> None:
        super().__init__(f"Move {name} to {to_stage.name}")
        self.board = board
        self.lead_id = lead_id
        self.name = name
        self.from_stage = from_stage
        self.to_stage = to_stage
        self.version = version
        self.extra = extra
        self._done = True  # pushed after the move happened: the first redo() is a no-op

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self.board.redo_move(self)

    def undo(self) -> None:
        self.board.undo_move(self)


# More leads changed elsewhere than this at once (an import, a bulk reassign): reload every
# column rather than ask where each one is.
LOOKUP_AT_MOST = 50


class PipelineView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.stages: list[StageInfo] = []
        self.users: list[UserInfo] = []
        self.columns: dict[int, StageColumn] = {}
        self.exits: dict[int, ExitZone] = {}
        self.undo_stack = QUndoStack(self)
        self._history_queue: list[Callable[[Callable[[], None]], None]] = []
        self.gate_dialog: GateDialog | None = None
        self.exit_dialog: ExitDialog | None = None
        self.selected: CardRow | None = None
        # The lead just moved by this board: the selection follows it, not its old slot.
        self._follow: int | None = None
        self._started = False
        self._loading_pipeline = False
        # Columns an action of this board will change, by lead: its broadcast then reloads
        # just those (a lead changed elsewhere may have gone anywhere: all columns reload).
        self._expected: dict[int, set[int]] = {}
        self._locating = 0  # lookups out of where leads changed elsewhere now are
        # The reads of the refresh in flight (column stage ids, "totals"), and what was asked
        # for meanwhile (None: every column), run once they have landed: see refresh().
        self._reads: set[int | str] = set()
        self._again: set[int] | None = set()
        self._again_asked = False
        self.setStyleSheet(board_style(theme.colors()))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(self._build_toolbar())
        self.banner = QFrame()
        self.banner.setObjectName("Banner")
        b = QHBoxLayout(self.banner)
        b.setContentsMargins(12, 6, 6, 6)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_close = close = QToolButton()
        close.setIcon(theme.icon("close"))
        close.setAutoRaise(True)
        close.clicked.connect(self.banner.hide)
        b.addWidget(self.banner_text, 1)
        b.addWidget(close)
        self.banner.hide()
        layout.addWidget(self.banner)

        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("secondary", True)
        self.empty.setWordWrap(True)
        self.empty.setContentsMargins(0, 8, 0, 8)
        self.empty.hide()
        layout.addWidget(self.empty)

        self.board_scroll = QScrollArea()
        self.board_scroll.setWidgetResizable(True)
        self.board_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.board = QWidget()
        self.board_row = QHBoxLayout(self.board)
        self.board_row.setContentsMargins(0, 0, 0, 0)
        self.board_row.setSpacing(8)
        self.board_scroll.setWidget(self.board)
        layout.addWidget(self.board_scroll, 1)
        self.exit_row = QHBoxLayout()
        self.exit_row.setSpacing(8)
        layout.addLayout(self.exit_row)

        self._build_actions()
        # Rot is a matter of time passing: refresh the visible board now and then.
        self._rot_timer = QTimer(self)
        self._rot_timer.setInterval(5 * 60 * 1000)
        self._rot_timer.timeout.connect(self._tick)
        self._rot_timer.start()
        ctx.events.changed.connect(self._on_changed)
        ctx.events.user_changed.connect(self._user_changed)
        self._apply_permissions()
        theme.on_change(self.apply_theme)

    def apply_theme(self) -> None:
        """Re-style the board in the current palette (View → Theme switches it live)."""
        self.setStyleSheet(board_style(theme.colors()))
        self.search_icon.setIcon(theme.icon("magnify"))
        self.rotting.setIcon(theme.icon("clock-alert-outline"))
        self.editor_button.setIcon(theme.icon("cog-outline"))
        self.banner_close.setIcon(theme.icon("close"))
        self._rebuild_owner_filter()
        for column in self.columns.values():
            column.apply_theme()
        for zone in self.exits.values():
            zone.apply_theme()

    # -- building -------------------------------------------------------------------------
    def _build_toolbar(self) -> QVBoxLayout:
        rows = QVBoxLayout()
        rows.setSpacing(8)
        head = QHBoxLayout()
        head.setSpacing(8)
        title = QLabel("Pipeline")
        title.setObjectName("ViewTitle")
        head.addWidget(title)
        self.totals = QLabel()
        self._indexing_recheck = QTimer(self)
        self._indexing_recheck.setSingleShot(True)
        self._indexing_recheck.setInterval(INDEXING_RECHECK_MS)
        self._indexing_recheck.timeout.connect(lambda: self.refresh())
        self.totals.setProperty("secondary", True)
        head.addWidget(self.totals)
        head.addStretch(1)
        rows.addLayout(head)
        top = QHBoxLayout()
        top.setSpacing(8)
        self.owner = QComboBox()
        self.owner.setMinimumWidth(150)
        self.owner.currentIndexChanged.connect(self._filters_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name or company  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search_icon = self.search.addAction(
            theme.icon("magnify"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setMinimumWidth(160)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self._filters_changed)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.installEventFilter(self)
        self.tier = QComboBox()
        self.tier.addItem("All tiers", None)
        for t in TIERS:
            self.tier.addItem(t, t)
        self.tier.currentIndexChanged.connect(self._filters_changed)
        self.rotting = QPushButton(theme.icon("clock-alert-outline"), "Rotting only")
        self.rotting.setObjectName("Chip")
        self.rotting.setCheckable(True)
        self.rotting.toggled.connect(self._filters_changed)
        self.editor_button = QToolButton()
        self.editor_button.setIcon(theme.icon("cog-outline"))
        self.editor_button.setText("Stages && gates")
        self.editor_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.editor_button.setAutoRaise(True)
        self.editor_button.clicked.connect(self.open_stage_editor)
        head.addWidget(self.editor_button)
        top.addWidget(self.owner)
        top.addWidget(self.search, 1)
        top.addWidget(self.tier)
        top.addWidget(self.rotting)
        rows.addLayout(top)
        return rows

    def _apply_permissions(self) -> None:
        if self.ctx.can(Perm.PIPELINE_EDIT):
            self.editor_button.setToolTip(
                "Add, rename, reorder and remove stages; edit their gates"
            )
        else:
            self.editor_button.setToolTip(
                "See the stages and their gates (only a manager or the owner can change them)"
            )

    def _user_changed(self, _user: UserInfo) -> None:
        self._apply_permissions()
        self._rebuild_owner_filter(reset=True)
        self._filters_changed()

    def _build_actions(self) -> None:
        ctx_short = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo move")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "Redo move")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (self.undo_action, self.redo_action):
            action.setShortcutContext(ctx_short)
            self.addAction(action)
        for keys, step in (("Ctrl+Left", -1), ("Ctrl+Right", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(ctx_short)
            shortcut.activated.connect(lambda step=step: self.move_selected_by(step))
        move_to = QShortcut(QKeySequence("Ctrl+M"), self)
        move_to.setContext(ctx_short)
        move_to.activated.connect(self.show_move_menu)
        delete = QShortcut(QKeySequence(Qt.Key.Key_Delete), self)
        delete.setContext(ctx_short)
        delete.activated.connect(self._disqualify_selected)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search field enters the board (the first column with cards)."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
        ):
            for column in self.columns.values():
                if column.model.rowCount():
                    column.list.setFocus(Qt.FocusReason.TabFocusReason)
                    column.list.setCurrentIndex(column.model.index(0, 0))
                    return True
        return super().eventFilter(watched, event)

    # -- view protocol --------------------------------------------------------------------
    def activate(self) -> None:
        if not self._started:
            self._started = True
            self.load_pipeline()
        else:
            self.refresh()

    def _tick(self) -> None:
        if self._started and self.stages and self.isVisible():
            self.refresh()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # -- loading --------------------------------------------------------------------------
    def load_pipeline(self) -> None:
        """The stages (created the first time) and the team, read side by side."""
        self._loading_pipeline = True
        loaded: dict[str, Any] = {}

        def arrived(what: str) -> Callable[[Any], None]:
            def keep(value: Any) -> None:
                loaded[what] = value
                if len(loaded) == 2:
                    self._loading_pipeline = False
                    self._pipeline_loaded((loaded["stages"], loaded["users"]))

            return keep

        def failed(err: TaskError) -> None:
            self._loading_pipeline = False
            self._error(err)

        run_op(self.ctx, pipeline_api.pipeline_stages, on_done=arrived("stages"), on_error=failed)
        self.ctx.tasks.submit(list_users, on_done=arrived("users"), on_error=failed)

    def _pipeline_loaded(self, result: tuple[list[StageInfo], list[UserInfo]]) -> None:
        self.stages, self.users = result
        self._rebuild_owner_filter()
        for column in self.columns.values():
            self.board_row.removeWidget(column)
            column.deleteLater()
        for zone in self.exits.values():
            self.exit_row.removeWidget(zone)
            zone.deleteLater()
        self.columns, self.exits = {}, {}
        while self.board_row.count():
            self.board_row.takeAt(0)
        flt = self.current_filter()
        for stage in self.stages:
            if stage.kind == StageKind.OPEN:
                model = ColumnModel(self.ctx.tasks, self._params(stage.id, flt), self)
                column = StageColumn(stage, model)
                lst = column.list
                lst.card_dropped.connect(self.on_card_dropped)
                lst.drop_guess = self._would_block
                lst.selectionModel().currentChanged.connect(
                    lambda cur, _prev, sid=stage.id: self._on_current(sid, cur)
                )
                lst.customContextMenuRequested.connect(
                    lambda pos, col=column: self._context_menu(col, pos)
                )
                lst.doubleClicked.connect(lambda index: self._open(index.data(CARD_ROLE)))
                self.columns[stage.id] = column
                self.board_row.addWidget(column, 1)
                lst.step_column.connect(lambda step, sid=stage.id: self.step_column(sid, step))
                lst.user_acted.connect(self._user_acted)
                model.loaded.connect(lambda sid=stage.id: self._landed(sid))
                model.failed.connect(lambda _msg, sid=stage.id: self._landed(sid))
            elif stage.kind in (StageKind.WON, StageKind.LOST):
                zone = ExitZone(stage)
                zone.card_dropped.connect(self.on_card_dropped)
                self.exits[stage.id] = zone
                self.exit_row.addWidget(zone, 1)
        self.refresh(restart=True)

    def _params(self, stage_id: int, flt: BoardFilter) -> ColumnParams:
        return ColumnParams(stage_id, flt, self.ctx.clock, tuple(self.stages))

    def _rebuild_owner_filter(self, reset: bool = False) -> None:
        current = self.owner.currentData()
        if reset or self.owner.count() == 0:
            # Reps open on their own leads; managers and owners on everyone's.
            current = self.ctx.user.id if self.ctx.user.role == Role.REP else None
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem(theme.icon("account-group-outline"), "Everyone", None)
        self.owner.addItem(theme.icon("account-outline"), "My leads", self.ctx.user.id)
        for u in self.users:
            if u.id != self.ctx.user.id:
                self.owner.addItem(u.name, u.id)
        index = self.owner.findData(current) if current is not None else 0
        self.owner.setCurrentIndex(max(index, 0))
        self.owner.blockSignals(False)

    def current_filter(self) -> BoardFilter:
        tier = self.tier.currentData()
        return BoardFilter(
            owner_id=self.owner.currentData(),
            text=self.search.text(),
            tiers=(tier,) if tier else (),
            rotting_only=self.rotting.isChecked(),
        )

    def _filters_changed(self) -> None:
        if not self.stages:
            return
        flt = self.current_filter()
        for sid, column in self.columns.items():
            column.model._params = self._params(sid, flt)
        self.refresh(restart=True)

    def refresh(self, stage_ids: list[int] | None = None, *, restart: bool = False) -> None:
        """Reload the column totals and the cards of `stage_ids` (all when None).

        While the reads of the previous refresh are out, a new one waits for them to land and
        then runs once for everything asked meanwhile. Starting it at once would supersede
        those reads ("newest wins" drops their results): with a busy team's changes arriving
        faster than the board reads, no read ever landed and the board stood still until the
        stream paused. `restart` (new filters, new columns) starts at once, as the reads out
        are for what is no longer shown."""
        if self._reads and not restart:
            if stage_ids is None or self._again is None:
                self._again = None
            else:
                self._again.update(stage_ids)
            self._again_asked = True
            return
        self._again, self._again_asked = set(), False
        flt, stages, clock = self.current_filter(), list(self.stages), self.ctx.clock

        def work(session: Session) -> BoardTotals:
            return board_totals(session, clock.now(), flt, stages)

        def failed(err: TaskError) -> None:
            self._landed("totals")
            self._error(err)

        self._reads = {"totals"}
        self.ctx.tasks.submit(
            work, on_done=self._summary_loaded, on_error=failed, key="board:summary"
        )
        for sid, column in self.columns.items():
            if stage_ids is None or sid in stage_ids:
                self._reads.add(sid)
                column.model.reload()

    def _landed(self, read: int | str) -> None:
        """One read of the refresh in flight is in the view; the last runs what waited."""
        if read not in self._reads:
            return
        self._reads.discard(read)
        if not self._reads and self._again_asked:
            again = self._again
            self.refresh(None if again is None else sorted(again))

    def _summary_loaded(self, totals: BoardTotals) -> None:
        total_n, total_v = 0, 0.0
        for s in totals.columns:
            column = self.columns.get(s.stage.id)
            if column is not None:
                column.set_summary(s.count, s.total_value)
            total_n += s.count
            total_v += float(s.total_value)
        self.totals.setText(
            f"{total_n:,} open lead{'s' if total_n != 1 else ''} · {theme.money(total_v)}"
            + (" " + indexing_note(totals.indexing) if totals.indexing else "")
        )
        if totals.indexing:
            self._indexing_recheck.start()  # look again: the cards it may miss come in
        no_leads = total_n == 0 and self.current_filter() == BoardFilter()
        self.empty.setVisible(no_leads)
        if no_leads:
            self.empty.setText(
                "The pipeline is empty. Create a lead (Ctrl+N), import a badge file (Ctrl+I) "
                "or load demo data with `leadgate demo`."
            )
        self._landed("totals")

    # -- selection ------------------------------------------------------------------------
    def _on_current(self, stage_id: int, index: QModelIndex) -> None:
        card = index.data(CARD_ROLE) if index.isValid() else None
        if card is None:
            return
        if self._follow is not None and card.id != self._follow:
            # A card that slid into the moved one's old slot: the panel stays on the lead
            # the user moved.
            return
        for sid, column in self.columns.items():
            if sid != stage_id:
                column.list.clearSelection()
        self.selected = card
        self.ctx.events.lead_selected.emit(card.id)

    def _open(self, card: CardRow | None) -> None:
        if card is not None:
            self.ctx.events.lead_selected.emit(card.id)
            self.ctx.events.open_lead.emit(card.id)

    def stage(self, stage_id: int | None) -> StageInfo | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def _open_stages(self) -> list[StageInfo]:
        return [s for s in self.stages if s.kind == StageKind.OPEN]

    def _would_block(self, card: dict[str, int], to_stage_id: int) -> bool:
        """A guess before the drop: forward past the card's own stage while it has gaps."""
        src, dst = self.stage(card["stage_id"]), self.stage(to_stage_id)
        column = self.columns.get(card["stage_id"])
        if src is None or dst is None or column is None or dst.kind == StageKind.LOST:
            return False
        row = column.model.row_of(card["id"])
        cached = column.model.card(row) if row >= 0 else None
        forward = dst.position > src.position
        return bool(forward and cached is not None and cached.unmet_count)

    # -- moving ---------------------------------------------------------------------------
    def on_card_dropped(self, card: dict[str, int], to_stage_id: int) -> None:
        column = self.columns.get(card["stage_id"])
        cached = None
        if column is not None:
            row = column.model.row_of(card["id"])
            cached = column.model.card(row) if row >= 0 else None
        name = cached.name if cached else f"lead {card['id']}"
        self.request_move(card["id"], card["version"], card["stage_id"], to_stage_id, name)

    def request_move(
        self, lead_id: int, version: int, from_stage_id: int, to_stage_id: int, name: str
    ) -> None:
        """Move a card; exits ask for a reason first, blocked moves open the gate dialog."""
        target = self.stage(to_stage_id)
        if target is None or from_stage_id == to_stage_id:
            return
        if target.kind == StageKind.LOST:
            dialog = ExitDialog(name, target.name, self.ctx.clock.now(), self)
            self.exit_dialog = dialog

            def accepted() -> None:
                self._move(lead_id, version, from_stage_id, to_stage_id, name, dialog.values())

            dialog.accepted.connect(accepted)
            dialog.open()
            return
        self._move(lead_id, version, from_stage_id, to_stage_id, name, {})

    def _move(
        self,
        lead_id: int,
        version: int,
        from_stage_id: int,
        to_stage_id: int,
        name: str,
        extra: dict[str, Any],
    ) -> None:
        def done(result: MoveResult) -> None:
            if result.moved:
                self._moved(result, name, extra)
            elif result.kind == "blocked":
                self._open_gate_dialog(result, name)

        self._expect(lead_id, from_stage_id, to_stage_id)
        run_op(
            self.ctx,
            leads_api.move_lead,
            lead_id,
            to_stage_id,
            version,
            **extra,
            on_done=done,
            on_error=self._failed(lead_id),
        )

    def _expect(self, lead_id: int, *stage_ids: int | None) -> None:
        self._expected[lead_id] = {s for s in stage_ids if s is not None}

    def _failed(
        self, lead_id: int, then: Callable[[TaskError], None] | None = None
    ) -> Callable[[TaskError], None]:
        def failed(err: TaskError) -> None:
            self._expected.pop(lead_id, None)
            (then or self._error)(err)

        return failed

    def _user_acted(self) -> None:
        self._follow = None

    def _follow_moved(self, lead_id: int, stage_id: int) -> None:
        """Keep the moved lead selected: in its new column once that has reloaded."""
        self._follow = lead_id
        column = self.columns.get(stage_id)
        if column is None:  # Won or an exit: nothing to select, the panel keeps the lead
            self.selected = None
            return

        def reloaded() -> None:
            column.model.loaded.disconnect(reloaded)
            row = column.model.row_of(lead_id)
            if self._follow == lead_id and row >= 0:
                had_focus = any(c.list.hasFocus() for c in self.columns.values())
                column.list.setCurrentIndex(column.model.index(row, 0))
                column.list.scrollTo(column.model.index(row, 0))
                if had_focus:
                    column.list.setFocus(Qt.FocusReason.OtherFocusReason)

        column.model.loaded.connect(reloaded)

    def step_column(self, stage_id: int, step: int) -> None:
        """Left/Right: select the card at the same height in the neighbouring column."""
        ids = list(self.columns)
        if stage_id not in ids:
            return
        i = ids.index(stage_id) + step
        while 0 <= i < len(ids) and self.columns[ids[i]].model.rowCount() == 0:
            i += step  # skip empty columns
        if not 0 <= i < len(ids):
            return
        source, target = self.columns[stage_id].list, self.columns[ids[i]].list
        row = max(source.currentIndex().row(), 0)
        row = min(row, target.model().rowCount() - 1)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        index = target.model().index(row, 0)
        if target.currentIndex() == index:  # already current there: no signal, select anyway
            target.selectionModel().select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self._on_current(ids[i], index)
        else:
            target.setCurrentIndex(index)

    def _moved(self, result: MoveResult, name: str, extra: dict[str, Any]) -> None:
        self._follow_moved(result.lead_id, result.to_stage_id)
        src, dst = self.stage(result.from_stage_id), self.stage(result.to_stage_id)
        if src is not None and dst is not None:
            self.undo_stack.push(
                MoveCommand(self, result.lead_id, name, src, dst, result.version, extra)
            )
        what = "Override: moved" if result.kind == "override" else "Moved"
        self.ctx.events.status_message.emit(f"{what} {name} to {result.to_stage}")

    def _on_changed(self, changes: Changes) -> None:
        """The one broadcast (this board's actions, other views, the sweep, other
        workstations): reload what it touched, once."""
        if not self._started:
            return
        if changes.pipeline and not self._loading_pipeline:
            self._expected.clear()
            self.load_pipeline()
            return
        if not changes.touches_leads or not self.stages:
            return
        ids = sorted(changes.leads)
        expected = [self._expected.pop(i, None) for i in ids]
        known: set[int] = set().union(*(e for e in expected if e is not None))
        unknown = [i for i, e in zip(ids, expected, strict=True) if e is None]
        if changes.all_leads or len(unknown) > LOOKUP_AT_MOST:
            self.refresh()
        elif not unknown:
            self.refresh(sorted(known))
        else:
            self._refresh_where(unknown, known)

    def _refresh_where(self, ids: list[int], known: set[int]) -> None:
        """Leads changed elsewhere (a teammate's move, the sweep): reload the columns that
        show them now and those they are in now, not the whole board; one small read says
        where they are (a busy team's board otherwise read every column for every move)."""
        showing = {sid for sid, c in self.columns.items() for i in ids if c.model.row_of(i) >= 0}
        self._locating += 1

        def located(now_in: dict[int, int]) -> None:
            self._locating -= 1
            self.refresh(sorted(known | showing | set(now_in.values())))

        def failed(_err: TaskError) -> None:
            self._locating -= 1
            self.refresh()

        self.ctx.tasks.submit(lambda s: stages_of(s, ids), on_done=located, on_error=failed)

    @property
    def reading(self) -> bool:
        """Reads of a change are still out (where leads are, the totals or a column)."""
        return bool(self._reads) or self._locating > 0

    def _open_gate_dialog(self, result: MoveResult, name: str) -> None:
        self.gate_dialog = open_gate_dialog(
            self.ctx, self, result, name, self.users, self._complete
        )

    def _complete(self, dialog: GateDialog, answers: GateAnswers, reason: str | None) -> None:
        req = dialog.request
        extra = {"override_reason": reason} if reason else {}
        done = after_gate_submit(dialog, lambda result: self._moved(result, req.lead_name, extra))

        def failed(err: TaskError) -> None:
            dialog.show_error(err.message)

        from_stage = next((s.id for s in self.stages if s.name == req.from_stage), None)
        self._expect(req.lead_id, from_stage, req.to_stage_id)
        run_op(
            self.ctx,
            leads_api.complete_move,
            req.lead_id,
            req.to_stage_id,
            req.version,
            answers,
            reason,
            on_done=done,
            on_error=self._failed(req.lead_id, failed),
        )

    def _run_history(self, step: Callable[[Callable[[], None]], None]) -> None:
        """Undo/redo steps run one after another: each needs the version the previous one
        produced, so a quick Ctrl+Z, Ctrl+Shift+Z never races itself into a stale refusal."""
        self._history_queue.append(step)
        if len(self._history_queue) == 1:
            step(self._history_next)

    def _history_next(self) -> None:
        self._history_queue.pop(0)
        if self._history_queue:
            self._history_queue[0](self._history_next)

    def undo_move(self, cmd: MoveCommand) -> None:
        self._run_history(lambda finished: self._undo_now(cmd, finished))

    def redo_move(self, cmd: MoveCommand) -> None:
        self._run_history(lambda finished: self._redo_now(cmd, finished))

    def _undo_now(self, cmd: MoveCommand, finished: Callable[[], None]) -> None:
        def done(result: MoveResult) -> None:
            cmd.version = result.version
            self.ctx.events.status_message.emit(f"Undone: {cmd.name} back in {result.to_stage}")
            finished()

        def failed(err: TaskError) -> None:
            self._error(err)
            finished()

        self._expect(cmd.lead_id, cmd.from_stage.id, cmd.to_stage.id)
        run_op(
            self.ctx,
            leads_api.undo_move,
            cmd.lead_id,
            cmd.from_stage.id,
            cmd.version,
            on_done=done,
            on_error=self._failed(cmd.lead_id, failed),
        )

    def _redo_now(self, cmd: MoveCommand, finished: Callable[[], None]) -> None:
        def done(result: MoveResult) -> None:
            cmd.version = result.version
            if result.moved:
                self.ctx.events.status_message.emit(f"Redone: {cmd.name} to {result.to_stage}")
            else:
                self._show_banner(
                    f"Cannot redo: {cmd.name} no longer meets "
                    + "; ".join(u.text for u in result.unmet)
                )
            finished()

        def failed(err: TaskError) -> None:
            self._error(err)
            finished()

        self._expect(cmd.lead_id, cmd.from_stage.id, cmd.to_stage.id)
        run_op(
            self.ctx,
            leads_api.move_lead,
            cmd.lead_id,
            cmd.to_stage.id,
            cmd.version,
            **cmd.extra,
            on_done=done,
            on_error=self._failed(cmd.lead_id, failed),
        )

    def move_selected_by(self, step: int) -> None:
        """Ctrl+Left/Right: the previous/next stage; Won comes after the last open one."""
        card = self.selected
        path = self._open_stages() + [s for s in self.stages if s.kind == StageKind.WON][:1]
        src = self.stage(card.stage_id) if card else None
        if card is None or src is None or src not in path:
            return
        i = path.index(src) + step
        if 0 <= i < len(path):
            self.request_move(card.id, card.version, card.stage_id, path[i].id, card.name)

    def show_move_menu(self) -> None:
        """Ctrl+M: every stage the selected card can go to, chosen with the keyboard."""
        card = self.selected
        column = self.columns.get(card.stage_id) if card else None
        if card is None or column is None:
            return
        menu = QMenu(self)
        for stage in self.stages:
            if stage.id != card.stage_id:
                menu.addAction(stage.name, self._mover(card, stage.id))
        row = column.model.row_of(card.id)
        rect = column.list.visualRect(column.model.index(max(row, 0), 0))
        self.move_menu = menu
        menu.popup(column.list.viewport().mapToGlobal(rect.center()))

    def _disqualify_selected(self) -> None:
        card = self.selected
        target = next((s for s in self.stages if s.exit_status == "disqualified"), None)
        if card is not None and target is not None:
            self.request_move(card.id, card.version, card.stage_id, target.id, card.name)

    def _assign(self, card: CardRow, user: UserInfo) -> None:
        def done(_changed: int) -> None:
            self.ctx.events.status_message.emit(f"Assigned {card.name} to {user.name}")

        self._expect(card.id, card.stage_id)
        run_op(
            self.ctx,
            leads_api.assign_leads,
            [card.id],
            user.id,
            on_done=done,
            on_error=self._failed(card.id),
        )

    def _context_menu(self, column: StageColumn, pos: QPoint) -> None:
        index = column.list.indexAt(pos)
        card: CardRow | None = index.data(CARD_ROLE) if index.isValid() else None
        if card is None:
            return
        column.list.setCurrentIndex(index)
        self.card_menu(card).popup(column.list.viewport().mapToGlobal(pos))

    def card_menu(self, card: CardRow) -> QMenu:
        """A card's context menu: only what the signed-in role may do."""
        menu = QMenu(self)
        menu.addAction(theme.icon("open-in-new"), "Open", lambda: self._open(card))
        menu.addAction(theme.icon("domain"), "Account…", lambda: self.open_account(card.id))
        move_menu = menu.addMenu(theme.icon("arrow-right-bold-outline"), "Move to")
        for stage in self.stages:
            if stage.id != card.stage_id:
                move_menu.addAction(stage.name, self._mover(card, stage.id))
        if self.ctx.can(Perm.LEAD_ASSIGN):  # a rep cannot reassign (nor see the offer)
            assign = menu.addMenu(theme.icon("account-arrow-right-outline"), "Assign to")
            for user in self.users:
                act = assign.addAction(user.name, self._assigner(card, user))
                act.setCheckable(True)
                act.setChecked(user.id == card.owner_id)
        menu.addSeparator()
        menu.addAction(theme.icon("cancel"), "Disqualify…", self._disqualify_selected)
        return menu

    def open_account(self, lead_id: int) -> QWidget:
        """The account of a lead: its owner, its other leads, their history."""
        from app.ui.inbox.account_dialog import AccountDialog

        dialog = AccountDialog(self.ctx, lead_id=lead_id, parent=self)
        self.account_dialog = dialog
        dialog.open()
        return dialog

    def _assigner(self, card: CardRow, user: UserInfo) -> Callable[[], None]:
        return lambda: self._assign(card, user)

    def _mover(self, card: CardRow, stage_id: int) -> Callable[[], None]:
        return lambda: self.request_move(card.id, card.version, card.stage_id, stage_id, card.name)

    # -- errors ---------------------------------------------------------------------------
    def _error(self, err: TaskError) -> None:
        if isinstance(err.exception, StaleLeadError):
            self._show_banner(str(err.exception))
            self.refresh()
            return
        self._show_banner(err.message)

    def _show_banner(self, text: str) -> None:
        self.banner_text.setText(text)
        self.banner.show()
        self.ctx.events.status_message.emit(text)

    # -- stages & gates -------------------------------------------------------------------
    def open_stage_editor(self) -> None:
        from app.ui.pipeline.stage_editor import StageEditorDialog

        dialog = StageEditorDialog(self.ctx, self.stages, self)
        self.stage_editor = dialog
        dialog.open()
