"""Alerts from the timer sweep: a list (model/view) with an unread badge, and desktop
notifications through the system tray. Clicking an alert opens its lead; an offer to nurture
carries a one-click "Move to Nurture" button.

Wiring (MainWindow):  center = install_alerts(window)  # starts the timer thread too
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QSystemTrayIcon,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.services.changes import Changes
from app.services.leads import api as leads_api
from app.services.timers import alerts as alert_svc
from app.services.timers.alerts import AlertInfo
from app.services.timers.api import mark_alerts_read
from app.services.timers.sweep import FiredAlert
from app.ui import theme
from app.ui.context import AppContext
from app.ui.ops import run_op

AnyIndex = QModelIndex | QPersistentModelIndex

ALERT_ROLE = Qt.ItemDataRole.UserRole + 1
LEAD_ID_ROLE = Qt.ItemDataRole.UserRole + 2
UNREAD_ROLE = Qt.ItemDataRole.UserRole + 3

KIND_LABELS = {
    "sla": "First response overdue",
    "sla_escalation": "Escalation",
    "stale": "Stale",
    "missed": "Missed follow-ups",
    "reengage": "Re-engagement",
    "nurture": "Moved to nurture",
    "reopen": "Reopened",
    "assigned": "New lead assigned",
    "backlog_import": "Backlog imported",
    "offer_nurture": "Offer to nurture",
    "missed_cadence": "Cadence not worked",
}
# Kinds that no sweep fires: the tray hears of them when the alert list refreshes.
NOTIFY_ON_LOAD = ("assigned",)
LEVEL_ICONS = {
    "danger": "alert-octagon-outline",
    "warning": "alert-outline",
    "info": "information-outline",
}


def level_color(level: str) -> str:
    c = theme.colors()
    return {"danger": c.danger, "warning": c.warning}.get(level, c.accent)


class AlertListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[AlertInfo] = []

    def set_rows(self, rows: list[AlertInfo]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[AlertInfo]:
        return list(self._rows)

    def alert(self, index: AnyIndex) -> AlertInfo | None:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        a = self.alert(index)
        if a is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return a.message
        if role == Qt.ItemDataRole.DecorationRole:
            return theme.icon(LEVEL_ICONS.get(a.level, "bell-outline"), level_color(a.level))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{KIND_LABELS.get(a.kind, a.kind)} · {a.fired_at.astimezone():%d %b %H:%M}"
        if role == Qt.ItemDataRole.FontRole and a.unread:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == ALERT_ROLE:
            return a
        if role == LEAD_ID_ROLE:
            return a.lead_id
        if role == UNREAD_ROLE:
            return a.unread
        return None

    def mark_read_locally(self, alert_ids: set[int] | None, when: datetime) -> None:
        """Show alerts as read at once; the store is updated in the background."""
        from dataclasses import replace

        for i, a in enumerate(self._rows):
            if a.unread and (alert_ids is None or a.id in alert_ids):
                self._rows[i] = replace(a, read_at=when)
                idx = self.index(i)
                self.dataChanged.emit(idx, idx)


NURTURE_ACTION = "Move to Nurture"


def _small(font: QFont) -> QFont:
    small = QFont(font)
    small.setPointSizeF(max(font.pointSizeF() - 1, 7))
    return small


class AlertDelegate(QStyledItemDelegate):
    """Icon by level, the message on up to two lines (bold while unread), kind and time; an
    offer to nurture has a "Move to Nurture" button at the right of that last line."""

    @staticmethod
    def action_rect(rect: QRect, font: QFont) -> QRect:
        """Where the row's "Move to Nurture" button is (for painting and for clicks)."""
        fm = QFontMetrics(_small(font))
        width, height = fm.horizontalAdvance(NURTURE_ACTION) + 20, fm.height() + 8
        return QRect(rect.right() - 10 - width, rect.bottom() - 6 - height, width, height)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        fm = QFontMetrics(option.font)
        return QSize(280, 3 * fm.height() + 20)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        a: AlertInfo | None = index.data(ALERT_ROLE)
        if a is None:
            return
        c = theme.colors()
        painter.save()
        rect = option.rect
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, QColor(c.highlight_drop))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor(c.surface_alt))
        painter.setPen(QPen(QColor(c.border), 1))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        if a.unread:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(c.accent))
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.drawEllipse(QRectF(rect.left() + 5, rect.top() + 14, 6, 6))
        icon = theme.icon(LEVEL_ICONS.get(a.level, "bell-outline"), level_color(a.level))
        icon.paint(painter, QRect(rect.left() + 16, rect.top() + 10, 18, 18))
        left = rect.left() + 44
        width = rect.right() - left - 8
        font = QFont(option.font)
        if a.unread:
            font.setWeight(QFont.Weight.DemiBold)
        fm = QFontMetrics(font)
        painter.setFont(font)
        painter.setPen(QColor(c.text))
        text_rect = QRect(left, rect.top() + 8, width, 2 * fm.height())
        painter.drawText(
            text_rect,
            int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignTop),
            _elide_lines(a.message, fm, width, 2),
        )
        small = _small(option.font)
        painter.setFont(small)
        button = self.action_rect(rect, option.font) if a.nurture_reason else None
        if button is not None:
            width = button.left() - 8 - left
        painter.setPen(QColor(c.text_secondary))
        painter.drawText(
            QRect(left, text_rect.bottom() + 2, width, QFontMetrics(small).height()),
            Qt.AlignmentFlag.AlignVCenter,
            f"{KIND_LABELS.get(a.kind, a.kind)} · {a.fired_at.astimezone():%a %d %b %H:%M}",
        )
        if button is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(c.accent), 1))
            painter.setBrush(QColor(c.surface))
            painter.drawRoundedRect(QRectF(button).adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
            painter.setPen(QColor(c.accent))
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, NURTURE_ACTION)
        painter.restore()


def _elide_lines(text: str, fm: QFontMetrics, width: int, lines: int) -> str:
    """Wrap `text` into at most `lines` lines of `width`, eliding the last."""
    words, out, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if fm.horizontalAdvance(trial) <= width or not line:
            line = trial
            continue
        out.append(line)
        line = word
        if len(out) == lines - 1:
            rest = " ".join([line, *words[words.index(word) + 1 :]])
            out.append(fm.elidedText(rest, Qt.TextElideMode.ElideRight, width))
            return "\n".join(out)
    out.append(line)
    return "\n".join(out[:lines])


class AlertNotifier(QObject):
    """Desktop notifications (system tray) for alerts addressed to the current user.

    Without a system tray (offscreen, some Linux desktops) the alert goes to the status bar.
    Clicking the notification opens the lead of the alert it showed.
    """

    def __init__(self, center: AlertCenter) -> None:
        super().__init__(center)
        self.center = center
        self.last: FiredAlert | None = None
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(theme.icon("bell-ring-outline", theme.colors().accent))
            self.tray.setToolTip("Leadgate alerts")
            self.tray.messageClicked.connect(self.message_clicked)
            self.tray.activated.connect(lambda _reason: self.message_clicked())
            self.tray.show()

    def notify(self, alerts: list[FiredAlert]) -> None:
        if not alerts:
            return
        order = {"danger": 0, "warning": 1, "info": 2}
        top = min(alerts, key=lambda a: order.get(a.level, 3))
        self.last = top
        title = KIND_LABELS.get(top.kind, "Leadgate alert")
        if len(alerts) > 1:
            title += f" (+{len(alerts) - 1} more)"
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            level = (
                QSystemTrayIcon.MessageIcon.Critical
                if top.level == "danger"
                else QSystemTrayIcon.MessageIcon.Warning
                if top.level == "warning"
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.tray.showMessage(title, top.message, level, 10_000)
        else:
            self.center.ctx.events.status_message.emit(f"{title}: {top.message}")

    def message_clicked(self) -> None:
        if self.last is not None and self.last.lead_id:
            self.center.open_lead(self.last.lead_id, key=self.last.key)


class AlertCenter(QObject):
    """The current user's alerts: list model, unread count, notifications, open on click."""

    unread_changed = Signal(int)
    refreshed = Signal()

    def __init__(self, ctx: AppContext, timer: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = AlertListModel(self)
        self.unread = 0
        self._loaded_once = False
        self.notifier = AlertNotifier(self)
        self.timer = timer
        if timer is not None:
            timer.alerts_fired.connect(self.on_fired)
        ctx.events.user_changed.connect(lambda _u: self.refresh())
        ctx.events.changed.connect(self._on_changed)

    def refresh(self) -> None:
        user_id = self.ctx.user.id

        def work(session: Session) -> tuple[list[AlertInfo], int]:
            return (
                alert_svc.list_alerts(session, user_id=user_id, limit=200),
                alert_svc.unread_count(session, user_id=user_id),
            )

        self.ctx.tasks.submit(work, on_done=self._on_loaded, key=f"alerts:{id(self)}")

    def _on_loaded(self, result: tuple[list[AlertInfo], int]) -> None:
        rows, unread = result
        seen = {a.id for a in self.model.rows()}
        if self._loaded_once:
            # Alerts raised by an action rather than the sweep (a lead assigned to this rep,
            # here or on another workstation) reach the tray when the list learns of them.
            self.notifier.notify(
                [
                    FiredAlert(a.key, a.kind, a.lead_id, a.user_id, a.level, a.message)
                    for a in rows
                    if a.id not in seen and a.unread and a.kind in NOTIFY_ON_LOAD
                ]
            )
        self._loaded_once = True
        self.model.set_rows(rows)
        self._set_unread(unread)
        self.refreshed.emit()

    def _set_unread(self, count: int) -> None:
        if count != self.unread:
            self.unread = count
            self.unread_changed.emit(count)

    def on_fired(self, fired: list[FiredAlert]) -> None:
        mine = [a for a in fired if a.user_id == self.ctx.user.id]
        if mine:
            self.notifier.notify(mine)
            self.refresh()

    def open_lead(
        self, lead_id: int, *, alert_id: int | None = None, key: str | None = None
    ) -> None:
        """Open the alert's lead and mark the alert read."""
        self.ctx.events.open_lead.emit(lead_id)
        self.ctx.events.lead_selected.emit(lead_id)
        ids = {alert_id} if alert_id is not None else None
        if ids is None and key is not None:
            ids = {a.id for a in self.model.rows() if a.key == key}
        if ids:
            self.mark_read(ids)

    def move_to_nurture(self, alert: AlertInfo) -> None:
        """The offer's one click: the lead goes to Nurture with the reason the sweep recorded;
        the alert is read."""
        reason = alert.nurture_reason
        if alert.lead_id is None or reason is None:
            return
        name = alert.lead_name or "The lead"
        run_op(
            self.ctx,
            leads_api.nurture_lead,
            alert.lead_id,
            reason,
            on_done=lambda _r: self.ctx.events.status_message.emit(f"{name} moved to Nurture."),
        )
        self.mark_read({alert.id})

    def mark_read(self, alert_ids: set[int] | None = None) -> None:
        """Mark the user's alerts read (these, or all): at once here, then in the store."""
        now = self.ctx.clock.now()
        before = sum(1 for a in self.model.rows() if a.unread)
        self.model.mark_read_locally(alert_ids, now)
        after = sum(1 for a in self.model.rows() if a.unread)
        self._set_unread(max(self.unread - (before - after), 0))
        ids = sorted(alert_ids) if alert_ids else None
        # The broadcast (changes.alerts) refreshes the list; a failure puts the truth back.
        run_op(self.ctx, mark_alerts_read, ids, on_error=lambda _e: self.refresh())

    def _on_changed(self, changes: Changes) -> None:
        if changes.alerts:
            self.refresh()


class AlertsPanel(QFrame):
    """The alert list: newest first, unread in bold with a dot; click opens the lead."""

    def __init__(self, center: AlertCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.center = center
        self.setObjectName("AlertsPanel")  # styled by the theme
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(4)
        top = QHBoxLayout()
        top.setContentsMargins(12, 0, 8, 0)
        title = QLabel("Alerts")
        title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.count = QLabel()
        self.count.setProperty("secondary", True)
        self.read_all = QPushButton("Mark all read")
        self.read_all.setFlat(True)
        self.read_all.clicked.connect(lambda: center.mark_read(None))
        top.addWidget(title)
        top.addWidget(self.count)
        top.addStretch(1)
        top.addWidget(self.read_all)
        layout.addLayout(top)
        self.list = QListView()
        self.list.setModel(center.model)
        self.list.setItemDelegate(AlertDelegate(self.list))
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setMouseTracking(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.clicked.connect(self._open)
        self.list.activated.connect(self._open)
        self.list.viewport().installEventFilter(self)  # the rows' Move to Nurture buttons
        self.empty = QLabel(
            "No alerts. Leadgate checks every 30 seconds for first responses running late, "
            "stale leads and missed follow-ups, and tells you here."
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("secondary", True)
        self.empty.setContentsMargins(16, 16, 16, 16)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        center.refreshed.connect(self._update)
        center.unread_changed.connect(lambda _n: self._update())
        self._update()

    def _update(self) -> None:
        unread = self.center.unread
        self.count.setText(f"{unread} unread" if unread else "all read")
        self.read_all.setEnabled(unread > 0)
        self.stack.setCurrentIndex(0 if self.center.model.rowCount() else 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A click on a row's "Move to Nurture" button moves the lead (and does not open it)."""
        if event.type() == QEvent.Type.MouseButtonRelease and isinstance(event, QMouseEvent):
            pos = event.position().toPoint()
            index = self.list.indexAt(pos)
            alert = self.center.model.alert(index)
            if alert is not None and alert.nurture_reason:
                button = AlertDelegate.action_rect(self.list.visualRect(index), self.list.font())
                if button.contains(pos):
                    self.center.move_to_nurture(alert)
                    return True
        return super().eventFilter(watched, event)

    def _open(self, index: QModelIndex) -> None:
        alert = self.center.model.alert(index)
        if alert is None:
            return
        if alert.lead_id:
            self.center.open_lead(alert.lead_id, alert_id=alert.id)
        else:
            self.center.mark_read({alert.id})


class AlertsButton(QToolButton):
    """A bell with the unread count as a red badge; click shows the alerts panel as a popup."""

    def __init__(self, center: AlertCenter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.center = center
        self.setIcon(theme.icon("bell-outline"))
        self.setIconSize(QSize(18, 18))
        self.setAutoRaise(True)
        self.setFixedSize(QSize(36, 28))
        self.setToolTip("Alerts")
        self.setAccessibleName("Alerts")
        self.popup = QFrame(self, Qt.WindowType.Popup)
        popup_layout = QVBoxLayout(self.popup)
        popup_layout.setContentsMargins(0, 0, 0, 0)
        self.panel = AlertsPanel(center, self.popup)
        popup_layout.addWidget(self.panel)
        self.popup.resize(400, 480)
        self.clicked.connect(self.show_popup)
        center.unread_changed.connect(self._on_unread)
        self._on_unread(center.unread)

    def _on_unread(self, count: int) -> None:
        self.setToolTip(f"Alerts: {count} unread" if count else "Alerts")
        self.update()

    def show_popup(self) -> None:
        self.center.refresh()
        size = self.popup.size()
        corner = self.mapToGlobal(QPoint(self.width(), 0))
        # open upwards from the status bar, right-aligned with the bell
        self.popup.move(corner.x() - size.width(), corner.y() - size.height() - 4)
        self.popup.show()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        count = self.center.unread
        if not count:
            return
        c = theme.colors()
        text = "99+" if count > 99 else str(count)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() - 2, 6))
        font.setWeight(QFont.Weight.Bold)
        painter.setFont(font)
        fm = QFontMetrics(font)
        h = fm.height() + 1
        w = max(h, fm.horizontalAdvance(text) + 6)
        badge = QRectF(self.width() - w - 1, 1, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.danger))
        painter.drawRoundedRect(badge, h / 2, h / 2)
        painter.setPen(QColor(c.accent_text))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()


def install_alerts(window: Any, *, interval_seconds: float | None = None) -> AlertCenter:
    """Start the timer thread for `window` and put the alerts bell in its status bar."""
    from app.ui.timers import start_timer_thread

    timer = start_timer_thread(window.ctx, window, interval_seconds=interval_seconds)
    center = AlertCenter(window.ctx, timer, window)
    window.alerts = center
    window.alerts_button = AlertsButton(center)
    window.statusBar().addPermanentWidget(window.alerts_button)
    timer.swept.connect(lambda _r: center.refresh())
    center.refresh()
    return center
