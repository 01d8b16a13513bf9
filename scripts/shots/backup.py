"""Shots of Help > About Leadgate and File > Restore from backup… on the demo store, with a
backup made before an upgrade and one made by hand, and a refused file's one-line reason."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scripts.screenshots import settle


def _grab(dialog, path: Path) -> Path:  # type: ignore[no-untyped-def]
    from PySide6.QtTest import QTest

    dialog.show()
    dialog.adjustSize()
    QTest.qWait(150)
    path.parent.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(path))
    return path


def capture(window, out: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    from app.backup import backup_name, backup_store
    from app.store.db import backup_sqlite
    from app.ui.about import AboutDialog, AboutInfo
    from app.ui.backup_dialog import RestoreDialog, store_file

    settle(window)
    shots = []
    about = AboutDialog(AboutInfo.for_store(window.ctx.store), window)
    shots.append(_grab(about, out / "about.png"))
    about.close()

    path = store_file(window.ctx.store)
    if path is None:
        return shots
    now = datetime.now(UTC).replace(microsecond=0)
    backup_sqlite(path, now - timedelta(days=12, hours=3))  # as an upgrade leaves it
    backup_store(path, backup_name(path, "manual", now - timedelta(days=2)))
    dialog = RestoreDialog(path, lambda: now, window)
    dialog.resize(720, 440)
    shots.append(_grab(dialog, out / "restore-backups.png"))
    other = path.with_name("photos.sqlite3")
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    dialog.request_restore(other, confirm=False)
    shots.append(_grab(dialog, out / "restore-refused.png"))
    dialog.close()
    return shots
