"""The formula guard of the CSV files Leadgate writes, and how to recognise them on import.

Cells starting with = + - @ tab or carriage return get a leading apostrophe on the way out
(`safe_cell`); reading a file Leadgate wrote (its header says so) takes it off (`unguard`).
No store here: the import's file-reading worker process uses it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The lead export's header (`export.EXPORT_COLUMNS` pairs each name with its column).
EXPORT_HEADER = (
    "id", "first_name", "last_name", "name", "email", "phone", "title", "company", "country",
    "source", "event", "status", "stage", "owner", "score", "tier", "incomplete", "captured_at",
)  # fmt: skip
ERROR_FILE_FIRST = ("row", "reason")  # the error file's own columns, before the file's


def is_leadgate_file(headers: Sequence[str]) -> bool:
    """Is this the header of a file Leadgate wrote (a lead export or an error file)?"""
    return tuple(headers) == EXPORT_HEADER or tuple(headers[:2]) == ERROR_FILE_FIRST


def unguard(cell: str) -> str:
    """Undo `safe_cell`'s apostrophe: `'+1 415` read back from a Leadgate file is `+1 415`."""
    if cell.startswith("'") and cell[1:].startswith(DANGEROUS_PREFIXES):
        return cell[1:]
    return cell


def safe_cell(value: Any) -> str:
    """The cell as text a spreadsheet will not evaluate."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if text.startswith(DANGEROUS_PREFIXES):
        return "'" + text
    return text
