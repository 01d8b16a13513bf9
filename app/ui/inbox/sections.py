"""Lead panel sections from the inbox feature: score explanation, routing, quick actions."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.changes import Result
from app.services.leads import api as leads_api
from app.services.leads.detail import LeadDetail
from app.services.routing.core import rep_loads
from app.services.scoring.engine import GROUPS
from app.services.scoring.explain import Explanation, explain
from app.services.scoring.rules import load_rules
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_sections import DetailSection
from app.ui.inbox.disqualify_dialog import DisqualifyDialog
from app.ui.inbox.model import age_text
from app.ui.ops import run_op

GROUP_TITLES = {"fit": "Fit", "intent": "Intent", "authority": "Authority", "timing": "Timing"}


class ScoreBar(QWidget):
    """A thin horizontal bar: value out of maximum, in the tier's colour."""

    def __init__(self) -> None:
        super().__init__()
        self.value = 0
        self.maximum = 1
        self.tier: str | None = None
        self.setFixedHeight(6)

    def sizeHint(self) -> QSize:
        return QSize(120, 6)

    def set(self, value: int, maximum: int, tier: str | None) -> None:
        self.value, self.maximum, self.tier = value, max(1, maximum), tier
        self.update()

    def paintEvent(self, _event: QPaintEvent) -> None:
        c = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        r = QRectF(self.rect())
        p.setBrush(c.q("surface_alt"))
        p.drawRoundedRect(r, 3, 3)
        share = max(0.0, min(1.0, self.value / self.maximum))
        p.setBrush(c.tier_color(self.tier))
        p.drawRoundedRect(QRectF(r.left(), r.top(), r.width() * share, r.height()), 3, 3)
        p.end()


def tier_chip_html(tier: str | None) -> str:
    c = theme.colors()
    if not tier:
        return ""
    return (
        f"<span style='background:{c.tier_bg.get(tier, c.surface_alt)};"
        f"color:{c.tier.get(tier, c.text_secondary)};font-weight:600'>&nbsp;{tier}&nbsp;</span>"
    )


def ago(when: datetime | None, now: datetime) -> str:
    return f"{age_text(now - when)} ago" if when else ""


class ScoreSection(DetailSection):
    """The four sub-scores, every contribution (with decay) and why the tier last changed."""

    title = "Score"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.explanation: Explanation | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.headline = QLabel()
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.action = QLabel()
        self.action.setWordWrap(True)
        layout.addWidget(self.headline)
        layout.addWidget(self.action)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.bars: dict[str, tuple[ScoreBar, QLabel]] = {}
        for row, group in enumerate(GROUPS):
            name = QLabel(GROUP_TITLES[group])
            name.setProperty("secondary", True)
            bar = ScoreBar()
            value = QLabel()
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setMinimumWidth(44)
            grid.addWidget(name, row, 0)
            grid.addWidget(bar, row, 1)
            grid.addWidget(value, row, 2)
            self.bars[group] = (bar, value)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.contributions = QLabel()
        self.contributions.setTextFormat(Qt.TextFormat.RichText)
        self.contributions.setWordWrap(True)
        layout.addWidget(self.contributions)
        self.change = QLabel()
        self.change.setWordWrap(True)
        self.change.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.change)

    def show_lead(self, detail: LeadDetail | None) -> None:
        if detail is None:
            self._render(None)
            return
        lead_id, clock = detail.row.id, self.ctx.clock

        def work(s: Any) -> tuple[Explanation | None, dict[str, int]]:
            e = explain(s, clock, lead_id)
            return e, load_rules(s)["caps"]

        self.ctx.tasks.submit(work, on_done=self._render, key="score-section")

    def _render(self, result: tuple[Explanation | None, dict[str, int]] | None) -> None:
        e, caps = result if result else (None, {})
        self.explanation = e
        if e is None:
            for w in (self.headline, self.action, self.contributions, self.change):
                w.clear()
            return
        c = theme.colors()
        self.headline.setText(
            f"{tier_chip_html(e.tier)}&nbsp;&nbsp;<span style='font-size:16px;font-weight:600'>"
            f"{e.score}</span><span style='color:{c.text_secondary}'> / 100</span>"
        )
        self.action.setText(e.action)
        for group, (bar, value) in self.bars.items():
            cap = int(caps.get(group, 100))
            bar.set(e.sub_scores[group], cap, e.tier)
            value.setText(f"{e.sub_scores[group]} / {cap}")
        now = self.ctx.clock.now()
        rows = []
        for item in sorted(e.contributions, key=lambda x: -abs(x.points)):
            decay = ""
            if item.when is not None and abs(item.value - item.base) >= 0.5:
                decay = f" · {item.base:g} pts faded to {item.value:.1f}"
            when = f" · {ago(item.when, now)}" if item.when else ""
            colour = c.danger if item.points < 0 else c.text
            rows.append(
                f"<tr><td align='right' style='color:{colour};padding-right:8px'>"
                f"{item.points:+d}</td><td>{html.escape(item.rule)}"
                f"<span style='color:{c.text_secondary}'>{html.escape(when + decay)}</span>"
                "</td></tr>"
            )
        self.contributions.setText(
            "<table cellspacing='0' cellpadding='1'>" + "".join(rows) + "</table>"
            if rows
            else f"<span style='color:{c.text_secondary}'>No scoring signals yet.</span>"
        )
        if e.tier_changes:
            last = e.tier_changes[0]
            changed_at = datetime.fromisoformat(last["at"])
            self.change.setText(
                f"<b>{html.escape(str(last['text']))}</b> "
                f"<span style='color:{c.text_secondary}'>{ago(changed_at, now)}</span><br>"
                f"{html.escape(str(last.get('detail') or ''))}"
            )
        else:
            self.change.clear()


class RoutingSection(DetailSection):
    title = "Routing"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.owner = QLabel()
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        self.reason.setProperty("secondary", True)
        layout.addWidget(self.owner)
        layout.addWidget(self.reason)

    def show_lead(self, detail: LeadDetail | None) -> None:
        if detail is None:
            self.owner.clear()
            self.reason.clear()
            return
        self.owner.setText(f"Owner: <b>{html.escape(detail.row.owner or 'Unassigned')}</b>")
        self.reason.setText(detail.routing_reason or "Not routed yet.")


class QuickActionsSection(DetailSection):
    """Log a first contact / call / e-mail, assign (or take), disqualify: the next move.

    Each button is one API call through run_op; the views refresh from its broadcast. Assign
    is offered to a role that may assign (Perm.LEAD_ASSIGN), Take to one that may only claim
    an unassigned lead for itself."""

    title = "Quick actions"

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.lead_id = 0
        self._users: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(4)
        self.buttons: dict[str, QPushButton] = {}
        for i, (channel, label, icon) in enumerate(
            (
                ("call", "Call", "phone-outline"),
                ("email", "E-mail", "email-outline"),
                ("linkedin", "LinkedIn", "linkedin"),
            )
        ):
            button = QPushButton(label)
            button.setIcon(theme.icon(icon))
            button.setToolTip(f"Log a {label.lower()} done now")
            button.setProperty("compact", True)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _c=False, ch=channel: self.log(ch))
            grid.addWidget(button, 0, i)
            self.buttons[channel] = button
        self.assign = QToolButton()
        self.assign.setText("Assign…")
        self.assign.setIcon(theme.icon("account-arrow-right-outline"))
        self.assign.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.assign.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.assign.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.menu = QMenu(self.assign)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.assign.setMenu(self.menu)
        self.take = QPushButton("Take lead")
        self.take.setProperty("compact", True)
        self.take.setIcon(theme.icon("account-arrow-right-outline"))
        self.take.setToolTip("Make this unassigned lead yours")
        self.take.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.take.clicked.connect(self.claim)
        self.disqualify_button = QPushButton("Disqualify…")
        self.disqualify_button.setProperty("compact", True)
        self.disqualify_button.setIcon(theme.icon("close-circle-outline", theme.colors().danger))
        self.disqualify_button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.disqualify_button.clicked.connect(self.disqualify)
        layout.addLayout(grid)
        row2 = QGridLayout()
        row2.setHorizontalSpacing(4)
        row2.addWidget(self.assign, 0, 0)
        row2.addWidget(self.take, 0, 0)
        row2.addWidget(self.disqualify_button, 0, 1)
        layout.addLayout(row2)
        self._owner_id: int | None = None
        self._lead_name = ""
        self.disqualify_dialog: DisqualifyDialog | None = None
        self._show_allowed()
        ctx.events.user_changed.connect(lambda _u: self._show_allowed())

    def _show_allowed(self) -> None:
        """Offer Assign to a role that may assign, Take (an unassigned lead) to the others."""
        may_assign = self.ctx.can(Perm.LEAD_ASSIGN)
        self.assign.setVisible(may_assign)
        self.take.setVisible(
            not may_assign
            and self.ctx.can(Perm.LEAD_CLAIM)
            and self.lead_id != 0
            and self._owner_id is None
        )

    def show_lead(self, detail: LeadDetail | None) -> None:
        self.lead_id = detail.row.id if detail else 0
        self._owner_id = detail.row.owner_id if detail else None
        self._lead_name = detail.row.name if detail else ""
        self._show_allowed()
        if detail is None:
            self.hint.clear()
            return
        row = detail.row
        if row.first_contacted_at is None:
            self.hint.setText("Not contacted yet: the first touch you log stops the countdown.")
            self.hint.setProperty("secondary", False)
        else:
            self.hint.setText(f"Last touch {ago(row.last_touch_at, self.ctx.clock.now())}.")
        if self.ctx.can(Perm.LEAD_ASSIGN):
            self.ctx.tasks.submit(rep_loads, on_done=self._set_users, key="actions-users")

    def _set_users(self, users: list[dict[str, Any]]) -> None:
        self._users = users

    def _fill_menu(self) -> None:
        self.menu.clear()
        for user in self._users:
            load = f"{user['open_leads']}/{user['capacity']}" if user["capacity"] else "no limit"
            away = "" if user["available"] else " · away"
            action = self.menu.addAction(f"{user['name']}  ({load}{away})")
            action.triggered.connect(lambda _c=False, uid=user["id"]: self.assign_to(uid))

    def _run(self, fn: Callable[..., Result[Any]], *args: Any, message: str, **kwargs: Any) -> None:
        """One API call on the shown lead: `fn(uow, actor, lead_id, *args, **kwargs)`."""
        if not self.lead_id:
            return
        run_op(
            self.ctx,
            fn,
            self.lead_id,
            *args,
            on_done=lambda _value: self.ctx.events.status_message.emit(message),
            parent=self,
            **kwargs,
        )

    def log(self, channel: str) -> None:
        self._run(leads_api.log_contact, channel, message=f"Logged {channel} on the lead.")

    def assign_to(self, owner_id: int) -> None:
        if self.lead_id:
            run_op(
                self.ctx,
                leads_api.assign_leads,
                [self.lead_id],
                owner_id,
                on_done=lambda _n: self.ctx.events.status_message.emit("Lead assigned."),
                parent=self,
            )

    def claim(self) -> None:
        self._run(leads_api.claim_lead, message="The lead is yours.")

    def disqualify(self) -> None:
        """Ask the reason (and, for bad timing, the revisit date), then disqualify."""
        if not self.lead_id:
            return
        today = self.ctx.clock.now().astimezone(UTC).date()
        dialog = DisqualifyDialog(self._lead_name or "this lead", today, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._disqualify(*dialog.values()))
        self.disqualify_dialog = dialog
        dialog.open()

    def _disqualify(self, reason: str, revisit_at: datetime | None) -> None:
        self._run(
            leads_api.disqualify_lead, reason, message="Lead disqualified.", revisit_at=revisit_at
        )
