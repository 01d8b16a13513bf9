"""Stage 5: write the file's leads to the store, and undo a batch (the names as before).

The work is split by job: `run` (the import run), `loader` (a chunk of rows into lead rows),
`app.store.bulk` (the bulk writer), `review` (possible duplicates, problem rows), `undo`,
`pacing` (progress, cancel, the garbage collector) and `results` (options and result).
"""

from __future__ import annotations

from app.services.importing.loader import EVENT_KIND, LEAD_COLUMNS
from app.services.importing.loader import Loader as _Loader
from app.services.importing.pacing import (
    PROGRESS_EVERY_S,
    ImportCancelled,
    ImportState,
    ProgressState,
)
from app.services.importing.results import ImportOptions, ImportResult, RejectedRow
from app.services.importing.run import CHUNK, run_import
from app.services.importing.undo import UndoError, UndoResult, list_batches, undo_batch
from app.store.bulk import DEFERRABLE_TRIGGERS
from app.store.bulk import BulkWriter as _Writer

__all__ = [
    "CHUNK",
    "DEFERRABLE_TRIGGERS",
    "EVENT_KIND",
    "LEAD_COLUMNS",
    "PROGRESS_EVERY_S",
    "ImportCancelled",
    "ImportOptions",
    "ImportResult",
    "ImportState",
    "ProgressState",
    "RejectedRow",
    "UndoError",
    "UndoResult",
    "_Loader",
    "_Writer",
    "list_batches",
    "run_import",
    "undo_batch",
]
