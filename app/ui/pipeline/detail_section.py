"""The lead panel's "Exit criteria" block: what the lead still needs to leave its stage."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from app.services.changes import Changes
from app.services.leads.detail import LeadDetail
from app.services.pipeline.gates import GateStatus, current_gate_status
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_sections import DetailSection


class GatesSection(DetailSection):
    title = "Exit criteria"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows = QVBoxLayout(self)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(4)
        self.lead_id: int | None = None
        ctx.events.changed.connect(self._on_changed)

    def _on_changed(self, changes: Changes) -> None:
        if self.lead_id is not None and (changes.affects(self.lead_id) or changes.pipeline):
            self._load(self.lead_id)

    def show_lead(self, detail: LeadDetail | None) -> None:
        self.lead_id = detail.row.id if detail else None
        if detail is None or detail.row.status != "open":
            self._fill([])
            return
        self._load(detail.row.id)

    def _load(self, lead_id: int) -> None:
        clock = self.ctx.clock

        def work(session: Session) -> list[GateStatus]:
            return current_gate_status(session, lead_id, clock.now())

        self.ctx.tasks.submit(work, on_done=self._fill, key="detail:gates")

    def _fill(self, items: list[GateStatus]) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        c = theme.colors()
        if not items:
            none = QLabel("Not in an open stage" if self.lead_id else "")
            none.setProperty("secondary", True)
            self.rows.addWidget(none)
        for status in items:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            h.setSpacing(6)
            icon = QLabel()
            name = "check-circle-outline" if status.met else "lock-outline"
            icon.setPixmap(theme.icon(name, c.success if status.met else c.warning).pixmap(14, 14))
            icon.setFixedWidth(16)
            text = QLabel(status.label + (f"\n{status.detail}" if status.detail else ""))
            text.setWordWrap(True)
            if status.met:
                text.setProperty("secondary", True)
            h.addWidget(icon)
            h.addWidget(text, 1)
            self.rows.addWidget(row)
