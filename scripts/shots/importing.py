"""Shots of the badge-scan import wizard, opened on a sample export, at each main step."""

from __future__ import annotations

import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _sample(out: Path) -> Path:
    for folder in (ROOT.parent / "shared" / "data" / "badges", Path("/work/shared/data/badges")):
        if (folder / "messy_hostile.csv").exists():
            return folder / "messy_hostile.csv"
    from app.services.importing.synth import write_badge_csv

    return write_badge_csv(out / "badge-sample.csv", 400)


def _wait(predicate, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    end = time.monotonic() + seconds
    while not predicate() and time.monotonic() < end:
        QTest.qWait(30)
    QTest.qWait(120)


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from app.ui.importing import open_import_wizard
    from app.ui.importing.wizard import P_COLUMNS, P_DEFAULTS, P_DONE, P_REVIEW, P_SETTINGS

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for size, tag in (((1000, 680), ""), ((900, 580), "-small")):
        wizard = open_import_wizard(window.ctx, window, None)
        wizard.resize(*size)
        _wait(lambda: True, 0.2)
        shots = [("file", None)]
        if tag:
            shots = []
        for name, _ in shots:
            path = out / f"import-{name}{tag}.png"
            wizard.grab().save(str(path))
            written.append(path)
        wizard.open_file(str(_sample(out)))
        _wait(lambda w=wizard: w.page == P_SETTINGS)
        steps = [
            ("settings", P_SETTINGS, None),
            ("columns", P_COLUMNS, None),
            (
                "defaults",
                P_DEFAULTS,
                lambda w: w.defaults_page.event_edit.setText("Web Summit 2026"),
            ),
            ("review", P_REVIEW, None),
        ]
        for name, page, prepare in steps:
            if wizard.page != page:
                wizard._next()
            if prepare is not None:
                prepare(wizard)
            if page == P_REVIEW:
                _wait(lambda w=wizard: w.review is not None)
            else:
                _wait(lambda: True, 0.2)
            path = out / f"import-{name}{tag}.png"
            wizard.grab().save(str(path))
            written.append(path)
        if not tag:
            wizard._next()
            _wait(lambda w=wizard: w.page == P_DONE)
            path = out / "import-done.png"
            wizard.grab().save(str(path))
            written.append(path)
            # Leave the demo store as it was for the other shots (the undo the button asks
            # for once the user confirmed).
            wizard.done_page.undo_requested.emit()
            _wait(lambda w=wizard: w.undo_result is not None)
        wizard.close()
    return written
