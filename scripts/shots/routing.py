"""Shots of the Routing page as the manager: the rules, the round-robin pool and the territories
with a preview of where the recent leads would go, at 1440x900 and 1280x720, light and dark;
and the rule editor with its deal-value bounds."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QModelIndex
    from PySide6.QtTest import QTest

    from app.services.team.users import list_users

    with window.ctx.store.session() as session:
        manager = next(u for u in list_users(session) if u.role == "manager")
    rep = window.ctx.user
    window.ctx.set_user(manager, "chosen at start-up on this workstation")
    shots = []
    routing = window.show_view("routing")
    settle(window)
    # A rule with deal-value bounds, first in order, so the shots show it in the list and
    # its effect in the preview.
    rules = routing.rules_model
    big = next(
        (u for u, n in routing.config.names.items() if n == "Jonas Becker"),
        next(iter(routing.config.reps)),
    )
    rules.add_rule(
        {
            "name": "Big deals",
            "conditions": {"tier": ["Urgent", "High"], "min_deal_value": 40_000},
            "target_user_id": big,
            "target_pool": None,
            "active": True,
        }
    )
    rules.moveRows(QModelIndex(), rules.rowCount() - 1, 1, QModelIndex(), 0)
    routing.rules.setCurrentIndex(rules.index(0, 0))
    for mode in ("light", "dark"):
        window.set_theme(mode)  # the preferences live in the script's scratch folder
        routing.run_preview()
        suffix = "" if mode == "light" else "-dark"
        shots.append(save(window, out / f"routing{suffix}.png"))
        shots.append(save(window, out / f"routing{suffix}-1280.png", (1280, 720)))
    window.set_theme("light")
    window.resize(1440, 900)
    routing.edit_rule(0)
    routing.dialog.adjustSize()
    QTest.qWait(150)
    routing.dialog.grab().save(str(out / "routing-rule-dialog.png"))
    shots.append(out / "routing-rule-dialog.png")
    routing.dialog.reject()
    routing.refresh()  # the shot's rule is a draft: drop it
    settle(window)
    window.ctx.set_user(rep, "chosen at start-up on this workstation")
    window.show_view(window.specs[0].key)
    return shots
