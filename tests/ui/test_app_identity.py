"""What a desktop sees of the app: its names, desktop entry and icon from package data."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from app.resources import ICON_SIZES, icon_pngs, logo_svg
from app.ui.app import ensure_app


def test_the_app_names_its_desktop_entry_and_shows_the_logo() -> None:
    app = ensure_app()
    assert QApplication.desktopFileName() == "leadgate"
    assert QApplication.applicationDisplayName() == "Leadgate"
    icon = app.windowIcon()
    assert not icon.isNull()
    sizes = {size.width() for size in icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes


def test_the_logo_ships_inside_the_package() -> None:
    assert logo_svg().read_bytes().startswith(b"<svg")
    assert len(icon_pngs()) == len(ICON_SIZES)
    assert all(png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for png in icon_pngs())
