"""The base of the right-hand lead panel's sections (the panel lists them: detail_panel.py)."""

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
