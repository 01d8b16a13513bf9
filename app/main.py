"""The `leadgate` entry point: the window without paying for the command-line interface.

Opening the window is the common case and start-up time is visible, so this module imports
nothing until it knows which face is wanted: the window (app.ui.app) or a command (app.cli.core).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def wants_window(args: Sequence[str]) -> bool:
    """No sub-command and no --help/--version: open the window."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--db":
            skip = True
            continue
        if arg.startswith("--db="):
            continue
        if arg in ("-h", "--help", "--version") or not arg.startswith("-"):
            return False
    return True


def db_option(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == "--db" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--db="):
            return arg.split("=", 1)[1]
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] and args[0].startswith("--leadgate-"):
        # The bundled executable started again as a helper process (no window, no command).
        from app.services.importing.reading import WORKER_FLAG, serve

        if args == [WORKER_FLAG]:
            return serve()
    if wants_window(args):
        from app.ui.app import run_gui

        return run_gui(db_option(args))
    from app.cli.core import main as cli_main

    return cli_main(args)
