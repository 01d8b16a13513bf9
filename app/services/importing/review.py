"""What an import asks the user to look at: possible duplicates, problem rows, and whether a
column mapping can tell leads apart at all."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from app.models import Lead
from app.services.chunks import chunks
from app.services.importing.dedup import MAX_LISTED, PossibleDuplicate
from app.services.importing.loader import Loader
from app.services.importing.results import ImportResult

PROBLEMS_LISTED = 2000  # of each kind

# (row, problem, name, e-mail, company, kind: "rejected" | "incomplete" | "duplicate")
ProblemRow = tuple[int | str, str, str, str, str, str]


def identity_mapped(fields: Iterable[str | None]) -> bool:
    """Whether columns mapped to these fields can tell leads apart: an e-mail or a phone, or
    a name and a company. Without that every row would be rejected."""
    present = {f for f in fields if f}
    has_name = bool(present & {"first_name", "last_name", "full_name"})
    return "email" in present or "phone" in present or (has_name and "company" in present)


def problem_rows(result: ImportResult) -> list[ProblemRow]:
    """Rejected, incomplete and possible-duplicate rows, in file order."""
    rows: list[ProblemRow] = []
    headers = result.headers
    column_of: dict[str, str] = {}
    for column, field in result.mapping.items():
        column_of.setdefault(field, column)  # the first column mapped to a field

    def cell(cells: list[str], field: str) -> str:
        column = column_of.get(field)
        i = headers.index(column) if column is not None and column in headers else -1
        return cells[i].strip() if 0 <= i < len(cells) else ""

    for r in result.rejected_rows[:PROBLEMS_LISTED]:
        name = " ".join(p for p in (cell(r.cells, "first_name"), cell(r.cells, "last_name")) if p)
        rows.append((r.row, f"Rejected: {r.reason}", name or cell(r.cells, "full_name"),
                     cell(r.cells, "email"), cell(r.cells, "company"), "rejected"))  # fmt: skip
    for row, name, email, company, valid in result.incomplete_rows[:PROBLEMS_LISTED]:
        missing = [] if valid else ["no valid e-mail"]
        if not company:
            missing.append("no company")
        rows.append((row, "Incomplete: " + ", ".join(missing), name, email or "", company or "",
                     "incomplete"))  # fmt: skip
    for d in result.possible_duplicates[:PROBLEMS_LISTED]:
        other = f"row {d.other_row}" if d.other_row else f"lead #{d.other_id}"
        rows.append((d.row or "", f"Possible duplicate of {other} ({d.reason}): {d.other_name}",
                     d.name, "", "", "duplicate"))  # fmt: skip
    rows.sort(key=lambda r: r[0] if isinstance(r[0], int) else 0)
    return rows


def find_possible_duplicates(loader: Loader) -> list[PossibleDuplicate]:
    """Possible duplicates among the new leads and against the store. Into an empty store
    the search runs in memory while the writer thread rebuilds the indexes."""
    if not loader.store_empty:
        loader.writer.wait()
    loader.result.conflicts = loader.conflicts[:MAX_LISTED]
    loader.result.conflict_count = len(loader.conflicts)
    if not loader.created_ids:
        loader.writer.wait()
        return []
    check = loader.pulse
    loader.feed_finder()
    # Store leads only join the blocks new leads opened (one streaming pass, no pairs).
    query = select(Lead.id, Lead.display_name, Lead.company, Lead.phone_normalized,
                   Lead.email_normalized).execution_options(yield_per=5000)  # fmt: skip
    if loader.writer.pg:
        query = query.where(Lead.import_batch_id.is_distinct_from(loader.batch_id))
    else:
        # SQLite: every lead older than this import has a smaller id (a primary-key range,
        # where a filter on the batch would read the new leads too).
        query = query.where(Lead.id <= loader.writer.first_id - 1)
    rows: Any = [] if loader.store_empty else loader.session.execute(query)
    for n, (lead_id, name, company, phone, email) in enumerate(rows):
        if n % 1000 == 0:
            check()
        loader.finder.add_existing(loader.finder.entry(lead_id, None, name, company, phone, email))
    dups = loader.finder.find(check=check)[:MAX_LISTED]
    loader.writer.wait()  # the store is read again from here on
    ids = sorted({i for d in dups for i in (d.lead_id, d.other_id) if i is not None})
    names: dict[int, str] = {}
    for part in chunks(ids, 500):
        found = select(Lead.id, Lead.display_name).where(Lead.id.in_(part))
        for lead_id, name in loader.session.execute(found):
            names[lead_id] = name
    for d in dups:
        d.name = names.get(d.lead_id or 0, d.name)
        d.other_name = names.get(d.other_id or 0, d.other_name)
    return dups


__all__ = ["ProblemRow", "find_possible_duplicates", "identity_mapped", "problem_rows"]
