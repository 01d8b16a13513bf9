"""Scoring settings: points per criterion, half-life, tier thresholds, source weights, with a
live preview of how many leads would change tier before anything is saved."""

from __future__ import annotations

import copy
import html
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.auth import Perm
from app.services.scoring import api as scoring_api
from app.services.scoring.engine import EVENT_WORDS, GROUPS, ROLE_WORDS
from app.services.scoring.rescore import RescoreResult
from app.services.scoring.rules import default_rules, load_rules, validate_rules
from app.services.scoring.tuning import SourceQuality, TierPreview, preview_rules, source_quality
from app.ui import theme
from app.ui.common.number_field import NumberField
from app.ui.context import AppContext
from app.ui.ops import run_op
from app.ui.workers import TaskError

Path = tuple[Any, ...]


def _get(rules: dict[str, Any], path: Path) -> Any:
    value: Any = rules
    for key in path:
        value = value[key]
    return value


def _set(rules: dict[str, Any], path: Path, value: Any) -> None:
    target: Any = rules
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


class ScoringSettingsDialog(QDialog):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Scoring rules")
        self.resize(640, 560)
        self.rules: dict[str, Any] | None = None
        self.preview: TierPreview | None = None
        self.sources: list[SourceQuality] = []
        self.spins: dict[Path, NumberField] = {}
        self._closed = False  # results of background work arriving after close are dropped
        # Whoever opens it may look and preview; saving is for a role with Perm.SCORING_EDIT
        # (scoring_api.save_rules refuses anyone else).
        self.can_edit = ctx.can(Perm.SCORING_EDIT)
        self._preview_state: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        intro = QLabel(
            "Points per criterion, how fast engagement fades, and where each tier starts. "
            "The preview shows how many leads would change tier before you save."
        )
        intro.setWordWrap(True)
        intro.setProperty("secondary", True)
        layout.addWidget(intro)
        if not self.can_edit:
            note = QLabel(
                "Only a manager or the owner can save changes; you can still try values and "
                "preview."
            )
            note.setWordWrap(True)
            layout.addWidget(note)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.preview_label = QLabel("Loading the current rules…")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.preview_label)
        self.progress = QProgressBar()
        self.progress.hide()
        layout.addWidget(self.progress)
        buttons = QHBoxLayout()
        self.defaults_button = QPushButton("Restore defaults")
        self.defaults_button.clicked.connect(lambda: self._fill(default_rules()))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton("Save and rescore")
        self.save_button.setProperty("primary", True)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.defaults_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(500)
        self._debounce.timeout.connect(self.run_preview)

        clock = ctx.clock

        def load(s: Any) -> tuple[dict[str, Any], list[SourceQuality]]:
            return load_rules(s), source_quality(s, clock)

        ctx.tasks.submit(load, on_done=self._loaded, key="scoring-dialog-load")

    # -- building ---------------------------------------------------------------------------
    def _loaded(self, result: tuple[dict[str, Any], list[SourceQuality]]) -> None:
        if self._closed:
            return
        rules, self.sources = result
        self._build_tabs(rules)
        self._fill(rules)
        self.save_button.setEnabled(self.can_edit)

    def _form(self, title: str) -> QFormLayout:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(12, 12, 12, 12)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        self.tabs.addTab(scroll, title)
        return form

    def _spin(
        self,
        form: QFormLayout,
        label: str,
        path: Path,
        *,
        maximum: int = 100,
        decimals: int = 0,
        suffix: str = "pts",
    ) -> None:
        field = NumberField(maximum, decimals)
        field.valueChanged.connect(lambda _v: self._debounce.start())
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(6)
        box.addWidget(field)
        unit = QLabel(suffix)
        unit.setProperty("secondary", True)
        box.addWidget(unit)
        box.addStretch(1)
        form.addRow(label, row)
        self.spins[path] = field

    def _header(self, form: QFormLayout, text: str) -> None:
        label = QLabel(text)
        label.setObjectName("SectionTitle")
        form.addRow(label)

    def _build_tabs(self, rules: dict[str, Any]) -> None:
        f = self._form("Tiers && decay")
        self._header(f, "Tier thresholds (lowest score of the tier)")
        for tier in ("Urgent", "High", "Medium"):
            self._spin(f, tier, ("thresholds", tier), suffix="and up")
        self._header(f, "Engagement decay")
        self._spin(f, "Half-life", ("half_life_days",), maximum=365, decimals=1, suffix="days")
        self._header(f, "Most points per sub-score")
        for group in GROUPS:
            self._spin(f, group.title(), ("caps", group))

        f = self._form("Fit")
        self._header(f, "Industry")
        for name in rules["fit"]["industry"]:
            self._spin(f, name, ("fit", "industry", name))
        self._header(f, "Company size")
        for i, (minimum, _pts) in enumerate(rules["fit"]["size"]):
            self._spin(f, f"{minimum:,}+ employees", ("fit", "size", i, 1))
        self._header(f, "Ideal customer match")
        self._spin(f, "Target industry and size", ("fit", "ideal", "points"))
        self._header(f, "Country")
        for name in rules["fit"]["country"]:
            self._spin(f, name, ("fit", "country", name))

        f = self._form("Intent")
        self._header(f, "Engagement (fades with the half-life)")
        for kind in rules["intent"]["events"]:
            self._spin(f, EVENT_WORDS.get(kind, kind), ("intent", "events", kind))
        self._header(f, "Badge scan qualifiers")
        for rating in rules["intent"]["rating"]:
            self._spin(f, f"Rated {rating}", ("intent", "rating", rating))
        self._spin(f, "Per star", ("intent", "per_star"))

        f = self._form("Authority")
        for role in rules["authority"]["points"]:
            self._spin(f, ROLE_WORDS.get(role, role), ("authority", "points", role))

        f = self._form("Timing")
        self._header(f, "Purchase timeframe")
        for name in rules["timing"]["timeframe"]:
            self._spin(f, name, ("timing", "timeframe", name))
        self._header(f, "Budget")
        for name in rules["timing"]["budget"]:
            self._spin(f, name, ("timing", "budget", name))

        f = self._form("Sources")
        self.sources_label = QLabel()
        self.sources_label.setTextFormat(Qt.TextFormat.RichText)
        self.sources_label.setWordWrap(True)
        f.addRow(self.sources_label)
        self.apply_suggested = QPushButton("Apply suggested weights")
        self.apply_suggested.setToolTip("Set the source weights below to the suggestions")
        self.apply_suggested.clicked.connect(self._apply_suggestions)
        apply_row = QHBoxLayout()
        apply_row.addWidget(self.apply_suggested)
        apply_row.addStretch(1)
        f.addRow(apply_row)
        self._header(f, "Source weight (fit points)")
        for name in rules["fit"]["source"]:
            self._spin(f, name, ("fit", "source", name))
        self._render_sources()

    def _render_sources(self) -> None:
        c = theme.colors()
        if not self.sources:
            self.sources_label.setText("No leads closed in the last 90 days yet.")
            self.apply_suggested.setEnabled(False)
            return
        rows = "".join(
            f"<tr><td>{html.escape(s.source)}</td><td align='right'>{s.closed:,}</td>"
            f"<td align='right'>{s.close_rate:.1%}</td><td align='right'>{s.weight:g}</td>"
            f"<td align='right'><b>{s.suggested_weight:g}</b></td></tr>"
            for s in self.sources
        )
        head = "".join(
            f"<th align='{a}' style='color:{c.text_secondary};padding-right:12px'>{t}</th>"
            for t, a in (
                ("Source", "left"),
                ("Closed", "right"),
                ("Close rate", "right"),
                ("Weight", "right"),
                ("Suggested", "right"),
            )
        )
        self.sources_label.setText(
            "<p>Close rate by source over the last 90 days. Sources that close better than "
            "average earn weight; apply the suggestions or ignore them.</p>"
            f"<table cellspacing='0' cellpadding='3'><tr>{head}</tr>{rows}</table>"
        )

    def _apply_suggestions(self) -> None:
        for s in self.sources:
            spin = self.spins.get(("fit", "source", s.source))
            if spin is not None:
                spin.setValue(int(s.suggested_weight))

    # -- values -----------------------------------------------------------------------------
    def _fill(self, rules: dict[str, Any]) -> None:
        self.rules = copy.deepcopy(rules)
        for path, spin in self.spins.items():
            try:
                value = _get(rules, path)
            except (KeyError, IndexError):
                continue
            spin.blockSignals(True)
            spin.setValue(value)
            spin.blockSignals(False)
        self.run_preview()

    def edited_rules(self) -> dict[str, Any]:
        rules = copy.deepcopy(self.rules or default_rules())
        for path, spin in self.spins.items():
            _set(rules, path, spin.value())
        return rules

    def run_preview(self) -> None:
        rules = self.edited_rules()
        try:
            validate_rules(rules)
        except ValueError as exc:
            self.preview_label.setText(f"<span style='color:{theme.colors().danger}'>{exc}</span>")
            self.save_button.setEnabled(False)
            return
        self.save_button.setEnabled(self.rules is not None and self.can_edit)
        self.preview_label.setText("Previewing…")
        clock = self.ctx.clock

        def failed(err: Any) -> None:
            if not self._closed and not err.cancelled:
                self.preview_label.setText(html.escape(err.message))

        self._preview_state = self.ctx.tasks.submit(
            lambda s, state: preview_rules(s, clock, rules, state),
            on_done=self._show_preview,
            on_error=failed,
            key="scoring-preview",
            with_state=True,
        )

    def done(self, result: int) -> None:
        self._closed = True
        self._debounce.stop()
        if self._preview_state is not None:
            self._preview_state.cancel()
        super().done(result)

    def _show_preview(self, preview: TierPreview) -> None:
        if self._closed:
            return
        self.preview = preview
        if not preview.changes:
            self.preview_label.setText(
                f"<b>No lead would change tier</b> ({preview.scored:,} leads scored)."
            )
            return
        moves = ", ".join(
            f"{n:,} {html.escape(k)}"
            for k, n in sorted(preview.by_transition.items(), key=lambda kv: -kv[1])[:4]
        )
        self.preview_label.setText(
            f"<b>{preview.changes:,} of {preview.scored:,} leads would change tier</b>: {moves}."
        )

    def save(self) -> None:
        """Save the rules and rescore every lead: one API call, one unit of work."""
        if self._preview_state is not None:
            self._preview_state.cancel()
        rules = self.edited_rules()
        self.save_button.setEnabled(False)
        self.progress.show()
        self.progress.setRange(0, 0)

        def progress(done: int, total: int, _text: str) -> None:
            self.progress.setRange(0, max(1, total))
            self.progress.setValue(done)

        def saved(result: RescoreResult) -> None:
            self.ctx.events.status_message.emit(
                f"Scoring rules saved: {result.tier_changes:,} leads changed tier."
            )
            self.accept()

        def failed(err: TaskError) -> None:
            self.progress.hide()
            self.save_button.setEnabled(self.can_edit)
            self.preview_label.setText(
                f"<span style='color:{theme.colors().danger}'>{html.escape(err.message)}</span>"
            )

        run_op(
            self.ctx,
            scoring_api.save_rules,
            rules,
            on_done=saved,
            on_error=failed,
            on_progress=progress,
            parent=self,
            key="scoring-save",
            with_state=True,
        )
