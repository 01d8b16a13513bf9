"""The filters bar: period (presets and custom), pipeline, owner, source or event. It turns the
choices into a MetricsFilter and remembers them in the preferences file."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QWidget

from app.config import Preferences
from app.services.reports.metrics import FilterOptions, MetricsFilter

PREF_KEY = "reports.filters"
PRESETS = [
    ("last30", "Last 30 days"),
    ("last90", "Last 90 days"),
    ("quarter", "This quarter"),
    ("last6m", "Last 6 months"),
    ("last12m", "Last 12 months"),
    ("all", "All time"),
    ("custom", "Custom…"),
]
DEFAULT_PRESET = "last90"


def preset_range(preset: str, today: date) -> tuple[date | None, date | None]:
    if preset == "last30":
        return today - timedelta(days=29), today
    if preset == "last90":
        return today - timedelta(days=89), today
    if preset == "quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "last6m":
        return today - timedelta(days=182), today
    if preset == "last12m":
        return today - timedelta(days=364), today
    return None, None


class FilterBar(QWidget):
    changed = Signal(object)  # MetricsFilter

    def __init__(self, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._today = today
        self._loading = False
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for key, label in PRESETS:
            self.period.addItem(label, key)
        self.date_from = self._date_edit("From")
        self.dash = QLabel("–")
        self.date_to = self._date_edit("To")
        self.pipeline = QComboBox()
        self.pipeline.setAccessibleName("Pipeline")
        self.owner = QComboBox()
        self.owner.setAccessibleName("Owner")
        self.source = QComboBox()
        self.source.setAccessibleName("Source or event")
        self.source.setMinimumContentsLength(14)
        for w in (self.period, self.date_from, self.dash, self.date_to, self.pipeline):
            layout.addWidget(w)
        layout.addWidget(self.owner)
        layout.addWidget(self.source)
        self.set_options(FilterOptions())
        self._restore()
        self.period.currentIndexChanged.connect(self._preset_changed)
        for combo in (self.pipeline, self.owner, self.source):
            combo.currentIndexChanged.connect(lambda _i: self._emit())
        self.date_from.dateChanged.connect(lambda _d: self._emit())
        self.date_to.dateChanged.connect(lambda _d: self._emit())
        self._sync_custom()

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("d MMM yyyy")
        edit.setAccessibleName(name)
        return edit

    # ------------------------------------------------------------------ options
    def set_options(self, options: FilterOptions) -> None:
        """Fill the combos from the store, keeping what is selected when it still exists."""
        self._loading = True
        keep = (self.pipeline.currentData(), self.owner.currentData(), self.source.currentData())
        self.pipeline.clear()
        self.pipeline.addItem("Default pipeline", None)
        for pid, name in options.pipelines:
            self.pipeline.addItem(name, pid)
        self.pipeline.setVisible(len(options.pipelines) > 1)
        self.owner.clear()
        self.owner.addItem("Everyone", None)
        for uid, name in options.owners:
            self.owner.addItem(name, uid)
        self.source.clear()
        self.source.addItem("All sources", None)
        for s in options.sources:
            self.source.addItem(s, ("source", s))
        for e in options.events:
            self.source.addItem(f"Event: {e}", ("event", e))
        for combo, value in zip((self.pipeline, self.owner, self.source), keep, strict=True):
            _select(combo, value)
        self._loading = False

    # ------------------------------------------------------------------ state
    def _preset_changed(self) -> None:
        if self.period.currentData() != "custom":
            start, end = preset_range(self.period.currentData(), self._today)
            self._loading = True
            if start and end:
                self.date_from.setDate(_qdate(start))
                self.date_to.setDate(_qdate(end))
            self._loading = False
        self._sync_custom()
        self._emit()

    def _sync_custom(self) -> None:
        custom = self.period.currentData() == "custom"
        for w in (self.date_from, self.dash, self.date_to):
            w.setVisible(custom)

    def _emit(self) -> None:
        if self._loading:
            return
        self._save()
        self.changed.emit(self.filter())

    def filter(self) -> MetricsFilter:
        preset = self.period.currentData()
        if preset == "custom":
            start, end = self.date_from.date().toPython(), self.date_to.date().toPython()
            if start > end:
                start, end = end, start
        else:
            start, end = preset_range(preset, self._today)
        source = self.source.currentData()
        owner = self.owner.currentData()
        return MetricsFilter(
            date_from=start,
            date_to=end,
            pipeline_id=self.pipeline.currentData(),
            owner_ids=(owner,) if owner is not None else (),
            source=source[1] if source and source[0] == "source" else None,
            event=source[1] if source and source[0] == "event" else None,
        )

    def describe(self) -> str:
        """The filters in words, for the PDF header."""
        flt = self.filter()
        parts = [f"{self.period.currentText().rstrip('…')}: {flt.period_label()}"]
        if self.pipeline.isVisible() and self.pipeline.currentData() is not None:
            parts.append(f"Pipeline: {self.pipeline.currentText()}")
        parts.append(f"Owner: {self.owner.currentText()}")
        parts.append(self.source.currentText())
        return "   ·   ".join(parts)

    def _save(self) -> None:
        data: dict[str, Any] = {
            "preset": self.period.currentData(),
            "from": self.date_from.date().toPython().isoformat(),
            "to": self.date_to.date().toPython().isoformat(),
            "pipeline": self.pipeline.currentData(),
            "owner": self.owner.currentData(),
            "source": list(self.source.currentData()) if self.source.currentData() else None,
        }
        Preferences.load().set(PREF_KEY, data)

    def _restore(self) -> None:
        self._loading = True
        saved = Preferences.load().get(PREF_KEY) or {}
        _select(self.period, saved.get("preset", DEFAULT_PRESET))
        start, end = preset_range(DEFAULT_PRESET, self._today)
        try:
            start = date.fromisoformat(saved["from"])
            end = date.fromisoformat(saved["to"])
        except (KeyError, TypeError, ValueError):
            pass
        self.date_from.setDate(_qdate(start or self._today))
        self.date_to.setDate(_qdate(end or self._today))
        self._pending = saved
        self._loading = False

    def restore_choices(self) -> None:
        """After the options arrive: select the remembered pipeline, owner and source."""
        saved = getattr(self, "_pending", {}) or {}
        self._loading = True
        _select(self.pipeline, saved.get("pipeline"))
        _select(self.owner, saved.get("owner"))
        src = saved.get("source")
        _select(self.source, tuple(src) if src else None)
        self._loading = False
        self._pending = {}


def _select(combo: QComboBox, value: Any) -> None:
    for i in range(combo.count()):
        if combo.itemData(i) == value:
            combo.setCurrentIndex(i)
            return


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)
