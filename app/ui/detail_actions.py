"""The panel's quick actions as a rep uses them: Won / Lost at the top for an open lead, and
Call / E-mail / LinkedIn that open the log dialog (outcome, note, next step) instead of
logging a touch at once, so a mis-click never fakes a first response."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QVBoxLayout
from sqlalchemy.orm import Session

from app.models import Lead, StageKind
from app.services.auth import Perm
from app.services.leads import api as leads_api
from app.services.leads.detail import LeadDetail
from app.services.leads.moves import GateAnswers, MoveResult
from app.services.pipeline.stages import StageInfo, list_stages
from app.services.team.users import UserInfo, list_users
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_log import LogActivityDialog
from app.ui.inbox.sections import QuickActionsSection
from app.ui.ops import run_op
from app.ui.pipeline.dialogs import ExitDialog, GateDialog, GateRequest
from app.ui.workers import TaskError


def _exits(
    session: Session, lead_id: int
) -> tuple[StageInfo | None, StageInfo | None, list[UserInfo]]:
    """The lead's pipeline's Won and Lost stages, and the team (the gate dialog's owners)."""
    lead = session.get(Lead, lead_id)
    stages = list_stages(session, lead.pipeline_id if lead is not None else None)
    won = next((s for s in stages if s.kind == StageKind.WON), None)
    lost = next((s for s in stages if s.kind == StageKind.LOST and s.name == "Lost"), None)
    lost = lost or next((s for s in stages if s.kind == StageKind.LOST), None)
    return won, lost, list_users(session)


class RecordActionsSection(QuickActionsSection):
    """QuickActionsSection (assign, take, disqualify) with Won / Lost and logging by dialog."""

    def __init__(self, ctx: AppContext) -> None:
        super().__init__(ctx)
        self.detail: LeadDetail | None = None
        self.log_dialog: LogActivityDialog | None = None
        self.exit_dialog: ExitDialog | None = None
        self.gate_dialog: GateDialog | None = None
        for channel, button in self.buttons.items():
            words = {"call": "call", "email": "e-mail", "linkedin": "LinkedIn message"}[channel]
            button.setToolTip(f"Log a {words}: outcome, note and the next step")
        row = QGridLayout()
        row.setHorizontalSpacing(4)
        self.won_button = QPushButton(theme.icon("trophy-outline", theme.colors().success), "Won")
        self.won_button.setToolTip("Mark the deal won (its gate is checked like a move)")
        self.lost_button = QPushButton(
            theme.icon("close-octagon-outline", theme.colors().danger), "Lost…"
        )
        self.lost_button.setToolTip("Mark the deal lost, with the reason")
        for i, button in enumerate((self.won_button, self.lost_button)):
            button.setProperty("compact", True)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            row.addWidget(button, 0, i)
        self.won_button.clicked.connect(lambda: self.close_deal(StageKind.WON))
        self.lost_button.clicked.connect(lambda: self.close_deal(StageKind.LOST))
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertLayout(0, row)

    def show_lead(self, detail: LeadDetail | None) -> None:
        self.detail = detail
        super().show_lead(detail)
        is_open = detail is not None and detail.row.status == "open"
        may_move = self.ctx.can(Perm.LEAD_MOVE)
        self.won_button.setVisible(is_open and may_move)
        self.lost_button.setVisible(is_open and may_move)

    # -- logging ----------------------------------------------------------------------------
    def log(self, channel: str) -> None:
        """Open the log dialog (nothing is stored until it is confirmed)."""
        if self.detail is None:
            return
        row = self.detail.row
        self.log_dialog = LogActivityDialog(self.ctx, row.id, row.name, channel, row.version, self)
        self.log_dialog.open()

    # -- Won / Lost -------------------------------------------------------------------------
    def close_deal(self, kind: str) -> None:
        if self.detail is None:
            return
        lead_id = self.detail.row.id
        self.ctx.tasks.submit(
            lambda s: _exits(s, lead_id),
            on_done=lambda found: self._close_with(kind, found),
            key="actions-exits",
        )

    def _close_with(
        self, kind: str, found: tuple[StageInfo | None, StageInfo | None, list[UserInfo]]
    ) -> None:
        if self.detail is None:
            return
        won, lost, users = found
        row = self.detail.row
        target = won if kind == StageKind.WON else lost
        if target is None:
            self.ctx.events.status_message.emit("This pipeline has no such exit stage.")
            return
        if kind == StageKind.LOST:
            dialog = ExitDialog(row.name, target.name, self.ctx.clock.now(), self)
            self.exit_dialog = dialog
            dialog.accepted.connect(
                lambda: self._move(row.id, row.version, target, row.name, users, dialog.values())
            )
            dialog.open()
            return
        self._move(row.id, row.version, target, row.name, users, {})

    def _move(
        self,
        lead_id: int,
        version: int,
        target: StageInfo,
        name: str,
        users: list[UserInfo],
        extra: dict[str, Any],
    ) -> None:
        def done(result: MoveResult) -> None:
            if result.moved:
                self.ctx.events.status_message.emit(f"Moved {name} to {result.to_stage}.")
            elif result.kind == "blocked":
                self._open_gate(result, name, users)

        run_op(self.ctx, leads_api.move_lead, lead_id, target.id, version, **extra, on_done=done)

    def _open_gate(self, result: MoveResult, name: str, users: list[UserInfo]) -> None:
        request = GateRequest(
            result.lead_id,
            name,
            result.version,
            result.from_stage,
            result.to_stage_id,
            result.to_stage,
        )
        dialog = GateDialog(
            request,
            result.unmet,
            users,
            self.ctx.can(Perm.GATE_OVERRIDE),
            self.ctx.clock.now(),
            self,
        )
        dialog.submit.connect(lambda answers, reason: self._complete(dialog, answers, reason))
        self.gate_dialog = dialog
        dialog.open()

    def _complete(self, dialog: GateDialog, answers: GateAnswers, reason: str | None) -> None:
        req = dialog.request

        def done(result: MoveResult) -> None:
            req.version = result.version
            if result.moved:
                dialog.accept()
                self.ctx.events.status_message.emit(f"Moved {req.lead_name} to {result.to_stage}.")
            else:
                dialog.set_busy(False)
                dialog.show_unmet(result.unmet, "Saved. Still missing before the move:")

        def failed(err: TaskError) -> None:
            dialog.show_error(err.message)

        run_op(
            self.ctx,
            leads_api.complete_move,
            req.lead_id,
            req.to_stage_id,
            req.version,
            answers,
            reason,
            on_done=done,
            on_error=failed,
        )
