"""The Routing page: ordered rules (drag to reorder), territories, the round-robin pool, and a
preview of where the last 50 leads would go under the edited set-up. Reps read it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
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
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
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
    load_config,
    members,
    parse_config,
    preview,
)
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.startup import primary_buttons
from app.ui.workers import TaskError

Index = QModelIndex | QPersistentModelIndex
RULE_ROLE = Qt.ItemDataRole.UserRole + 1
TIERS = ("Urgent", "High", "Medium", "Low")


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
        self.setMinimumWidth(460)
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
        form.addRow("Tier", _wrap(tiers))
        self.min_head = QSpinBox()
        self.max_head = QSpinBox()
        for spin, key in ((self.min_head, "min_headcount"), (self.max_head, "max_headcount")):
            spin.setRange(0, 10_000_000)
            spin.setSpecialValueText("any")
            spin.setValue(int(cond.get(key, 0)))
        heads = QHBoxLayout()
        heads.addWidget(self.min_head)
        heads.addWidget(QLabel("to"))
        heads.addWidget(self.max_head)
        form.addRow("Headcount", _wrap(heads))
        self.target = QComboBox()
        self.target.addItem("A pool (round-robin among the checked members)", None)
        for uid, name in team.items():
            self.target.addItem(name, uid)
        if rule and rule.target_user_id is not None:
            self.target.setCurrentIndex(self.target.findData(rule.target_user_id))
        self.pool = QListWidget()
        self.pool.setMaximumHeight(110)
        for uid, name in team.items():
            item = QListWidgetItem(name)
            item.setData(RULE_ROLE, uid)
            item.setCheckState(
                Qt.CheckState.Checked
                if rule and rule.target_pool and uid in rule.target_pool
                else Qt.CheckState.Unchecked
            )
            self.pool.addItem(item)
        form.addRow("Send to", self.target)
        form.addRow("Pool", self.pool)
        self.target.currentIndexChanged.connect(
            lambda: self.pool.setEnabled(self.target.currentData() is None)
        )
        self.pool.setEnabled(self.target.currentData() is None)
        self.active = QCheckBox("Active")
        self.active.setChecked(rule.active if rule else True)
        form.addRow("", self.active)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(form)
        layout.addWidget(primary_buttons(self, "Save rule"))

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
        target = self.target.currentData()
        pool = [
            int(self.pool.item(i).data(RULE_ROLE))
            for i in range(self.pool.count())
            if self.pool.item(i).checkState() == Qt.CheckState.Checked
        ]
        return {
            "name": self.name.text().strip(),
            "conditions": cond,
            "target_user_id": target,
            "target_pool": None if target is not None else pool,
            "active": self.active.isChecked(),
        }


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
        grid.addWidget(_heading("Rules, in order (first match wins; drag to reorder)"), 0, 0)
        self.rules = QListWidget()
        self.rules.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.rules.setSpacing(3)
        self.rules.itemDoubleClicked.connect(lambda item: self.edit_rule(item))
        grid.addWidget(self.rules, 1, 0)
        buttons = QHBoxLayout()
        self.add_rule_button = QPushButton("Add rule")
        self.remove_rule_button = QPushButton("Remove")
        buttons.addWidget(self.add_rule_button)
        buttons.addWidget(self.remove_rule_button)
        buttons.addStretch(1)
        grid.addLayout(buttons, 2, 0)
        grid.addWidget(_heading("Round-robin pool (when no rule matches)"), 0, 1)
        self.pool = QListWidget()
        self.pool.setSpacing(2)
        grid.addWidget(self.pool, 1, 1)
        grid.addWidget(_heading("Territories (country → territory)"), 0, 2)
        self.territories = QTableWidget(0, 2)
        self.territories.setHorizontalHeaderLabels(["Country", "Territory"])
        self.territories.verticalHeader().hide()
        self.territories.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        grid.addWidget(self.territories, 1, 2)
        self.add_territory_button = QPushButton("Add country")
        grid.addWidget(self.add_territory_button, 2, 2, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        layout.addLayout(grid, 2)
        layout.addWidget(_heading("Preview: where the most recent leads would go"))
        self.preview_model = PreviewModel()
        self.preview_table = QTableView()
        self.preview_table.setModel(self.preview_model)
        self.preview_table.verticalHeader().hide()
        self.preview_table.verticalHeader().setDefaultSectionSize(26)
        self.preview_table.setShowGrid(False)
        self.preview_table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((220, 160, 160)):
            self.preview_table.setColumnWidth(col, width)
        layout.addWidget(self.preview_table, 2)
        self.preview_note = QLabel("Press Preview to see the effect of your edits before saving.")
        self.preview_note.setProperty("secondary", True)
        layout.addWidget(self.preview_note)

        self.add_rule_button.clicked.connect(lambda: self.edit_rule(None))
        self.remove_rule_button.clicked.connect(self._remove_rule)
        self.add_territory_button.clicked.connect(self._add_territory)
        self.preview_button.clicked.connect(self.run_preview)
        self.save_button.clicked.connect(self.save)
        ctx.events.changed.connect(self._on_changed)
        ctx.events.user_changed.connect(lambda _u: self._apply_rights())
        self.refresh()

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
        self.rules.clear()
        for rule in config.rules:
            self._add_rule_item(asdict_rule(rule))
        self.pool.clear()
        for uid, name in sorted(config.names.items(), key=lambda x: x[1]):
            item = QListWidgetItem(name)
            item.setData(RULE_ROLE, uid)
            chosen = uid in (config.reps if config.pool is None else config.pool)
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
            self.pool.addItem(item)
        self.territories.setRowCount(0)
        for country, territory in sorted(config.territories.items()):
            self._add_territory(country, territory)
        self._apply_rights()

    def _apply_rights(self) -> None:
        editable = self.ctx.can(Perm.ROUTING_EDIT)
        for w in (self.save_button, self.add_rule_button, self.remove_rule_button,
                  self.add_territory_button):  # fmt: skip
            w.setVisible(editable)
        self.rules.setDragEnabled(editable)
        self.territories.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            if editable
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        flags = Qt.ItemFlag.ItemIsEnabled | (
            Qt.ItemFlag.ItemIsUserCheckable if editable else Qt.ItemFlag.NoItemFlags
        )
        for i in range(self.pool.count()):
            self.pool.item(i).setFlags(flags)
        self.note.setText(
            "A lead goes to its account's owner, else the first matching rule whose member is "
            "available (not away, under capacity), else round-robin in the pool, else the "
            "manager's queue."
            + ("" if editable else " Read-only: only a manager or the owner can change it.")
        )

    # -- editing ------------------------------------------------------------------------------
    def _names(self) -> dict[int, str]:
        return dict(sorted((self.config.names if self.config else {}).items(), key=lambda x: x[1]))

    def _add_rule_item(self, rule: dict[str, Any], row: int | None = None) -> None:
        doc = RuleDoc(
            rule["name"], rule["conditions"], rule["target_user_id"], rule["target_pool"],
            rule["active"],
        )  # fmt: skip
        text = f"{doc.name}: {doc.sentence(self._names())}" + ("" if doc.active else "  (off)")
        item = QListWidgetItem(text)
        item.setData(RULE_ROLE, rule)
        if row is None:
            self.rules.addItem(item)
        else:
            self.rules.insertItem(row, item)

    def edit_rule(self, item: QListWidgetItem | None) -> None:
        if not self.ctx.can(Perm.ROUTING_EDIT):
            return
        current = item.data(RULE_ROLE) if item is not None else None
        doc = RuleDoc(**current) if current else None
        self.dialog = RuleDialog(doc, self._names(), self)

        def accepted() -> None:
            rule = self.dialog.rule()
            if item is not None:
                row = self.rules.row(item)
                self.rules.takeItem(row)
                self._add_rule_item(rule, row)
            else:
                self._add_rule_item(rule)

        self.dialog.accepted.connect(accepted)
        self.dialog.open()

    def _remove_rule(self) -> None:
        for item in self.rules.selectedItems():
            self.rules.takeItem(self.rules.row(item))

    def _add_territory(self, country: str = "", territory: str = "") -> None:
        row = self.territories.rowCount()
        self.territories.insertRow(row)
        self.territories.setItem(row, 0, QTableWidgetItem(country))
        self.territories.setItem(row, 1, QTableWidgetItem(territory))

    def draft(self) -> dict[str, Any]:
        """The edited set-up in the shape `set_routing` takes."""
        terr = {}
        for row in range(self.territories.rowCount()):
            country, territory = (self.territories.item(row, c) for c in (0, 1))
            if country and territory and country.text().strip() and territory.text().strip():
                terr[country.text().strip()] = territory.text().strip()
        checked = [
            int(self.pool.item(i).data(RULE_ROLE))
            for i in range(self.pool.count())
            if self.pool.item(i).checkState() == Qt.CheckState.Checked
        ]
        reps = self.config.reps if self.config else frozenset()
        return {
            "territories": terr,
            "rules": [self.rules.item(i).data(RULE_ROLE) for i in range(self.rules.count())],
            "pool": None if set(checked) == set(reps) else checked,
        }

    def run_preview(self) -> None:
        data, today = self.draft(), self.ctx.clock.now().date()
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
        run_op(self.ctx, routing_api.set_routing, self.draft(), parent=self)


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
