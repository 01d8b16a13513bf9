"""An account: its company, domain and owner, its leads, and their history."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.accounts import api as accounts_api
from app.services.accounts.core import AccountDetail
from app.ui.common.rows_model import RowsModel
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.workers import TaskError

LEAD_COLUMNS = ("Lead", "E-mail", "Status", "Tier", "Score", "Owner", "Captured")


def _table(model: RowsModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(28)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class AccountDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        *,
        account_id: int | None = None,
        lead_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.detail: AccountDetail | None = None
        self.setWindowTitle("Account")
        self.resize(820, 560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        self.title = QLabel("Account")
        self.title.setObjectName("ViewTitle")
        layout.addWidget(self.title)
        self.facts = QLabel()
        self.facts.setProperty("secondary", True)
        self.facts.setWordWrap(True)
        layout.addWidget(self.facts)
        self.leads_label = QLabel("Leads")
        layout.addWidget(self.leads_label)
        self.lead_model = RowsModel(LEAD_COLUMNS, self)
        self.leads = _table(self.lead_model)
        self.leads.doubleClicked.connect(self._open_lead)
        layout.addWidget(self.leads, 3)
        layout.addWidget(QLabel("History"))
        self.history_model = RowsModel(("When", "Lead", "What", "Note"), self)
        self.history = _table(self.history_model)
        layout.addWidget(self.history, 2)
        row = QHBoxLayout()
        self.hint = QLabel("Double-click a lead to open it.")
        self.hint.setProperty("secondary", True)
        row.addWidget(self.hint, 1)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(close)
        layout.addLayout(row)
        run_op(
            ctx, accounts_api.account_detail, account_id, lead_id,
            on_done=self._show, on_error=self._failed, parent=self,
        )  # fmt: skip

    def _show(self, detail: AccountDetail) -> None:
        self.detail = detail
        a = detail.account
        self.title.setText(a.company)
        self.setWindowTitle(f"Account: {a.company}")
        self.facts.setText(
            f"{a.domain or 'No e-mail domain'} · owner: {a.owner or 'nobody yet'} · "
            f"{a.leads:,} lead{'s' if a.leads != 1 else ''}, {a.open_leads:,} open. New leads "
            "at this account go to its owner."
        )
        self.leads_label.setText(f"Leads ({len(detail.leads):,})")
        self.lead_model.set_rows(
            [
                (
                    lead["name"],
                    lead["email"] or "",
                    lead["status"],
                    lead["tier"] or "",
                    str(lead["score"]),
                    lead["owner"] or "-",
                    (lead["captured_at"] or "")[:10],
                )
                for lead in detail.leads
            ],
            [lead["id"] for lead in detail.leads],
        )
        self.history_model.set_rows(
            [
                (
                    (h["at"] or "")[:16].replace("T", " "),
                    h["lead"] or "",
                    h["kind"],
                    h["note"] or "",
                )
                for h in detail.history
            ]
        )

    def _open_lead(self, index: QModelIndex) -> None:
        lead_id = self.lead_model.data(index, Qt.ItemDataRole.UserRole)
        if lead_id is not None:
            self.ctx.events.lead_selected.emit(int(lead_id))
            self.ctx.events.open_lead.emit(int(lead_id))

    def _failed(self, error: TaskError) -> None:
        self.facts.setText(error.message)
