"""Shots of the Reports view on demo data: the top of the dashboard at both sizes, each card
scrolled into view, and the whole dashboard as one tall image."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle


def _computed(window, view) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    for _ in range(400):
        if view.dashboard is not None and not view.busy.isVisible():
            break
        QTest.qWait(50)
    settle(window)


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    if "reports" not in [s.key for s in window.specs]:
        return []
    view = window.show_view("reports")
    _computed(window, view)
    shots = [save(window, out / "reports-1440.png")]
    cards = list(view.cards.values())
    view.scroll_area.ensureWidgetVisible(cards[4], 0, 0)
    shots.append(save(window, out / "reports-1440-lower.png"))
    view.scroll_area.verticalScrollBar().setValue(0)
    shots.append(save(window, out / "reports-1024.png", (1024, 640)))
    view.scroll_area.ensureWidgetVisible(cards[2], 0, 0)
    shots.append(save(window, out / "reports-1024-velocity.png", (1024, 640)))
    window.resize(1440, 900)
    settle(window)
    holder = view.scroll_area.widget()
    path = out / "reports-dashboard.png"
    holder.grab().save(str(path))
    shots.append(path)
    view.scroll_area.verticalScrollBar().setValue(0)
    return shots
