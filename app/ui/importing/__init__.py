"""The badge-scan import wizard, and the seams the main window uses to reach it.

- `open_import_wizard(ctx, parent, path=None)`: the menu item, toolbar button and Ctrl+I.
- `install_file_drop(window, ctx)`: dropping a CSV/TSV/TXT/XLSX on the window opens the
  wizard on that file.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QWidget

from app.ui.context import AppContext


def open_import_wizard(
    ctx: AppContext, parent: QWidget | None = None, path: str | None = None
) -> Any:
    """Show the import wizard (non-modal, so the window stays usable) and return it."""
    from app.ui.importing.wizard import ImportWizard

    wizard = ImportWizard(ctx, parent, path=str(path) if path else None)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.show()
    wizard.activateWindow()
    return wizard


class _FileDropFilter(QObject):
    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        from app.ui.importing.wizard import dropped_file

        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if dropped_file(event) is not None:  # type: ignore[arg-type]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif event.type() == QEvent.Type.Drop:
            path = dropped_file(event)  # type: ignore[arg-type]
            if path is not None:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                open_import_wizard(self.ctx, self.window, path)
                return True
        return False


def install_file_drop(window: QWidget, ctx: AppContext) -> QObject:
    """Let `window` accept a dropped badge file; returns the filter (kept alive by window)."""
    window.setAcceptDrops(True)
    flt = _FileDropFilter(ctx, window)
    window.installEventFilter(flt)
    return flt


__all__ = ["install_file_drop", "open_import_wizard"]
