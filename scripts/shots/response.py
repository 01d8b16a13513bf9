"""Shots of the Response and follow-up page (as the manager; light and dark) and the cadence
editor opened from it, with a step's preview on a real lead."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    from app.services.team.users import list_users

    with window.ctx.store.session() as session:
        manager = next(u for u in list_users(session) if u.role == "manager")
    rep = window.ctx.user
    window.ctx.set_user(manager, "chosen at start-up on this workstation")
    shots = []
    page = window.show_view("response")
    settle(window)
    shots.append(save(window, out / "response.png"))
    shots.append(save(window, out / "response-1280.png", (1280, 720)))
    window.set_theme("dark")
    shots.append(save(window, out / "response-dark.png"))
    shots.append(save(window, out / "response-1280-dark.png", (1280, 720)))
    window.set_theme("light")
    window.resize(1440, 900)
    editor = page.open_cadences()
    settle(window)
    editor.steps.setCurrentCell(1, 0)
    settle(window)
    QTest.qWait(150)
    editor.grab().save(str(out / "cadence-editor.png"))
    shots.append(out / "cadence-editor.png")
    editor.close()
    window.ctx.set_user(rep, "chosen at start-up on this workstation")
    window.show_view(window.specs[0].key)
    return shots
