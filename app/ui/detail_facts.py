"""The lead panel's facts: every field of the lead, edited in place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout

from app.services.errors import StaleError
from app.services.leads import api as leads_api
from app.services.leads.detail import LeadDetail
from app.services.leads.edit import DETAIL_FIELDS, EditResult
from app.services.scoring.engine import ROLE_WORDS
from app.services.scoring.rules import load_rules
from app.ui import theme
from app.ui.context import AppContext
from app.ui.detail_edit import UNFOCUSED, InlineField
from app.ui.detail_sections import DetailSection
from app.ui.ops import run_op, show_error
from app.ui.workers import TaskError


def local_time(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """UTC from the store, shown in the workstation's local time."""
    return value.astimezone().strftime(fmt) if value else "–"


def wrappable(text: str) -> str:
    """Long e-mails and URLs wrap at @ . / instead of widening the panel."""
    for mark in ("@", ".", "/"):
        text = text.replace(mark, mark + "\u200b")
    return text


@dataclass(frozen=True)
class Fact:
    key: str  # the field name edit_lead takes ('' for a read-only fact)
    label: str
    raw: Callable[[LeadDetail], Any]  # the stored value
    shown: Callable[[LeadDetail], str | None] | None = None  # how it reads, if not raw


def _money(d: LeadDetail) -> str | None:
    return theme.money(float(d.row.deal_value)) if d.row.deal_value else None


def _role(d: LeadDetail) -> str | None:
    role = d.qualifiers.get("role")
    return ROLE_WORDS.get(str(role), str(role)) if role else None


FACTS = (
    Fact("display_name", "Name", lambda d: d.row.name),
    Fact("title", "Title", lambda d: d.row.title),
    Fact("company", "Company", lambda d: d.row.company),
    Fact("email", "Email", lambda d: d.row.email),
    Fact("phone", "Phone", lambda d: d.row.phone),
    Fact("country", "Country", lambda d: d.row.country),
    Fact("industry", "Industry", lambda d: d.industry),
    Fact("headcount", "Headcount", lambda d: d.headcount),
    Fact("role", "Role in purchase", lambda d: d.qualifiers.get("role"), _role),
    Fact("budget", "Budget", lambda d: d.qualifiers.get("budget")),
    Fact("timeframe", "Timeframe", lambda d: d.qualifiers.get("timeframe")),
    Fact("deal_value", "Deal value", lambda d: d.row.deal_value, _money),
    Fact("source", "Source", lambda d: d.row.source),
    Fact("event", "Event", lambda d: d.row.event),
    Fact("", "Owner", lambda d: d.row.owner or "Unassigned"),
    Fact("", "Stage", lambda d: f"{d.row.stage or '–'} ({d.row.status})"),
    Fact("", "Captured", lambda d: local_time(d.row.captured_at)),
)


def _choices(rules: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """The usual values of the scoring inputs (the rules' own words), for the combos."""

    def keys(table: dict[str, Any]) -> list[tuple[str, str]]:
        return [(k, k) for k in table]

    return {
        "industry": keys(rules["fit"]["industry"]),
        "country": keys(rules["fit"]["country"]),
        "source": keys(rules["fit"]["source"]),
        "budget": keys(rules["timing"]["budget"]),
        "timeframe": keys(rules["timing"]["timeframe"]),
        "role": [(k, ROLE_WORDS.get(k, k)) for k in rules["authority"]["points"]],
    }


def _yes_no(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return "yes" if value is True or str(value).lower() in ("yes", "true", "1") else "no"


def _detail(key: str) -> Callable[[LeadDetail], Any]:
    return lambda d: d.details.get(key)


def _bool_fact(key: str, label: str) -> Fact:
    def raw(d: LeadDetail) -> str | None:
        return _yes_no(d.details.get(key))

    def shown(d: LeadDetail) -> str | None:
        value = raw(d)
        return value.capitalize() if value else None

    return Fact(key, label, raw, shown)


# The facts the default gates ask about (lead.details): filled here instead of only in the
# gate dialog of a blocked move.
QUALIFICATION = (
    Fact("decision_role", "Decision role", _detail("decision_role")),
    Fact("timeline", "Purchase timeline", _detail("timeline")),
    _bool_fact("contact_confirmed", "Contact confirmed"),
    Fact("business_problem", "Business problem", _detail("business_problem")),
    Fact("tech_stack", "Tech stack", _detail("tech_stack")),
    Fact("decision_maker", "Decision maker", _detail("decision_maker")),
    Fact("technical_stakeholder", "Technical stakeholder", _detail("technical_stakeholder")),
    _bool_fact("blocking_objection", "Blocking objection"),
    _bool_fact("proposal_received", "Proposal received"),
    Fact("review_date", "Review date", _detail("review_date")),
    Fact("signed_at", "Signed on", _detail("signed_at")),
    Fact("competitor", "Competitor", _detail("competitor")),
)
YES_NO = [("yes", "Yes"), ("no", "No")]


class EditableFacts(DetailSection):
    """Fields of the lead, each editable in place (F2 / double-click; Enter saves with one
    API call, Esc cancels). A save that moves the tier says so for a moment."""

    facts: tuple[Fact, ...] = ()
    show_hint = True
    NOTE_MS = 8000

    def __init__(self, ctx: AppContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.lead_id = 0
        self.version: int | None = None
        self._choices: dict[str, list[tuple[str, str]]] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        self.tier_note = QLabel()
        self.tier_note.setObjectName("TierNote")
        self.tier_note.setWordWrap(True)
        self.tier_note.hide()
        outer.addWidget(self.tier_note)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(4)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.fields: dict[str, InlineField] = {}
        self._readonly: list[tuple[QLabel, Fact]] = []
        for fact in self.facts:
            name = QLabel(fact.label)
            name.setProperty("secondary", True)
            if fact.key:
                field = InlineField(fact.key)
                field.save_requested.connect(self.save)
                form.addRow(name, field)
                self.fields[fact.key] = field
            else:
                value = QLabel()
                value.setWordWrap(True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setStyleSheet(UNFOCUSED)  # aligned with the editable values
                form.addRow(name, value)
                self._readonly.append((value, fact))
        outer.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {theme.colors().danger};")
        self.error.hide()
        outer.addWidget(self.error)
        if self.show_hint:
            hint = QLabel("Double-click a value or press F2 to edit it.")
            hint.setProperty("secondary", True)
            hint.setWordWrap(True)  # the panel may be narrower than the sentence
            outer.addWidget(hint)
        self._note_timer = QTimer(self)
        self._note_timer.setSingleShot(True)
        self._note_timer.timeout.connect(self.tier_note.hide)

    def show_lead(self, detail: LeadDetail | None) -> None:
        if detail is None or detail.row.id != self.lead_id:
            self.tier_note.hide()
            self.error.hide()
        self.lead_id = detail.row.id if detail else 0
        self.version = detail.row.version if detail else None
        for fact in self.facts:
            if not fact.key:
                continue
            raw = fact.raw(detail) if detail else None
            shown = (fact.shown or fact.raw)(detail) if detail else None
            text = "" if raw is None else str(raw)
            self.fields[fact.key].set_value(text, wrappable(str(shown or "–")) if detail else "")
        for label, fact in self._readonly:
            label.setText(wrappable(str(fact.raw(detail) or "–")) if detail else "")
        if detail is not None and self._choices is None:
            self._load_choices()

    def _load_choices(self) -> None:
        """Usual values for some fields (combos); none by default."""
        self._choices = {}

    def field(self, key: str) -> InlineField:
        return self.fields[key]

    def save(self, key: str, text: str) -> None:
        """One API call: set the field, rescore, report the tier change."""
        if not self.lead_id:
            return
        self.error.hide()
        run_op(
            self.ctx,
            leads_api.edit_lead,
            self.lead_id,
            {key: text},
            self.version,
            on_done=lambda result: self._saved(key, result),
            on_error=lambda error: self._failed(key, error),
            parent=self,
        )

    def _saved(self, key: str, result: EditResult) -> None:
        self.version = result.version
        self.fields[key].cancel()
        if result.tier_changed:
            c = theme.colors()
            before, after = result.tier_before or "–", result.tier or "–"
            self.tier_note.setText(
                f"<b>{before} → {after}</b> <span style='color:{c.text_secondary}'>"
                f"· score {result.score_before} → {result.score}</span>"
            )
            self.tier_note.setStyleSheet(
                f"QLabel#TierNote {{ background: {c.tier_bg.get(result.tier or '', c.surface_alt)};"
                f" color: {c.tier.get(result.tier or '', c.text)}; border-radius: 6px;"
                " padding: 4px 8px; }"
            )
            self.tier_note.show()
            self._note_timer.start(self.NOTE_MS)
        label = FACT_LABELS.get(key, key)
        self.ctx.events.status_message.emit(f"Saved {label.lower()}.")

    def _failed(self, key: str, error: TaskError) -> None:
        if isinstance(error.exception, StaleError):
            self.fields[key].cancel()
            show_error(self, error, "Someone else changed this lead")
            self.ctx.events.lead_selected.emit(self.lead_id)  # reload: the next try is current
            return
        self.error.setText(error.message)
        self.error.show()
        self.fields[key].editor().setFocus()


class FactsSection(EditableFacts):
    """Every field of the lead, scoring inputs included (their combos list the rules' words)."""

    title = "Details"
    facts = FACTS

    def _load_choices(self) -> None:
        self._choices = {}
        self.ctx.tasks.submit(load_rules, on_done=self._set_rules, key="facts-rules")

    def _set_rules(self, rules: dict[str, Any]) -> None:
        self._choices = _choices(rules)
        for key, choices in self._choices.items():
            self.fields[key].set_choices(choices)


class QualificationSection(EditableFacts):
    """The facts the gates ask about, editable before a move instead of only when blocked."""

    title = "Qualification"
    facts = QUALIFICATION
    show_hint = False  # the Details section above says it once

    def _load_choices(self) -> None:
        self._choices = {}
        for fact in self.facts:
            if DETAIL_FIELDS.get(fact.key) == "bool":
                self.fields[fact.key].set_choices(YES_NO)


FACT_LABELS = {f.key: f.label for f in (*FACTS, *QUALIFICATION) if f.key}
