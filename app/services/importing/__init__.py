"""Event badge-scan import: detect -> map -> validate -> dedup -> load, streaming, no Qt."""

from app.services.importing.detect import Detected, DetectError, detect
from app.services.importing.export import export_leads_csv, safe_cell, write_error_file
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
from app.services.importing.mapping import (
    ALL_FIELDS,
    Mapping,
    list_presets,
    resolve_mapping,
    save_preset,
    suggest_mapping,
)

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
    "detect",
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
