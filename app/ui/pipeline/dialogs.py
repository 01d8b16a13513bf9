"""The gate dialog (satisfy what blocks a move, or override it) and the exit reason dialog."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from app.services.auth import Perm
from app.services.leads.moves import (
    EXIT_REASONS,
    NEEDS_COMPETITOR,
    NEEDS_REVISIT,
    GateAnswers,
    MoveResult,
)
from app.services.pipeline.gates import UnmetCriterion
from app.services.team.users import UserInfo
from app.ui import theme

if TYPE_CHECKING:
    from app.ui.context import AppContext


def _secondary(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("secondary", True)
    label.setWordWrap(True)
    return label


class DateField(QWidget):
    """A date typed as YYYY-MM-DD or picked from a calendar; empty until the user acts."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("YYYY-MM-DD")
        self.edit.textChanged.connect(self.changed)
        self.pick = QToolButton()
        self.pick.setIcon(theme.icon("calendar-month-outline"))
        self.pick.setToolTip("Pick a date")
        self.pick.clicked.connect(self._popup)
        row.addWidget(self.edit, 1)
        row.addWidget(self.pick)
        self.setFocusProxy(self.edit)

    def _popup(self) -> None:
        menu = QMenu(self)
        calendar = QCalendarWidget(menu)
        current = QDate.fromString(self.edit.text().strip(), "yyyy-MM-dd")
        calendar.setSelectedDate(current if current.isValid() else QDate.currentDate())
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(calendar)
        menu.addAction(holder)

        def picked(day: QDate) -> None:
            self.edit.setText(day.toString("yyyy-MM-dd"))
            menu.close()

        calendar.clicked.connect(picked)
        calendar.activated.connect(picked)
        menu.popup(self.pick.mapToGlobal(self.pick.rect().bottomLeft()))


class CriterionEditor(QWidget):
    """One unmet criterion with an inline control that satisfies it."""

    changed = Signal()

    def __init__(
        self,
        criterion: UnmetCriterion,
        users: list[UserInfo],
        now: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.criterion = criterion
        self.kind = criterion.kind
        self.params = criterion.params
        self.field = str(self.params.get("field") or self.params.get("item") or "")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.setSpacing(8)
        row.setAlignment(Qt.AlignmentFlag.AlignTop)
        lock = QLabel()
        lock.setPixmap(theme.icon("lock-outline", theme.colors().warning).pixmap(16, 16))
        lock.setFixedWidth(18)
        row.addWidget(lock)
        words = QVBoxLayout()
        words.setSpacing(0)
        label = QLabel(criterion.label)
        label.setWordWrap(True)
        label.setMinimumWidth(220)
        words.addWidget(label)
        self.detail = QLabel(criterion.detail)
        self.detail.setObjectName("CriterionDetail")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet(f"color: {theme.colors().danger};")
        self.detail.setVisible(bool(criterion.detail))
        words.addWidget(self.detail)
        row.addLayout(words, 1)
        self.control: QWidget = self._make_control(users, now)
        self.control.setObjectName(f"gate-{self.kind}-{self.field or 'x'}")
        self.control.setMinimumWidth(200)
        row.addWidget(self.control)

    def _make_control(self, users: list[UserInfo], now: datetime) -> QWidget:
        k = self.kind
        if k == "owner_assigned":
            box = QComboBox()
            box.addItem("Choose an owner…", None)
            for u in users:
                box.addItem(f"{u.name} ({u.role})", u.id)
            box.currentIndexChanged.connect(self.changed)
            return box
        if k == "field_in":
            box = QComboBox()
            box.addItem("Choose…", None)
            for v in self.params.get("values", []):
                box.addItem(str(v), v)
            box.currentIndexChanged.connect(self.changed)
            return box
        if k == "number_at_least":
            # A line edit with a validator: the themed QSpinBox draws broken step buttons.
            number = QLineEdit()
            number.setValidator(QIntValidator(0, 2_000_000_000, number))
            number.setPlaceholderText(f"At least {self.params.get('min', 0)}")
            number.textChanged.connect(self.changed)
            return number
        if k in ("field_true", "checklist"):
            check = QCheckBox("Confirmed")
            check.toggled.connect(self.changed)
            return check
        if k == "field_false":
            check = QCheckBox("Confirmed: none")
            check.toggled.connect(self.changed)
            return check
        if k == "date_set":
            # Starts empty: a date nobody picked must never be saved (a QDateEdit always
            # holds one, and its calendar popup writes its selection back into it).
            date = DateField()
            date.changed.connect(self.changed)
            return date
        if k == "activity_scheduled":
            holder = QWidget()
            h = QHBoxLayout(holder)
            h.setContentsMargins(0, 0, 0, 0)
            h.setSpacing(6)
            self.schedule_check = QCheckBox("Schedule")
            self.schedule_type = QComboBox()
            for t in self.params.get("types") or ["call"]:
                self.schedule_type.addItem(str(t).title(), t)
            local = now.astimezone() + timedelta(days=1)
            self.schedule_at = QDateTimeEdit(
                QDateTime(QDate(local.year, local.month, local.day), QTime(10, 0))
            )
            self.schedule_at.setDisplayFormat("yyyy-MM-dd HH:mm")
            self.schedule_at.setCalendarPopup(True)
            self.schedule_check.toggled.connect(self.changed)
            h.addWidget(self.schedule_check)
            h.addWidget(self.schedule_type)
            h.addWidget(self.schedule_at)
            return holder
        if k == "activity_done":
            types = self.params.get("types") or ["call"]
            check = QCheckBox(f"Log a {types[0]} as done")
            check.toggled.connect(self.changed)
            return check
        edit = QLineEdit()
        edit.setPlaceholderText("Type it here")
        edit.textChanged.connect(self.changed)
        return edit

    def set_text(self, text: str) -> None:
        """Fill a text/number/date control (tests and keyboard users)."""
        if isinstance(self.control, DateField):
            self.control.edit.setText(text)
        elif isinstance(self.control, QLineEdit):
            self.control.setText(text)

    def state(self) -> Any:
        """What the user put in this control, to carry over to a rebuilt dialog."""
        c = self.control
        if self.kind == "activity_scheduled":
            return (
                self.schedule_check.isChecked(),
                self.schedule_type.currentIndex(),
                self.schedule_at.dateTime(),
            )
        if isinstance(c, QComboBox):
            return c.currentIndex()
        if isinstance(c, QCheckBox):
            return c.isChecked()
        if isinstance(c, DateField):
            return c.edit.text()
        if isinstance(c, QLineEdit):
            return c.text()
        return None

    def restore(self, state: Any) -> None:
        c = self.control
        if self.kind == "activity_scheduled":
            checked, index, when = state
            self.schedule_check.setChecked(checked)
            self.schedule_type.setCurrentIndex(index)
            self.schedule_at.setDateTime(when)
        elif isinstance(c, QComboBox):
            c.setCurrentIndex(state)
        elif isinstance(c, QCheckBox):
            c.setChecked(state)
        elif isinstance(c, DateField):
            c.edit.setText(state)
        elif isinstance(c, QLineEdit):
            c.setText(state)

    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.field, self.criterion.label)

    def answer(self, answers: GateAnswers) -> bool:
        """Add this control's answer to `answers`; False when left empty."""
        c = self.control
        k = self.kind
        if k == "activity_scheduled":
            if not self.schedule_check.isChecked():
                return False
            due = cast(datetime, self.schedule_at.dateTime().toPython())
            due = due.astimezone(UTC) if due.tzinfo else due.astimezone().astimezone(UTC)
            answers.schedule.append((str(self.schedule_type.currentData()), due))
            return True
        if k == "activity_done":
            if not c.isChecked():  # type: ignore[attr-defined]
                return False
            answers.done.append(str((self.params.get("types") or ["call"])[0]))
            return True
        value: Any = None
        if isinstance(c, QComboBox):
            value = c.currentData()
        elif isinstance(c, QCheckBox):
            if c.isChecked():
                value = "no" if k == "field_false" else "yes"
        elif isinstance(c, DateField):
            text = c.edit.text().strip()
            typed_ok = not text or QDate.fromString(text, "yyyy-MM-dd").isValid()
            self.detail.setText("" if typed_ok else f"{text!r} is not a date (use YYYY-MM-DD)")
            self.detail.setVisible(bool(self.detail.text()))
            value = text if text and typed_ok else None
        elif isinstance(c, QLineEdit):
            value = c.text().strip() or None
        if value is None:
            return False
        answers.values["owner_id" if k == "owner_assigned" else self.field] = value
        return True


@dataclass
class GateRequest:
    lead_id: int
    lead_name: str
    version: int
    from_stage: str | None
    to_stage_id: int
    to_stage: str


class GateDialog(QDialog):
    """Lists what blocks a move, with a way to satisfy each; completes the move when met.

    The dialog does no database work itself: it emits `submit(answers, override_reason)` and
    the board runs it on the task runner, then calls `show_unmet` or `accept`.
    """

    submit = Signal(object, object)  # GateAnswers, override reason or None

    def __init__(
        self,
        request: GateRequest,
        unmet: list[UnmetCriterion],
        users: list[UserInfo],
        can_override: bool,
        now: datetime,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.request = request
        self.users = users
        self.now = now
        self.editors: list[CriterionEditor] = []
        self.setWindowTitle(f"Move {request.lead_name} to {request.to_stage}")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        title = QLabel(f"{request.lead_name} cannot enter {request.to_stage} yet")
        title.setObjectName("ViewTitle")
        layout.addWidget(title)
        self.intro = _secondary("")
        layout.addWidget(self.intro)
        self.body = QWidget()
        self.rows = QVBoxLayout(self.body)
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(6)
        self.criteria_scroll = QScrollArea()
        self.criteria_scroll.setWidgetResizable(True)
        self.criteria_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.criteria_scroll.setWidget(self.body)
        layout.addWidget(self.criteria_scroll, 1)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        layout.addWidget(self.error)

        self.override_box = QFrame()
        ob = QHBoxLayout(self.override_box)
        ob.setContentsMargins(0, 0, 0, 0)
        self.override_reason = QLineEdit()
        self.override_reason.setPlaceholderText("Why this lead may skip the gate (required)")
        self.override_reason.textChanged.connect(self._update_buttons)
        ob.addWidget(QLabel("Override reason"))
        ob.addWidget(self.override_reason, 1)
        self.override_box.hide()
        layout.addWidget(self.override_box)

        buttons = QHBoxLayout()
        self.override_button = QPushButton(theme.icon("shield-key-outline"), "Override…")
        self.override_button.setToolTip("Managers and owners may move past an unmet gate")
        self.override_button.setVisible(can_override)
        self.override_button.clicked.connect(self._override_clicked)
        buttons.addWidget(self.override_button)
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        buttons.addWidget(cancel)
        self.move_button = QPushButton(f"Save and move to {request.to_stage}")
        self.move_button.setProperty("primary", True)
        self.move_button.setDefault(True)
        self.move_button.clicked.connect(self._save_clicked)
        buttons.addWidget(self.move_button)
        layout.addLayout(buttons)
        self.show_unmet(unmet)

    def show_unmet(self, unmet: list[UnmetCriterion], message: str = "") -> None:
        """(Re)list what is unmet; what the user typed in a criterion still listed stays."""
        typed = {e.key(): e.state() for e in self.editors}
        while self.rows.count():
            item = self.rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.editors = []
        n = len(unmet)
        if message:
            self.intro.setText(message)
        else:
            self.intro.setText(
                f"{n} exit criteri{'on is' if n == 1 else 'a are'} not met. Fill in what is "
                "missing and the move completes."
            )
        for gap in unmet:
            if gap.kind == "n_of_m":
                group = QLabel(f"<b>{gap.label}</b> — needs {gap.missing} more of:")
                group.setWordWrap(True)
                self.rows.addWidget(group)
                for child in gap.children:
                    self._add_editor(child, indent=True)
            else:
                self._add_editor(gap)
        self.rows.addStretch(1)
        for editor in self.editors:
            if editor.key() in typed:
                editor.restore(typed[editor.key()])
        self.error.hide()
        # Tall enough for what is listed (up to a point): never a 60 px sliver after a save.
        # (New rows are shown only on the next event loop pass: sum their hints directly.)
        items = [self.rows.itemAt(i) for i in range(self.rows.count())]
        widgets = [w for it in items if it is not None and (w := it.widget()) is not None]
        height = sum(w.sizeHint().height() + self.rows.spacing() for w in widgets)
        self.criteria_scroll.setMinimumHeight(min(height + 4, 360))
        self._update_buttons()

    def _add_editor(self, gap: UnmetCriterion, indent: bool = False) -> None:
        editor = CriterionEditor(gap, self.users, self.now)
        layout = editor.layout()
        if indent and layout is not None:
            layout.setContentsMargins(20, 2, 0, 2)
        editor.changed.connect(self._update_buttons)
        self.rows.addWidget(editor)
        self.editors.append(editor)

    def answers(self) -> GateAnswers:
        answers = GateAnswers()
        for editor in self.editors:
            editor.answer(answers)
        return answers

    def editor_for(self, field_or_kind: str) -> CriterionEditor | None:
        for e in self.editors:
            if field_or_kind in (e.field, e.kind):
                return e
        return None

    def _update_buttons(self) -> None:
        a = self.answers()
        self.move_button.setEnabled(bool(a.values or a.schedule or a.done))
        if self.override_box.isVisible():
            self.override_button.setEnabled(bool(self.override_reason.text().strip()))

    def _save_clicked(self) -> None:
        self.set_busy(True)
        self.submit.emit(self.answers(), None)

    def _override_clicked(self) -> None:
        if not self.override_box.isVisible():
            self.override_box.show()
            self.override_button.setText("Override and move")
            self.override_button.setProperty("danger", True)
            self.override_button.style().unpolish(self.override_button)
            self.override_button.style().polish(self.override_button)
            self.override_reason.setFocus()
            self._update_buttons()
            return
        reason = self.override_reason.text().strip()
        if reason:
            self.set_busy(True)
            self.submit.emit(self.answers(), reason)

    def set_busy(self, busy: bool) -> None:
        self.move_button.setEnabled(not busy)
        self.body.setEnabled(not busy)
        if not busy:
            self._update_buttons()

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()


def open_gate_dialog(
    ctx: AppContext,
    parent: QWidget,
    result: MoveResult,
    name: str,
    users: list[UserInfo],
    on_submit: Callable[[GateDialog, GateAnswers, str | None], None],
) -> GateDialog:
    """The gate dialog for a move `result` says is blocked; `on_submit(dialog, answers,
    override_reason)` runs the completion (the board and the lead panel alike)."""
    request = GateRequest(
        result.lead_id,
        name,
        result.version,
        result.from_stage,
        result.to_stage_id,
        result.to_stage,
    )
    dialog = GateDialog(
        request, result.unmet, users, ctx.can(Perm.GATE_OVERRIDE), ctx.clock.now(), parent
    )
    dialog.submit.connect(lambda answers, reason: on_submit(dialog, answers, reason))
    dialog.open()
    return dialog


def after_gate_submit(
    dialog: GateDialog, on_moved: Callable[[MoveResult], None]
) -> Callable[[MoveResult], None]:
    """What a completed submission does: close the dialog and report the move, or keep it
    open on what is still missing (with the lead's new version for the next try)."""

    def done(result: MoveResult) -> None:
        dialog.request.version = result.version
        if result.moved:
            dialog.accept()
            on_moved(result)
        else:
            dialog.set_busy(False)
            dialog.show_unmet(result.unmet, "Saved. Still missing before the move:")

    return done


class ExitDialog(QDialog):
    """Asks why a lead leaves the pipeline (and when to revisit, or to whom it was lost)."""

    def __init__(self, lead_name: str, stage_name: str, now: datetime, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle(f"Move {lead_name} to {stage_name}")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        title = QLabel(f"Why is {lead_name} leaving?")
        title.setObjectName("ViewTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        form = QFormLayout()
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.reason = QComboBox()
        self.reason.addItem("Choose a reason…", None)
        for code, words in EXIT_REASONS.items():
            self.reason.addItem(words, code)
        default = {"Disqualified": "no_need", "Nurture": "bad_timing"}.get(stage_name)
        form.addRow("Reason", self.reason)
        self.revisit = QDateEdit()
        self.revisit.setCalendarPopup(True)
        self.revisit.setDisplayFormat("yyyy-MM-dd")
        local = (now + timedelta(days=90)).astimezone()
        self.revisit.setDate(QDate(local.year, local.month, local.day))
        self.revisit.setMinimumDate(QDate.currentDate().addDays(1))
        form.addRow("Revisit on", self.revisit)
        self.competitor = QLineEdit()
        self.competitor.setPlaceholderText("e.g. HubSpot")
        form.addRow("Lost to", self.competitor)
        self.note = QLineEdit()
        self.note.setPlaceholderText("Optional")
        form.addRow("Note", self.note)
        self.form = form
        layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self.reject)
        self.ok = QPushButton(f"Move to {stage_name}")
        self.ok.setProperty("primary", True)
        self.ok.clicked.connect(self.accept)
        buttons.addWidget(cancel)
        buttons.addWidget(self.ok)
        layout.addLayout(buttons)
        self.reason.currentIndexChanged.connect(self._update)
        self.competitor.textChanged.connect(self._update)
        if default:
            self.reason.setCurrentIndex(self.reason.findData(default))
        self._update()

    def _update(self) -> None:
        code = self.reason.currentData()
        self.form.setRowVisible(self.revisit, code in NEEDS_REVISIT)
        self.form.setRowVisible(self.competitor, code in NEEDS_COMPETITOR)
        ok = code is not None and (
            code not in NEEDS_COMPETITOR or bool(self.competitor.text().strip())
        )
        self.ok.setEnabled(ok)

    def values(self) -> dict[str, Any]:
        code = self.reason.currentData()
        revisit = None
        if code in NEEDS_REVISIT:
            d = self.revisit.date()
            revisit = datetime(d.year(), d.month(), d.day(), 9, 0, tzinfo=UTC)
        return {
            "reason_code": code,
            "revisit_at": revisit,
            "competitor": self.competitor.text().strip() or None,
            "note": self.note.text().strip() or None,
        }
