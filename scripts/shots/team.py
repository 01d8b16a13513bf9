"""Shots of the Team page (as the manager, with the edit dialog). The Routing page has its own
module (routing.py)."""

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
    team = window.show_view("team")
    settle(window)
    shots.append(save(window, out / "team.png"))
    team.table.selectRow(2)
    team.edit_member()
    team.dialog.adjustSize()
    QTest.qWait(150)
    team.dialog.grab().save(str(out / "team-edit.png"))
    shots.append(out / "team-edit.png")
    team.dialog.reject()
    window.ctx.set_user(rep, "chosen at start-up on this workstation")
    window.show_view(window.specs[0].key)
    return shots
