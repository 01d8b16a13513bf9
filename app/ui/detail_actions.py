"""The panel's quick actions as a rep uses them: Won / Lost at the top for an open lead, and
Call / E-mail / LinkedIn that open the log dialog (outcome, note, next step) instead of
logging a touch at once, so a mis-click never fakes a first response."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGridLayout, QPushButton, QSizePolicy, QVBoxLayout

from app.models import StageKind
from app.services.auth import Perm
from app.services.leads import api as leads_api
from app.services.leads.detail import LeadDetail
from app.services.leads.moves import GateAnswers, MoveResult
from app.services.pipeline.stages import StageInfo, won_and_lost_stages
from app.services.team.users import UserInfo, list_users
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_log import LogActivityDialog
from app.ui.inbox.sections import QuickActionsSection
from app.ui.ops import run_op
from app.ui.pipeline.dialogs import ExitDialog, GateDialog, after_gate_submit, open_gate_dialog
from app.ui.workers import TaskError


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
            lambda s: (*won_and_lost_stages(s, lead_id), list_users(s)),
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
        self.gate_dialog = open_gate_dialog(self.ctx, self, result, name, users, self._complete)

    def _complete(self, dialog: GateDialog, answers: GateAnswers, reason: str | None) -> None:
        req = dialog.request
        done = after_gate_submit(
            dialog,
            lambda result: self.ctx.events.status_message.emit(
                f"Moved {req.lead_name} to {result.to_stage}."
            ),
        )

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
