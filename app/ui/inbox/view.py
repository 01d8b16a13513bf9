"""The Inbox: who do I call right now? Scored leads, filter chips, a live first-response
countdown, and bulk assign / re-route. Every filter and sort runs in SQL off the UI thread."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.models import LeadStatus, Role
from app.services.auth import Perm
from app.services.changes import Changes
from app.services.leads import api as leads_api
from app.services.leads import inbox as inbox_service
from app.services.leads.queries import LeadFilter
from app.services.routing import api as routing_api
from app.services.routing.core import RoutingDecision, rep_loads
from app.ui import theme
from app.ui.common.empty_state import EmptyState
from app.ui.common.flow_layout import FlowLayout, fixed
from app.ui.common.indexing import INDEXING_RECHECK_MS, indexing_note
from app.ui.common.lazy_model import ROW_ID_ROLE
from app.ui.context import AppContext
from app.ui.inbox.delegate import InboxDelegate
from app.ui.inbox.model import InboxModel
from app.ui.ops import run_op

CHIPS = (
    ("mine", "My leads"),
    ("unassigned", "Unassigned"),
    ("Urgent", "Urgent"),
    ("High", "High"),
    ("Medium", "Medium"),
    ("Low", "Low"),
    ("incomplete", "Incomplete"),
)
DEFAULT_BASE = LeadFilter(status=LeadStatus.OPEN)


class InboxView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = InboxModel(ctx.tasks, ctx.clock)
        self._base_filter = DEFAULT_BASE
        self._started = False
        self._users: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        layout.addLayout(self._build_title_row())
        layout.addWidget(self._build_filters())
        layout.addWidget(self._build_bulk_bar())
        self._build_table()
        self.empty = EmptyState("inbox-arrow-down-outline")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self._start_ticker()
        self._connect_events()
        self._show_allowed()
        theme.on_change(self.apply_theme)

    def apply_theme(self) -> None:
        """Icons in the current palette (View → Theme switches it live)."""
        for widget, name in (
            (self.clear_drill, "close"),
            (self.settings_button, "tune-variant"),
            (self.search_icon, "magnify"),
            (self.assign_button, "account-arrow-right-outline"),
            (self.reroute_button, "call-split"),
            (self.merge_button, "call-merge"),
        ):
            widget.setIcon(theme.icon(name))
        self.table.viewport().update()

    def _build_title_row(self) -> QHBoxLayout:
        """What this list is, how many, its status/stage/source and the rules."""
        top = QHBoxLayout()
        top.setSpacing(8)
        self.title = QLabel("Inbox")
        self.title.setObjectName("ViewTitle")
        self.count = QLabel()
        self.count.setProperty("secondary", True)
        # While a big import's new leads are being indexed, a search says it may miss them.
        self.indexing = QLabel()
        self.indexing.setProperty("secondary", True)
        self.indexing.hide()
        self._indexing_recheck = QTimer(self)
        self._indexing_recheck.setSingleShot(True)
        self._indexing_recheck.setInterval(INDEXING_RECHECK_MS)
        self._indexing_recheck.timeout.connect(self._refresh_counts)
        self.clear_drill = QPushButton("Show whole inbox")
        self.clear_drill.setIcon(theme.icon("close"))
        self.clear_drill.hide()
        self.clear_drill.clicked.connect(self.reset_filters)
        top.addWidget(self.title)
        top.addWidget(self.count)
        top.addWidget(self.indexing)
        top.addWidget(self.clear_drill)
        top.addStretch(1)
        self._build_filter_combos(top)
        self.settings_button = QToolButton()
        self.settings_button.setIcon(theme.icon("tune-variant"))
        self.settings_button.setToolTip("Scoring rules…")
        self.settings_button.setAutoRaise(True)
        self.settings_button.clicked.connect(self.open_scoring_settings)
        top.addWidget(self.settings_button)
        return top

    def _build_filter_combos(self, row: QHBoxLayout) -> None:
        self.status = QComboBox()
        self.status.addItem("Any status", None)
        for status in LeadStatus:
            self.status.addItem(status.value.title(), status.value)
        self.status.setCurrentIndex(self.status.findData(LeadStatus.OPEN))
        # Stages and sources come from the store once the view is first shown (_load_options).
        self.stage = QComboBox()
        self.stage.addItem("All stages", None)
        self.source = QComboBox()
        self.source.addItem("All sources", None)
        for combo in (self.status, self.stage, self.source):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
            combo.currentIndexChanged.connect(self._apply_filter)
            row.addWidget(combo)

    def _build_filters(self) -> QWidget:
        """Chips with counts, then the search; a flow layout so they wrap in a narrow window."""
        filters = QWidget()
        flow = FlowLayout(filters, spacing=4, line_spacing=6)
        self.chips: dict[str, QPushButton] = {}
        for key, label in CHIPS:
            chip = QPushButton(label)
            chip.setObjectName("Chip")
            chip.setCheckable(True)
            chip.setProperty("label", label)
            chip.toggled.connect(lambda on, k=key: self._chip_toggled(k, on))
            flow.addWidget(fixed(chip))
            self.chips[key] = chip
        gap = QWidget()
        gap.setFixedWidth(8)
        flow.addWidget(gap)
        flow.addWidget(self._build_search())
        return filters

    def _build_search(self) -> QLineEdit:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, company, e-mail, title (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search_icon = self.search.addAction(
            theme.icon("magnify"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.search.setFixedWidth(260)
        # Filter once typing pauses, not one query per keystroke.
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._apply_filter)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.installEventFilter(self)
        return self.search

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Down in the search field enters the list (its first row)."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Down
            and self.model.rowCount() > 0
        ):
            self.table.setFocus(Qt.FocusReason.TabFocusReason)
            current = self.table.currentIndex()
            if not current.isValid():
                self.table.setCurrentIndex(self.model.index(0, 0))
            return True
        return super().eventFilter(watched, event)

    def _build_bulk_bar(self) -> QWidget:
        """Bulk actions: shown only while several leads are selected (_on_selection)."""
        self.bulk = QWidget()
        bulk_row = QHBoxLayout(self.bulk)
        bulk_row.setContentsMargins(0, 0, 0, 0)
        bulk_row.setSpacing(8)
        self.bulk_label = QLabel()
        self.assign_button = QToolButton()
        self.assign_button.setText("Assign to…")
        self.assign_button.setIcon(theme.icon("account-arrow-right-outline"))
        self.assign_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.assign_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.assign_menu = QMenu(self.assign_button)
        self.assign_menu.aboutToShow.connect(self._fill_assign_menu)
        self.assign_button.setMenu(self.assign_menu)
        self.reroute_button = QPushButton("Re-route")
        self.reroute_button.setIcon(theme.icon("call-split"))
        self.reroute_button.setToolTip("Send the selected leads through the routing rules again")
        self.reroute_button.clicked.connect(self.reroute_selected)
        self.merge_button = QPushButton("Merge…")
        self.merge_button.setIcon(theme.icon("call-merge"))
        self.merge_button.setToolTip("The same person twice: merge the two selected leads")
        self.merge_button.clicked.connect(self.merge_selected)
        bulk_row.addWidget(self.bulk_label)
        bulk_row.addWidget(self.assign_button)
        bulk_row.addWidget(self.reroute_button)
        bulk_row.addWidget(self.merge_button)
        bulk_row.addStretch(1)
        self.bulk.hide()
        return self.bulk

    def _build_table(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.delegate = InboxDelegate(
            self.model.column_of_key("tier"), self.model.column_of_key("score"), self.table
        )
        # Only the two drawn columns get the Python delegate; the rest keep Qt's C++ one, so
        # a repaint does not call into Python once per cell just to draw plain text.
        for key in ("tier", "score"):
            self.table.setItemDelegateForColumn(self.model.column_of_key(key), self.delegate)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(
            self.model.column_of_key("score"), Qt.SortOrder.DescendingOrder
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        for i, col in enumerate(self.model.columns):
            self.table.setColumnWidth(i, col.width)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)

    def _start_ticker(self) -> None:
        # The countdown column repaints every second from ctx.clock: no query involved.
        self.ticker = QTimer(self)
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self.model.tick)
        self.ticker.start()

    def _connect_events(self) -> None:
        ctx = self.ctx
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(lambda msg: ctx.events.status_message.emit(msg))
        ctx.events.changed.connect(self._on_leads_changed)
        ctx.events.show_leads.connect(self.show_filtered)
        ctx.events.user_changed.connect(self._on_user_changed)

    def _show_allowed(self) -> None:
        """Offer only what the signed-in role may do (the API functions refuse the rest)."""
        self.settings_button.setVisible(self.ctx.can(Perm.SCORING_EDIT))
        self._on_selection(QItemSelection(), QItemSelection())

    def _on_user_changed(self, _user: object) -> None:
        self._show_allowed()
        self._default_chips()
        self._apply_filter()

    def _default_chips(self) -> None:
        """Reps open on their own leads; managers and owners on the whole inbox."""
        mine = self.ctx.user.role == Role.REP
        with _blocked(*self.chips.values()):
            self.chips["mine"].setChecked(mine)
            if mine:
                self.chips["unassigned"].setChecked(False)

    # -- view protocol ----------------------------------------------------------------------
    def activate(self) -> None:
        if not self._started:
            self._started = True
            self._default_chips()
            self._load_options()
            self._apply_filter()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def show_filtered(self, spec: dict[str, Any]) -> None:
        """Show the leads a chart, report or alert points at (LeadFilter fields + title)."""
        flt, title = inbox_service.lead_filter_from(spec)
        self._started = True
        self._base_filter = dataclasses.replace(flt, text="")
        with _blocked(self.status, self.stage, self.source, *self.chips.values()):
            self.status.setCurrentIndex(max(0, self.status.findData(flt.status)))
            self.stage.setCurrentIndex(0)
            self.source.setCurrentIndex(0)
            for chip in self.chips.values():
                chip.setChecked(False)
        self.search.blockSignals(True)
        self.search.setText(flt.text)
        self.search.blockSignals(False)
        self.title.setText(f"Inbox: {title}" if title else "Inbox: selected leads")
        self.clear_drill.show()
        self._apply_filter()

    def reset_filters(self) -> None:
        self._base_filter = DEFAULT_BASE
        with _blocked(self.status, self.stage, self.source, *self.chips.values()):
            self.status.setCurrentIndex(self.status.findData(LeadStatus.OPEN))
            self.stage.setCurrentIndex(0)
            self.source.setCurrentIndex(0)
            for chip in self.chips.values():
                chip.setChecked(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.title.setText("Inbox")
        self.clear_drill.hide()
        self._apply_filter()

    # -- filtering --------------------------------------------------------------------------
    def current_filter(self) -> LeadFilter:
        flt = dataclasses.replace(
            self._base_filter, text=self.search.text(), status=self.status.currentData()
        )
        if self.chips["mine"].isChecked():
            flt = dataclasses.replace(flt, owner_id=self.ctx.user.id, unassigned=False)
        elif self.chips["unassigned"].isChecked():
            flt = dataclasses.replace(flt, owner_id=None, unassigned=True)
        tiers = tuple(t for t in ("Urgent", "High", "Medium", "Low") if self.chips[t].isChecked())
        if tiers:
            flt = dataclasses.replace(flt, tiers=tiers)
        if self.chips["incomplete"].isChecked():
            flt = dataclasses.replace(flt, incomplete=True)
        stage = self.stage.currentData()
        if stage is not None:
            flt = dataclasses.replace(flt, stage_id=int(stage))
        source = self.source.currentData()
        if source is not None:
            kind, value = source
            flt = dataclasses.replace(flt, **{kind: value})
        return flt

    def _chip_toggled(self, key: str, on: bool) -> None:
        # My leads and Unassigned exclude each other.
        if on and key in ("mine", "unassigned"):
            other = self.chips["unassigned" if key == "mine" else "mine"]
            with _blocked(other):
                other.setChecked(False)
        self._apply_filter()

    def _apply_filter(self) -> None:
        if not self._started:
            return
        self.model.set_params(self.current_filter())
        self._refresh_counts()

    def _refresh_counts(self) -> None:
        flt = self.current_filter()
        user_id = self.ctx.user.id
        self.ctx.tasks.submit(
            lambda s: inbox_service.chip_counts(s, flt, user_id),
            on_done=self._show_counts,
            key="inbox-chips",
        )

    def _show_counts(self, counts: dict[str, int]) -> None:
        indexing = counts.get("indexing", 0)
        if indexing:
            self.indexing.setText(indexing_note(indexing))
            self._indexing_recheck.start()
        elif not self.indexing.isHidden():
            # Indexed now: the search finds them; list its matches again.
            self.model.set_params(self.current_filter())
        self.indexing.setVisible(bool(indexing))
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(bold)
        for key, chip in self.chips.items():
            chip.setText(f"{chip.property('label')}  {counts.get(key, 0):,}")
            # A checked chip is drawn semi-bold: reserve that width so it never clips.
            chip.setFixedWidth(metrics.horizontalAdvance(chip.text()) + 24)

    def _load_options(self) -> None:
        def loaded(result: tuple[inbox_service.FilterOptions, list[dict[str, Any]]]) -> None:
            options, users = result
            self._users = users
            with _blocked(self.stage, self.source):
                for stage_id, name in options.stages:
                    self.stage.addItem(name, stage_id)
                for source in options.sources:
                    self.source.addItem(source, ("source", source))
                if options.events:
                    self.source.insertSeparator(self.source.count())
                for event in options.events:
                    self.source.addItem(event, ("event", event))

        self.ctx.tasks.submit(
            lambda s: (inbox_service.filter_options(s), rep_loads(s)),
            on_done=loaded,
            key="inbox-options",
        )

    def _on_loaded(self) -> None:
        n = self.model.rowCount()
        self.count.setText(f"{n:,} lead{'s' if n != 1 else ''}")
        if n:
            self.stack.setCurrentWidget(self.table)
            return
        if self.current_filter() == dataclasses.replace(DEFAULT_BASE, text=""):
            self.empty.show_state(
                "No leads yet",
                "Your inbox lists open leads, hottest first, with the time left to answer "
                "each. Import a badge-scan file (Ctrl+I), or look around with a demo team.",
                [("Import a badge file…", self.import_file), ("Load demo data", self.load_demo)],
            )
        else:
            self.empty.show_state(
                "No lead matches these filters",
                "Untick a chip, try fewer words in the search, or another status or stage.",
                [("Clear filters", self.reset_filters)],
            )
        self.stack.setCurrentWidget(self.empty)

    def import_file(self) -> None:
        from app.ui.importing import open_import_wizard

        open_import_wizard(self.ctx, self.window())

    def load_demo(self) -> None:
        """Fill an empty store with the demo team and leads (in the background)."""
        from app.demo import generator as demo

        clock = self.ctx.clock
        self.empty.show_state("Loading demo data…", "A team, 300 accounts and 2,000 leads.")

        def done(_result: object) -> None:
            self._load_options()
            self.ctx.events.changed.emit(Changes(all_leads=True))

        self.ctx.tasks.submit(
            lambda session: demo.generate(session, clock),
            on_done=done,
            on_error=lambda e: self.ctx.events.status_message.emit(
                f"Could not load demo data: {e.message}"
            ),
        )

    def _on_leads_changed(self, changes: Changes) -> None:
        if not self._started:
            return
        # Scores follow the scoring settings; stage and owner names the pipeline and team.
        if changes.touches_leads or changes.settings or changes.pipeline or changes.users:
            self._apply_filter()
        if changes.touches_leads or changes.users:
            # The assign menu shows each rep's load: keep it current after assignments.
            self.ctx.tasks.submit(rep_loads, on_done=self._set_users, key="inbox-rep-loads")

    def _set_users(self, users: list[dict[str, Any]]) -> None:
        self._users = users

    # -- selection and bulk actions ---------------------------------------------------------
    def selected_ids(self) -> list[int]:
        ids = []
        for index in self.table.selectionModel().selectedRows():
            value = self.model.data(index, ROW_ID_ROLE)
            if value:
                ids.append(int(value))
        return ids

    def _on_selection(self, _sel: QItemSelection, _desel: QItemSelection) -> None:
        ids = self.selected_ids()
        # Assign and re-route only for a role that may (Perm.LEAD_ASSIGN); merge for two.
        may_assign = self.ctx.can(Perm.LEAD_ASSIGN)
        may_merge = len(ids) == 2 and self.ctx.can(Perm.LEAD_EDIT)
        self.assign_button.setVisible(may_assign)
        self.reroute_button.setVisible(may_assign)
        self.merge_button.setVisible(may_merge)
        self.bulk.setVisible(len(ids) > 1 and (may_assign or may_merge))
        self.bulk_label.setText(f"{len(ids)} selected")
        if len(ids) == 1:
            self.ctx.events.lead_selected.emit(ids[0])

    def merge_selected(self) -> QWidget | None:
        """Merge the two selected leads (the older one is offered as the one to keep)."""
        from app.ui.inbox.merge_dialog import MergeDialog

        ids = sorted(self.selected_ids())
        if len(ids) != 2:
            return None
        dialog = MergeDialog(self.ctx, ids[0], ids[1], self)
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _fill_assign_menu(self) -> None:
        self.assign_menu.clear()
        for user in self._users:
            load = f"{user['open_leads']}/{user['capacity']}" if user["capacity"] else "no limit"
            away = "" if user["available"] else " · away"
            action = self.assign_menu.addAction(f"{user['name']}  ({load}{away})")
            action.triggered.connect(lambda _c=False, uid=user["id"]: self.assign_selected(uid))

    def assign_selected(self, owner_id: int | None) -> None:
        ids = self.selected_ids()
        if not ids:
            return
        run_op(
            self.ctx,
            leads_api.assign_leads,
            ids,
            owner_id,
            on_done=lambda changed: self.ctx.events.status_message.emit(
                f"Assigned {changed} lead(s)."
            ),
            parent=self,
        )

    def reroute_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            return

        def done(decisions: list[RoutingDecision]) -> None:
            moved = sum(1 for d in decisions if d.owner_id != d.previous_owner_id)
            self.ctx.events.status_message.emit(
                f"Re-routed {len(decisions)} lead(s); {moved} changed owner."
            )

        run_op(self.ctx, routing_api.route_leads, ids, on_done=done, parent=self)

    def open_scoring_settings(self) -> None:
        from app.ui.inbox.scoring_dialog import ScoringSettingsDialog

        dialog = ScoringSettingsDialog(self.ctx, self)
        dialog.open()


class _blocked:
    """Block signals of widgets while setting them programmatically."""

    def __init__(self, *widgets: QWidget) -> None:
        self._widgets = widgets

    def __enter__(self) -> None:
        for w in self._widgets:
            w.blockSignals(True)

    def __exit__(self, *_exc: object) -> None:
        for w in self._widgets:
            w.blockSignals(False)
