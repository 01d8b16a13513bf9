"""Event badge-scan import: detect -> map -> validate -> dedup -> load, streaming, no Qt.

The names below load on first use: a process that needs one stage (the file-reading worker,
`reading`) does not pay for the store and the duplicate finder. (The function `detect` is
not among them: its name is its module's; import it from `importing.detect`.)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.services.importing.detect import Detected, DetectError
    from app.services.importing.export import export_leads_csv, write_error_file
    from app.services.importing.guard import safe_cell
    from app.services.importing.load import (
        ImportCancelled,
        ImportOptions,
        ImportResult,
        ImportState,
        UndoError,
        UndoResult,
        list_batches,
        run_import,
        undo_batch,
    )
    from app.services.importing.mapping import ALL_FIELDS, Mapping, suggest_mapping
    from app.services.importing.presets import list_presets, resolve_mapping, save_preset

_WHERE = {
    "Detected": "detect",
    "DetectError": "detect",
    "export_leads_csv": "export",
    "write_error_file": "export",
    "safe_cell": "guard",
    "ImportCancelled": "load",
    "ImportOptions": "load",
    "ImportResult": "load",
    "ImportState": "load",
    "UndoError": "load",
    "UndoResult": "load",
    "list_batches": "load",
    "run_import": "load",
    "undo_batch": "load",
    "ALL_FIELDS": "mapping",
    "Mapping": "mapping",
    "suggest_mapping": "mapping",
    "list_presets": "presets",
    "resolve_mapping": "presets",
    "save_preset": "presets",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "ALL_FIELDS",
    "DetectError",
    "Detected",
    "ImportCancelled",
    "ImportOptions",
    "ImportResult",
    "ImportState",
    "Mapping",
    "UndoError",
    "UndoResult",
    "export_leads_csv",
    "list_batches",
    "list_presets",
    "resolve_mapping",
    "run_import",
    "safe_cell",
    "save_preset",
    "suggest_mapping",
    "undo_batch",
    "write_error_file",
]
