"""Shots of the Inbox: the scored list with a hot lead selected (score explanation, routing,
quick actions in the panel), a filtered view, the narrow window, a search while new leads are
being indexed, and the scoring settings."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle, shot_while_indexing


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    if "inbox" not in [s.key for s in window.specs]:
        return []
    view = window.show_view("inbox")
    settle(window)
    shots = []
    view.table.selectRow(0)
    settle(window)
    shots.append(save(window, out / "inbox-1440.png"))
    shots.append(save(window, out / "inbox-1024.png", (1024, 640)))
    window.resize(1440, 900)

    from app.services.team.users import list_users
    from app.ui.inbox.scoring_dialog import ScoringSettingsDialog

    rep = window.ctx.user
    with window.ctx.store.session() as s:
        manager = next(u for u in list_users(s) if u.is_manager)
    window.ctx.set_user(manager)  # bulk assignment and the rules are a manager's
    settle(window)
    view.chips["Urgent"].setChecked(True)
    view.chips["High"].setChecked(True)
    settle(window)
    view.table.selectionModel().clearSelection()
    view.table.selectRow(0)
    view.table.selectRow(1)
    for r in (1, 2):
        view.table.selectionModel().select(
            view.model.index(r, 0),
            view.table.selectionModel().SelectionFlag.Select
            | view.table.selectionModel().SelectionFlag.Rows,
        )
    settle(window)
    shots.append(save(window, out / "inbox-hot-bulk.png"))
    view.reset_filters()
    settle(window)

    # A search while a big import's last leads are still being indexed for search.
    shots.append(shot_while_indexing(window, view, "ana", out / "inbox-search-indexing.png"))

    dialog = ScoringSettingsDialog(window.ctx, window)
    dialog.setWindowModality(Qt.WindowModality.NonModal)
    dialog.show()
    settle(window)
    dialog.tabs.setCurrentIndex(0)
    dialog.spins[("thresholds", "Urgent")].setValue(75)
    dialog.run_preview()
    settle(window, 8000)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "inbox-scoring-settings.png"
    dialog.grab().save(str(path))
    shots.append(path)
    dialog.tabs.setCurrentIndex(dialog.tabs.count() - 1)
    settle(window)
    path = out / "inbox-scoring-sources.png"
    dialog.grab().save(str(path))
    shots.append(path)
    dialog.reject()
    window.ctx.set_user(rep)
    settle(window)
    return shots
