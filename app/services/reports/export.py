"""Writing report data out: CSV that spreadsheets cannot mistake for formulas."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (CSV injection); such cells get a leading apostrophe so they show as typed.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write for `value`: numbers as they are (blank when not finite: NaN,
    Infinity), risky text neutralised."""
    if value is None or (isinstance(value, float | Decimal) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(path: Path | str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV (UTF-8 with BOM so Excel reads accents right) and return its path."""
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([safe_cell(h) for h in headers])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
    return path
