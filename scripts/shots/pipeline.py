"""Shots of the pipeline board, a blocked drop's gate dialog, the exit dialog and the
stages & gates editor."""

from __future__ import annotations

from pathlib import Path

from scripts.screenshots import save, settle, shot_while_indexing


def _grab(widget, path: Path) -> Path:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(path))
    return path


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    if "pipeline" not in [s.key for s in window.specs]:
        return []
    view = window.show_view("pipeline")
    settle(window)
    shots = [
        save(window, out / "pipeline-board.png"),
        save(window, out / "pipeline-board-small.png", (1024, 640)),
    ]
    window.resize(1440, 900)
    settle(window)
    # Select the first card of the first column so the lead panel is filled.
    first = next(iter(view.columns.values()))
    if first.model.rowCount():
        first.list.setCurrentIndex(first.model.index(0, 0))
    settle(window)
    shots.append(save(window, out / "pipeline-selected.png"))

    # A search while a big import's last leads are still being indexed for search.
    shots.append(shot_while_indexing(window, view, "ana", out / "pipeline-search-indexing.png"))

    # A blocked move: the first card of "New" dragged to the next stage.
    opened = [s for s in view.stages if s.kind == "open"]
    for column in view.columns.values():
        card = next(
            (
                column.model.card(r)
                for r in range(min(column.model.rowCount(), 40))
                if column.model.card(r) and column.model.card(r).unmet_count
            ),
            None,
        )
        if card is None:
            continue
        idx = [s.id for s in opened].index(column.stage.id)
        if idx + 1 >= len(opened):
            continue
        view.on_card_dropped(
            {"id": card.id, "version": card.version, "stage_id": card.stage_id},
            opened[idx + 1].id,
        )
        settle(window)
        if view.gate_dialog is not None:
            view.gate_dialog.resize(680, 420)
            settle(window)
            shots.append(_grab(view.gate_dialog, out / "pipeline-gate-dialog.png"))
            view.gate_dialog.reject()
        break

    lost = next(s for s in view.stages if s.exit_status == "lost")
    card = first.model.card(0)
    if card is not None:
        view.request_move(card.id, card.version, card.stage_id, lost.id, card.name)
        if view.exit_dialog is not None:
            dialog = view.exit_dialog
            dialog.reason.setCurrentIndex(dialog.reason.findData("lost_to_competitor"))
            dialog.competitor.setText("HubSpot")
            settle(window)
            shots.append(_grab(dialog, out / "pipeline-exit-dialog.png"))
            dialog.reject()

    view.open_stage_editor()
    settle(window)
    editor = view.stage_editor
    editor.stage_list.setCurrentIndex(editor.stage_model.index(0, 0))
    settle(window)
    shots.append(_grab(editor, out / "pipeline-stage-editor.png"))
    editor.reject()
    return shots
