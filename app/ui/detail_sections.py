"""Sections of the right-hand lead panel. A feature adds its section factory here."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from app.services.leads.detail import LeadDetail
from app.ui.context import AppContext


class DetailSection(QWidget):
    """A block of the lead panel. `show_lead(None)` clears it."""

    title: str = ""

    def show_lead(self, detail: LeadDetail | None) -> None:
        raise NotImplementedError


SectionFactory = Callable[[AppContext], DetailSection]


def section_factories() -> list[SectionFactory]:
    from app.ui.detail_panel import FactsSection, HistorySection
    from app.ui.inbox.sections import QuickActionsSection, RoutingSection, ScoreSection
    from app.ui.pipeline.detail_section import GatesSection

    return [
        QuickActionsSection,
        ScoreSection,
        FactsSection,
        GatesSection,
        RoutingSection,
        HistorySection,
    ]
