"""The Routing page: ordered rules (drag to reorder), territories, the round-robin pool, and a
preview of where the last 50 leads would go under the edited set-up. Reps read it."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
)
from PySide6.QtGui import QFont, QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.changes import Changes
from app.services.routing import api as routing_api
from app.services.routing.config import (
    PreviewRow,
    RoutingConfig,
    RuleDoc,
    amount_text,
    load_config,
    members,
    parse_config,
    preview,
)
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op, show_error
from app.ui.startup import primary_buttons
from app.ui.team.routing_models import MembersModel, RulesModel, TerritoriesModel
from app.ui.workers import TaskError

Index = QModelIndex | QPersistentModelIndex
TIERS = ("Urgent", "High", "Medium", "Low")
# An amount as typed: digits (thousands separated by commas or spaces if you like) and up to
# two decimals; no sign, so a negative bound cannot be typed.
AMOUNT_PATTERN = r"[\d, ]*(\.\d{0,2})?"


class PreviewModel(QAbstractTableModel):
    COLUMNS = ("Lead", "Owner now", "Under these rules", "Why")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[PreviewRow] = []

    def set_rows(self, rows: list[PreviewRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

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
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.lead,
                row.owner_now or "Unassigned",
                row.owner_then or "Manager's queue",
                row.reason,
            )[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and row.changed:
            return theme.colors().q("highlight_drop")
        if role == Qt.ItemDataRole.FontRole and row.changed and index.column() == 2:
            bold = QFont()
            bold.setBold(True)
            return bold
        return None


class RuleDialog(QDialog):
    """One rule: its conditions picked field by field, and where matching leads go."""

    def __init__(
        self, rule: RuleDoc | None, team: dict[int, str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit rule" if rule else "Add a rule")
        self.setMinimumWidth(480)
        cond = dict(rule.conditions) if rule else {}
        form = QFormLayout()
        self.name = QLineEdit(rule.name if rule else "")
        form.addRow("Name", self.name)
        self.lists: dict[str, QLineEdit] = {}
        for key in ("country", "territory", "source", "industry", "product"):
            values = cond.get(key, [])
            edit = QLineEdit(", ".join(values if isinstance(values, list) else [values]))
            edit.setPlaceholderText("any (or a list, comma-separated)")
            self.lists[key] = edit
            form.addRow(key.title(), edit)
        tiers = QHBoxLayout()
        wanted = {str(t).lower() for t in cond.get("tier", [])}
        self.tiers = {t: QCheckBox(t) for t in TIERS}
        for t, box in self.tiers.items():
            box.setChecked(t.lower() in wanted)
            tiers.addWidget(box)
        tiers.addStretch(1)
        form.addRow("Tier", _wrap(tiers))
        self.min_head = QSpinBox()
        self.max_head = QSpinBox()
        for spin, key in ((self.min_head, "min_headcount"), (self.max_head, "max_headcount")):
            spin.setRange(0, 10_000_000)
            spin.setSpecialValueText("any")
            spin.setValue(int(cond.get(key, 0)))
        form.addRow("Headcount", _range(self.min_head, self.max_head))
        # Amounts as text: 0 is a real bound here ("has a deal value"), and empty means any.
        self.min_deal = QLineEdit(_amount_field(cond.get("min_deal_value")))
        self.max_deal = QLineEdit(_amount_field(cond.get("max_deal_value")))
        validator = QRegularExpressionValidator(QRegularExpression(AMOUNT_PATTERN), self)
        for edit in (self.min_deal, self.max_deal):
            edit.setPlaceholderText("any")  # as the headcount boxes say
            edit.setValidator(validator)
        form.addRow("Deal value", _range(self.min_deal, self.max_deal))
        deal_hint = QLabel("A lead with no deal value never matches these bounds.")
        deal_hint.setProperty("secondary", True)
        deal_hint.setWordWrap(True)
        form.addRow("", deal_hint)
        self.target = QComboBox()
        self.target.addItem("A pool (round-robin among the checked members)", None)
        for uid, name in team.items():
            self.target.addItem(name, uid)
        if rule and rule.target_user_id is not None:
            self.target.setCurrentIndex(self.target.findData(rule.target_user_id))
        self.pool_model = MembersModel()
        self.pool_model.set_members(team, (rule.target_pool or []) if rule else [])
        self.pool_model.set_editable(True)
        self.pool = QListView()
        self.pool.setModel(self.pool_model)
        self.pool.setMaximumHeight(110)
        form.addRow("Send to", self.target)
        form.addRow("Pool", self.pool)
        self.target.currentIndexChanged.connect(
            lambda: self.pool.setEnabled(self.target.currentData() is None)
        )
        self.pool.setEnabled(self.target.currentData() is None)
        self.active = QCheckBox("Active")
        self.active.setChecked(rule.active if rule else True)
        form.addRow("", self.active)
        self.error = QLabel()
        self.error.setObjectName("ErrorText")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(primary_buttons(self, "Save rule"))

    def problem(self) -> str | None:
        """What keeps the rule from being saved, in one sentence (None: nothing)."""
        if not self.name.text().strip():
            return "Give the rule a name."
        try:
            low, high = _amount(self.min_deal.text()), _amount(self.max_deal.text())
        except ValueError as exc:
            return str(exc)
        if low is not None and high is not None and low > high:
            return (
                f"The minimum deal value ({amount_text(low)}) is above the maximum "
                f"({amount_text(high)})."
            )
        low_head, high_head = self.min_head.value(), self.max_head.value()
        if low_head and high_head and low_head > high_head:
            return "The minimum headcount is above the maximum."
        return None

    def accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            self.error.show()
            return
        super().accept()

    def rule(self) -> dict[str, Any]:
        cond: dict[str, Any] = {}
        for key, edit in self.lists.items():
            values = [v.strip() for v in edit.text().split(",") if v.strip()]
            if values:
                cond[key] = values
        tiers = [t for t, box in self.tiers.items() if box.isChecked()]
        if tiers:
            cond["tier"] = tiers
        if self.min_head.value():
            cond["min_headcount"] = self.min_head.value()
        if self.max_head.value():
            cond["max_headcount"] = self.max_head.value()
        for key, edit in (("min_deal_value", self.min_deal), ("max_deal_value", self.max_deal)):
            value = _amount(edit.text())
            if value is not None:
                # JSON has no decimals: whole amounts as int, cents as a float (2 places).
                cond[key] = int(value) if value == value.to_integral_value() else float(value)
        target = self.target.currentData()
        return {
            "name": self.name.text().strip(),
            "conditions": cond,
            "target_user_id": target,
            "target_pool": None if target is not None else self.pool_model.chosen(),
            "active": self.active.isChecked(),
        }


def _amount(text: str) -> Decimal | None:
    """'25,000.50' -> Decimal('25000.50'); '' -> None; ValueError on anything else."""
    cleaned = text.replace(",", "").replace(" ", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"Deal value '{text.strip()}': type an amount such as 25000.") from None
    if not value.is_finite() or value < 0 or value != round(value, 2) or value >= 10**12:
        raise ValueError(f"Deal value '{text.strip()}': type an amount such as 25000.")
    return value


def _amount_field(value: Any) -> str:
    return "" if value is None else amount_text(value)


def _range(low: QWidget, high: QWidget) -> QWidget:
    row = QHBoxLayout()
    row.addWidget(low, 1)
    row.addWidget(QLabel("to"))
    row.addWidget(high, 1)
    return _wrap(row)


def _wrap(inner: QHBoxLayout) -> QWidget:
    inner.setContentsMargins(0, 0, 0, 0)
    box = QWidget()
    box.setLayout(inner)
    return box


class RoutingView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.config: RoutingConfig | None = None
        self.dialog: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(12)
        top = QHBoxLayout()
        title = QLabel("Routing")
        title.setObjectName("ViewTitle")
        top.addWidget(title)
        top.addStretch(1)
        self.preview_button = QPushButton("Preview last 50 leads")
        self.save_button = QPushButton("Save routing")
        self.save_button.setProperty("primary", True)
        top.addWidget(self.preview_button)
        top.addWidget(self.save_button)
        layout.addLayout(top)
        self.note = QLabel()
        self.note.setProperty("secondary", True)
        self.note.setWordWrap(True)
        layout.addWidget(self.note)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        self._build_rules(grid)
        self._build_pool_and_territories(grid)
        # The rules' sentences need the room; member names are short.
        grid.setColumnStretch(0, 4)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 3)
        layout.addLayout(grid, 2)
        layout.addWidget(_heading("Preview: where the most recent leads would go"))
        self.preview_model = PreviewModel()
        self.preview_table = QTableView()
        self.preview_table.setModel(self.preview_model)
        self.preview_table.verticalHeader().hide()
        self.preview_table.verticalHeader().setDefaultSectionSize(26)
        self.preview_table.setShowGrid(False)
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((200, 150, 160)):
            self.preview_table.setColumnWidth(col, width)
        layout.addWidget(self.preview_table, 2)
        self.preview_note = QLabel("Press Preview to see the effect of your edits before saving.")
        self.preview_note.setProperty("secondary", True)
        layout.addWidget(self.preview_note)

        self.add_rule_button.clicked.connect(lambda: self.edit_rule(None))
        self.edit_rule_button.clicked.connect(lambda: self.edit_rule(self._current_rule()))
        self.remove_rule_button.clicked.connect(self._remove_rule)
        self.up_button.clicked.connect(lambda: self.move_rule(-1))
        self.down_button.clicked.connect(lambda: self.move_rule(+1))
        for keys, step in (("Ctrl+Up", -1), ("Ctrl+Down", +1)):
            shortcut = QShortcut(QKeySequence(keys), self.rules)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda step=step: self.move_rule(step))
        self.add_territory_button.clicked.connect(lambda: self.add_territory())
        self.remove_territory_button.clicked.connect(self._remove_territories)
        self.preview_button.clicked.connect(self.run_preview)
        self.save_button.clicked.connect(self.save)
        ctx.events.changed.connect(self._on_changed)
        ctx.events.user_changed.connect(lambda _u: self._apply_rights())
        self.refresh()

    def _build_rules(self, grid: QGridLayout) -> None:
        grid.addWidget(_heading("Rules, in order (first match wins; drag to reorder)"), 0, 0)
        self.rules_model = RulesModel()
        self.rules = QListView()
        self.rules.setModel(self.rules_model)
        self.rules.setWordWrap(True)
        self.rules.setResizeMode(QListView.ResizeMode.Adjust)
        self.rules.setSpacing(3)
        self.rules.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rules.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.rules.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.rules.setDropIndicatorShown(True)
        self.rules.doubleClicked.connect(lambda index: self.edit_rule(index.row()))
        grid.addWidget(self.rules, 1, 0)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        self.add_rule_button = QPushButton("Add rule")
        self.edit_rule_button = QPushButton("Edit…")
        self.remove_rule_button = QPushButton("Remove")
        self.up_button = QPushButton(theme.icon("arrow-up"), "")
        self.up_button.setToolTip("Move the rule up (Ctrl+Up)")
        self.down_button = QPushButton(theme.icon("arrow-down"), "")
        self.down_button.setToolTip("Move the rule down (Ctrl+Down)")
        for b in (self.add_rule_button, self.edit_rule_button, self.remove_rule_button,
                  self.up_button, self.down_button):  # fmt: skip
            buttons.addWidget(b)
        buttons.addStretch(1)
        grid.addLayout(buttons, 2, 0)

    def _build_pool_and_territories(self, grid: QGridLayout) -> None:
        grid.addWidget(_heading("Round-robin pool"), 0, 1)
        self.pool_model = MembersModel()
        self.pool = QListView()
        self.pool.setModel(self.pool_model)
        self.pool.setSpacing(2)
        grid.addWidget(self.pool, 1, 1)
        self.pool_hint = QLabel("Checked members take turns when no rule matches.")
        self.pool_hint.setProperty("secondary", True)
        self.pool_hint.setWordWrap(True)
        grid.addWidget(self.pool_hint, 2, 1)

        grid.addWidget(_heading("Territories (country → territory)"), 0, 2)
        self.territory_model = TerritoriesModel()
        self.territories = QTableView()
        self.territories.setModel(self.territory_model)
        self.territories.verticalHeader().hide()
        self.territories.verticalHeader().setDefaultSectionSize(26)
        self.territories.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.territories.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        grid.addWidget(self.territories, 1, 2)
        terr_buttons = QHBoxLayout()
        terr_buttons.setSpacing(6)
        self.add_territory_button = QPushButton("Add country")
        self.remove_territory_button = QPushButton("Remove")
        terr_buttons.addWidget(self.add_territory_button)
        terr_buttons.addWidget(self.remove_territory_button)
        terr_buttons.addStretch(1)
        grid.addLayout(terr_buttons, 2, 2)

    # -- reading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ctx.tasks.submit(load_config, on_done=self._loaded, key="routing-config")

    def activate(self) -> None:
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        if changes.settings or changes.users:
            self.refresh()

    def _loaded(self, config: RoutingConfig) -> None:
        self.config = config
        self.rules_model.set_rules((asdict_rule(r) for r in config.rules), self._names())
        self.pool_model.set_members(
            config.names, config.reps if config.pool is None else config.pool
        )
        self.territory_model.set_territories(config.territories)
        self._apply_rights()

    def _apply_rights(self) -> None:
        editable = self.ctx.can(Perm.ROUTING_EDIT)
        for w in (self.save_button, self.add_rule_button, self.edit_rule_button,
                  self.remove_rule_button, self.up_button, self.down_button,
                  self.add_territory_button, self.remove_territory_button):  # fmt: skip
            w.setVisible(editable)
        self.rules_model.editable = editable
        self.rules.setDragEnabled(editable)
        self.pool_model.set_editable(editable)
        self.territory_model.set_editable(editable)
        self.territories.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            if editable
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.note.setText(
            "A lead goes to its account's owner, else the first matching rule whose member is "
            "available (not away, under capacity), else round-robin in the pool, else the "
            "manager's queue."
            + ("" if editable else " Read-only: only a manager or the owner can change it.")
        )

    # -- editing ------------------------------------------------------------------------------
    def _names(self) -> dict[int, str]:
        return dict(sorted((self.config.names if self.config else {}).items(), key=lambda x: x[1]))

    def _current_rule(self) -> int | None:
        index = self.rules.currentIndex()
        return index.row() if index.isValid() else None

    def edit_rule(self, row: int | None) -> None:
        """Open the rule editor for rule `row` (None: a new rule, added last)."""
        if not self.ctx.can(Perm.ROUTING_EDIT):
            return
        current = self.rules_model.rules[row] if row is not None else None
        doc = RuleDoc(**current) if current else None
        self.dialog = RuleDialog(doc, self._names(), self)

        def accepted() -> None:
            rule = self.dialog.rule()
            if row is not None:
                self.rules_model.replace_rule(row, rule)
            else:
                added = self.rules_model.add_rule(rule)
                self.rules.setCurrentIndex(self.rules_model.index(added, 0))

        self.dialog.accepted.connect(accepted)
        self.dialog.open()

    def move_rule(self, step: int) -> None:
        row = self._current_rule()
        if row is None or not self.ctx.can(Perm.ROUTING_EDIT):
            return
        self.rules.setCurrentIndex(self.rules_model.index(self.rules_model.move(row, step), 0))

    def _remove_rule(self) -> None:
        row = self._current_rule()
        if row is not None:
            self.rules_model.removeRows(row, 1)

    def add_territory(self, country: str = "", territory: str = "") -> None:
        """A new row, its country cell open for typing."""
        row = self.territory_model.add_row(country, territory)
        index = self.territory_model.index(row, 0)
        self.territories.setCurrentIndex(index)
        self.territories.scrollTo(index)
        if not country:
            self.territories.edit(index)

    def _remove_territories(self) -> None:
        rows = sorted({i.row() for i in self.territories.selectionModel().selectedRows()})
        if not rows and self.territories.currentIndex().isValid():
            rows = [self.territories.currentIndex().row()]
        for row in reversed(rows):
            self.territory_model.removeRows(row, 1)

    def draft(self) -> dict[str, Any]:
        """The edited set-up in the shape `set_routing` takes; ValueError (one sentence) when
        a territory row is half filled."""
        chosen = self.pool_model.chosen()
        reps = self.config.reps if self.config else frozenset()
        return {
            "territories": self.territory_model.territories(),
            "rules": [dict(r) for r in self.rules_model.rules],
            "pool": None if set(chosen) == set(reps) else chosen,
        }

    def _draft_or_say(self) -> dict[str, Any] | None:
        try:
            return self.draft()
        except ValueError as exc:
            show_error(self, TaskError(exc), "Cannot use these territories")
            return None

    def run_preview(self) -> None:
        data, today = self._draft_or_say(), self.ctx.clock.now().date()
        if data is None:
            return
        self.preview_note.setText("Working out where the last 50 leads would go…")
        self.ctx.tasks.submit(
            lambda s: preview(s, parse_config(data, members(s)), today),
            on_done=self._previewed,
            on_error=self._preview_failed,
            key="routing-preview",
        )

    def _previewed(self, rows: list[PreviewRow]) -> None:
        self.preview_model.set_rows(rows)
        changed = sum(r.changed for r in rows)
        self.preview_note.setText(
            f"{changed} of {len(rows)} recent leads would change owner (highlighted)."
        )

    def _preview_failed(self, error: TaskError) -> None:
        self.preview_note.setText(error.message)

    def save(self) -> None:
        data = self._draft_or_say()
        if data is not None:
            run_op(self.ctx, routing_api.set_routing, data, parent=self)


def asdict_rule(rule: RuleDoc) -> dict[str, Any]:
    return {
        "name": rule.name,
        "conditions": dict(rule.conditions),
        "target_user_id": rule.target_user_id,
        "target_pool": list(rule.target_pool) if rule.target_pool else None,
        "active": rule.active,
    }


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
