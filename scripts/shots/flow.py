"""Shots of the board at 1280x720, the merge dialog, the import history, an account and the
import's possible-duplicates review."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle


def _grab(widget, path: Path, size: tuple[int, int]) -> Path:  # type: ignore[no-untyped-def]
    widget.resize(*size)
    widget.show()
    settle(widget.parent())
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(path))
    widget.close()
    return path


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from app.models import Lead
    from app.services.importing.dedup import PossibleDuplicate
    from app.ui.importing.duplicates_dialog import DuplicatesDialog
    from app.ui.importing.history_dialog import ImportHistoryDialog
    from app.ui.inbox.account_dialog import AccountDialog
    from app.ui.inbox.merge_dialog import MergeDialog

    if "pipeline" not in [s.key for s in window.specs]:
        return []
    window.show_view("pipeline")
    shots = [save(window, out / "pipeline-board-1280.png", (1280, 720))]
    window.resize(1440, 900)
    with window.ctx.store.session() as session:
        ids = list(session.scalars(select(Lead.id).where(Lead.account_id.is_not(None)).limit(2)))
        some = session.execute(select(Lead.id, Lead.display_name).limit(8)).all()
    if len(ids) == 2:
        shots.append(_grab(MergeDialog(window.ctx, *ids, window), out / "merge-dialog.png",
                           (760, 520)))  # fmt: skip
        shots.append(_grab(AccountDialog(window.ctx, lead_id=ids[0], parent=window),
                           out / "account-view.png", (820, 560)))  # fmt: skip
    shots.append(_grab(ImportHistoryDialog(window.ctx, window), out / "import-history.png",
                       (1000, 480)))  # fmt: skip
    reasons = ["similar name and company", "same phone", "same e-mail domain and similar name"]
    pairs = [
        PossibleDuplicate(new.id, 10 + i, old.id, None, reasons[i % 3], 100 - 4 * i,
                          new.display_name, old.display_name)
        for i, (new, old) in enumerate(zip(some[::2], some[1::2], strict=False))
    ]  # fmt: skip
    if pairs:
        shots.append(_grab(DuplicatesDialog(window.ctx, pairs, window),
                           out / "import-duplicates.png", (820, 480)))  # fmt: skip
    return shots
