"""The one progress/cancel handle long actions take (an import, a rescore, an undo).

`app.ui.workers.TaskState` satisfies it (the app's task runner passes one), and so does
`app.services.importing.ImportState` (the CLI, tests and benchmarks). `check()` raises when
the user cancelled (whatever exception the handle's owner chose); `progress()` reports how far
the work is, `text` saying what it is doing.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def progress(self, done: int, total: int, text: str = "") -> None: ...

    def check(self) -> None: ...


__all__ = ["Progress"]
