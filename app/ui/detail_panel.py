"""The collapsible right-hand panel that shows the selected lead, for every view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.services.changes import Changes
from app.services.leads.detail import LeadDetail, get_lead_detail
from app.ui.context import AppContext
from app.ui.detail_actions import RecordActionsSection
from app.ui.detail_facts import FactsSection, QualificationSection
from app.ui.detail_sections import DetailSection, SectionFactory
from app.ui.detail_timeline import TimelineSection
from app.ui.inbox.sections import RoutingSection, ScoreSection
from app.ui.pipeline.detail_section import GatesSection


def section_factories() -> list[SectionFactory]:
    """The panel's sections, top to bottom. A feature adds its section here."""
    return [
        RecordActionsSection,
        ScoreSection,
        FactsSection,
        GatesSection,
        QualificationSection,
        RoutingSection,
        TimelineSection,
    ]


class DetailPanel(QFrame):
    """Loads the lead in the background and hands it to every section."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DetailPanel")
        self.ctx = ctx
        self.lead_id = 0
        self.detail: LeadDetail | None = None
        self.setMinimumWidth(260)
        self.setMaximumWidth(440)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(16, 16, 16, 16)
        self._layout.setSpacing(12)
        self.name = QLabel()
        self.name.setObjectName("ViewTitle")
        self.name.setWordWrap(True)
        self.subtitle = QLabel()
        self.subtitle.setProperty("secondary", True)
        self.subtitle.setWordWrap(True)
        self._layout.addWidget(self.name)
        self._layout.addWidget(self.subtitle)
        self.empty = QLabel("Select a lead to see its details, score and history here.")
        self.empty.setWordWrap(True)
        self.empty.setProperty("secondary", True)
        self._layout.addWidget(self.empty)
        self.sections: list[DetailSection] = []
        self._titles: list[QLabel] = []
        for factory in section_factories():
            section = factory(ctx)
            title = QLabel(section.title)
            title.setObjectName("SectionTitle")
            self._layout.addWidget(title)
            self._layout.addWidget(section)
            self.sections.append(section)
            self._titles.append(title)
        self._layout.addStretch(1)
        ctx.events.lead_selected.connect(self.show_lead)
        ctx.events.changed.connect(self._on_changed)
        self._render(None)

    def show_lead(self, lead_id: int) -> None:
        self.lead_id = lead_id
        if not lead_id:
            self._render(None)
            return
        self.ctx.tasks.submit(
            lambda s: get_lead_detail(s, lead_id), on_done=self._render, key="detail-panel"
        )

    def _on_changed(self, changes: Changes) -> None:
        if changes.affects(self.lead_id):
            self.show_lead(self.lead_id)

    def _render(self, detail: LeadDetail | None) -> None:
        self.detail = detail
        has = detail is not None
        self.empty.setVisible(not has)
        for widget in (self.name, self.subtitle, *self._titles, *self.sections):
            widget.setVisible(has)
        if detail is not None:
            row = detail.row
            self.name.setText(row.name or "(no name)")
            self.subtitle.setText(" at ".join(p for p in (row.title, row.company) if p))
        for section in self.sections:
            section.show_lead(detail)
