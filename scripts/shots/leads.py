"""Shots of the leads table with a lead selected (the detail panel filled)."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    if "leads" not in window.views and "leads" not in [s.key for s in window.specs]:
        return []
    view = window.show_view("leads")
    settle(window)
    view.table.selectRow(1)
    return [save(window, out / "leads-selected.png")]
