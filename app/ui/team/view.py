"""The Team page: owners and managers add, edit and deactivate members; reps read it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.changes import Changes
from app.services.team import api as team_api
from app.services.team.users import TeamRow, UserInfo, team_rows
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.team.delegate import TeamDelegate
from app.ui.team.dialogs import DeactivateDialog, MemberDialog
from app.ui.team.model import USER_ROLE, TeamModel


class TeamView(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = TeamModel(ctx.clock.now().date())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(12)
        top = QHBoxLayout()
        title = QLabel("Team")
        title.setObjectName("ViewTitle")
        top.addWidget(title)
        top.addStretch(1)
        self.add_button = QPushButton("Add member")
        self.add_button.setProperty("primary", True)
        self.edit_button = QPushButton("Edit…")
        self.deactivate_button = QPushButton("Deactivate…")
        for b in (self.edit_button, self.deactivate_button, self.add_button):
            top.addWidget(b)
        layout.addLayout(top)
        self.note = QLabel()
        self.note.setProperty("secondary", True)
        layout.addWidget(self.note)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        for col, width in enumerate((190, 100, 160, 150, 200)):
            self.table.setColumnWidth(col, width)
        self.table.setShowGrid(False)
        self.table.setItemDelegate(TeamDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(90)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.table, 1)

        self.add_button.clicked.connect(self.add_member)
        self.edit_button.clicked.connect(lambda: self.edit_member())
        self.deactivate_button.clicked.connect(lambda: self.deactivate_member())
        self.table.doubleClicked.connect(lambda index: self.edit_member(index))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        ctx.events.changed.connect(self._on_changed)
        ctx.events.user_changed.connect(lambda _u: self._update_buttons())
        self.dialog: Any = None  # the open dialog (tests reach it here)
        self._update_buttons()
        self.refresh()

    # -- reading ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ctx.tasks.submit(team_rows, on_done=self._loaded, key="team-rows")

    def _loaded(self, rows: list[TeamRow]) -> None:
        self.model.set_rows(rows, self.ctx.clock.now().date())
        self._update_buttons()

    def _on_changed(self, changes: Changes) -> None:
        if changes.users or changes.leads or changes.all_leads:
            self.refresh()

    def activate(self) -> None:
        self.refresh()

    @property
    def editable(self) -> bool:
        return self.ctx.can(Perm.USERS_EDIT)

    def _update_buttons(self) -> None:
        editable = self.editable
        for b in (self.add_button, self.edit_button, self.deactivate_button):
            b.setVisible(editable)
        selected = self.selected()
        self.edit_button.setEnabled(selected is not None)
        self.deactivate_button.setEnabled(selected is not None and selected.active)
        self.note.setText(
            "Double-click a member to edit. Routing skips anyone away or at capacity."
            if editable
            else "Read-only: only a manager or the owner can change the team."
        )

    def selected(self) -> UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.data(rows[0], USER_ROLE) if rows else None

    # -- actions ------------------------------------------------------------------------------
    def add_member(self) -> None:
        if not self.editable:
            return
        self.dialog = MemberDialog(self.ctx.clock.now().date(), None, self)
        self.dialog.accepted.connect(self._add_accepted)
        self.dialog.open()

    def _add_accepted(self) -> None:
        values = self.dialog.values()
        values["absences"] = tuple(values["absences"])
        run_op(self.ctx, team_api.add_user, **values, parent=self)

    def edit_member(self, index: QModelIndex | None = None) -> None:
        user = self.model.data(index, USER_ROLE) if index is not None else self.selected()
        if user is None or not self.editable:
            return
        self.dialog = MemberDialog(self.ctx.clock.now().date(), user, self)
        self.dialog.accepted.connect(lambda: self._edit_accepted(user))
        self.dialog.open()

    def _edit_accepted(self, user: UserInfo) -> None:
        values = self.dialog.values()
        if values["role"] == user.role:
            values.pop("role")  # a manager may edit the owner's hours, not their role
        run_op(self.ctx, team_api.update_user, user.id, **values, parent=self)

    def deactivate_member(self) -> None:
        user = self.selected()
        if user is None or not self.editable or not user.active:
            return
        row = next(r for r in self.model.rows if r.user.id == user.id)
        team = [r.user for r in self.model.rows]
        self.dialog = DeactivateDialog(user, row.open_leads, team, self)
        self.dialog.accepted.connect(lambda: self._deactivate_accepted(user))
        self.dialog.open()

    def _deactivate_accepted(self, user: UserInfo) -> None:
        leads_to = self.dialog.leads_to()
        run_op(self.ctx, team_api.deactivate_user, user.id, leads_to=leads_to, parent=self)
