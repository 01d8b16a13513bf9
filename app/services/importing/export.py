"""CSV files Leadgate writes (lead export, rejected-rows error file), formula-safe.

Imported values are stored verbatim, so a cell like `=HYPERLINK(...)` survives in the store;
spreadsheets would execute it when opening a CSV. Every cell starting with = + - @ tab or
carriage return is written with a leading apostrophe, which spreadsheets show as text.
Importing a file Leadgate wrote (recognised by its header) takes the apostrophe off again.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Lead, Stage, User
from app.services.importing.guard import EXPORT_HEADER, safe_cell

# The export's columns, in the order of its header (`guard.EXPORT_HEADER`).
_EXPORTED = (
    Lead.id, Lead.first_name, Lead.last_name, Lead.display_name, Lead.email, Lead.phone,
    Lead.title, Lead.company, Lead.country, Lead.source, Lead.event, Lead.status, Stage.name,
    User.name, Lead.score, Lead.tier, Lead.incomplete, Lead.captured_at,
)  # fmt: skip
EXPORT_COLUMNS: tuple[tuple[str, Any], ...] = tuple(zip(EXPORT_HEADER, _EXPORTED, strict=True))


def write_safe_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a UTF-8 (with BOM, so Excel reads the accents) CSV; returns the row count."""
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
            n += 1
    return n


def export_leads_csv(
    session: Session, path: str | Path, *, ids: Sequence[int] | None = None
) -> int:
    """Export leads (all, or `ids`) to `path`. Returns the number of leads written."""
    query = (
        select(*(c for _, c in EXPORT_COLUMNS))
        .outerjoin(Stage, Stage.id == Lead.stage_id)
        .outerjoin(User, User.id == Lead.owner_id)
        .order_by(Lead.id)
        .execution_options(yield_per=5000)
    )
    if ids is not None:
        query = query.where(Lead.id.in_(list(ids)))
    return write_safe_csv(Path(path), [n for n, _ in EXPORT_COLUMNS], session.execute(query))


def write_error_file(path: str | Path, headers: Sequence[str], rejected: Iterable[Any]) -> int:
    """The rejected rows as the file had them, plus `row` and `reason` columns."""
    width = len(headers)
    rows = []
    for r in rejected:
        cells = list(r.cells) + [""] * (width - len(r.cells))
        rows.append([r.row, r.reason, *cells])
    n = write_safe_csv(Path(path), ["row", "reason", *headers], rows)
    with contextlib.suppress(OSError):
        Path(path).chmod(0o600)  # rejected rows are personal data: readable by their owner only
    return n


def error_file_path(source: str | Path, batch_id: int | None) -> Path:
    """Where the CLI writes an import's rejected rows: Leadgate's data folder, imports/
    `<file>.errors-batch<N>.csv`. Not beside the source file: exports often sit in shared or
    read-only folders (a mail attachment cache, a team share) that must not gain files."""
    from app.config import data_dir

    source = Path(source)
    suffix = f"-batch{batch_id}" if batch_id else "-dry-run"
    folder = data_dir() / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder / f"{source.stem}.errors{suffix}.csv"
