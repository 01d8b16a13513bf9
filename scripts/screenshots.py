"""Regenerate docs/screenshots/ from the real windows on a demo store.

    python scripts/screenshots.py [--out docs/screenshots] [--leads 2000] [--only backup]

Runs offscreen (no display needed). Every module in scripts/shots/ contributes the shots of
its feature through `capture(window, out_dir) -> list[Path]`; this script adds the main window
in light and dark, at 1440x900 and 1024x640.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def settle(window, ms: int = 4000) -> None:  # type: ignore[no-untyped-def]
    """Let background loads land and the window repaint."""
    from PySide6.QtCore import QElapsedTimer
    from PySide6.QtTest import QTest

    timer = QElapsedTimer()
    timer.start()
    QTest.qWait(100)
    while window.ctx.tasks.busy and timer.elapsed() < ms:
        QTest.qWait(50)
    QTest.qWait(150)


def save(window, path: Path, size: tuple[int, int] = (1440, 900)) -> Path:  # type: ignore[no-untyped-def]
    window.resize(*size)
    settle(window)
    path.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(path))
    return path


def shot_while_indexing(window, view, text: str, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """`view` searching `text` while the store's last 1,200 leads wait for the search index
    (as a big import leaves them); the index catches up and the search clears after."""
    from app.store.search import SEARCH_TABLE, catch_up_search

    with window.ctx.store.session() as s:
        s.connection().exec_driver_sql(
            f"DELETE FROM {SEARCH_TABLE} WHERE rowid IN "
            "(SELECT id FROM leads ORDER BY id DESC LIMIT 1200)"
        )
        s.commit()
    view.search.setText(text)
    settle(window)
    shot = save(window, path)
    with window.ctx.store.session() as s:
        catch_up_search(s)
        s.commit()
    view.search.clear()
    settle(window)
    return shot


def shot_modules(only: list[str] | None = None) -> list[Callable]:  # type: ignore[type-arg]
    captures = []
    for file in sorted((ROOT / "scripts" / "shots").glob("[!_]*.py")):
        if only and file.stem not in only:
            continue
        spec = importlib.util.spec_from_file_location(f"shots_{file.stem}", file)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        captures.append(module.capture)
    return captures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument(
        "--only", nargs="+", metavar="MODULE", help="only these scripts/shots/ modules"
    )
    args = parser.parse_args()
    # A background checkpoint may still be closing its WAL files as the folder goes.
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as tmp:
        os.environ["LEADGATE_DATA_DIR"] = tmp
        from app.clock import SystemClock
        from app.config import default_sqlite_url
        from app.demo import generator as demo
        from app.services.team.users import list_users
        from app.store.db import open_store, unit_of_work
        from app.ui import theme
        from app.ui.app import build_window, ensure_app

        app = ensure_app()
        clock = SystemClock()
        store = open_store(default_sqlite_url(), now=clock.now())
        with unit_of_work(store.session_factory) as session:
            demo.generate(session, clock, leads=args.leads, seed=7)
        with store.session() as session:
            team = list_users(session)
        rep = next(u for u in team if u.role == "rep")
        written: list[Path] = []

        empty_store = open_store(f"sqlite:///{tmp}/empty.sqlite3", now=clock.now())
        for mode in ("light", "dark"):
            theme.apply_theme(app, mode)
            window = build_window(store, clock, rep)
            window.show()
            key = window.specs[0].key
            window.show_view(key)
            if args.only:
                if mode == "light":
                    for capture in shot_modules(args.only):
                        written.extend(capture(window, args.out))
                window.close()
                window.ctx.tasks.wait()  # reads in flight still hold the store's files
                continue
            written.append(save(window, args.out / f"main-{mode}-1440.png"))
            written.append(save(window, args.out / f"main-{mode}-1024.png", (1024, 640)))
            if mode == "light":
                window.resize(1440, 900)
                for capture in shot_modules():
                    written.extend(capture(window, args.out))
                empty = build_window(empty_store, clock, rep)
                empty.show()
                empty.show_view("inbox")  # what a new user sees first: the next steps
                written.append(save(empty, args.out / "main-empty-store.png"))
                empty.close()
                empty.ctx.tasks.wait()
            window.close()
            window.ctx.tasks.wait()
        app.processEvents()
        store.dispose()
        empty_store.dispose()
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
