"""What an import is asked to do (ImportOptions) and what it did (ImportResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the file-reading worker process does without the duplicate finder
    from app.services.importing.dedup import Conflict, PossibleDuplicate

# The source an import gives its leads unless told otherwise: one the scoring rules weigh
# ("Event scan"), so imported leads get their source points and one line in the Sources report.
DEFAULT_SOURCE = "Event scan"


@dataclass
class ImportOptions:
    source: str | None = DEFAULT_SOURCE
    event: str | None = None
    event_date: date | None = None
    owner_id: int | None = None  # None: route automatically (when `route`)
    route: bool = True
    tags: list[str] = field(default_factory=list)
    user_id: int | None = None
    phone_region: str | None = None
    dry_run: bool = False
    # Into an empty store: leave the search index, and the leads' indexes only the views read,
    # to be caught up after the import returns (`app.store.bulk.catch_up_in_background`; the
    # API function starts it).
    search_later: bool = False


@dataclass
class RejectedRow:
    row: int
    reason: str
    cells: list[str]


@dataclass
class ImportResult:
    file_name: str
    data_rows: int = 0
    created: int = 0
    updated: int = 0
    merged: int = 0
    rejected: int = 0
    skipped_blank: int = 0
    incomplete: int = 0
    footer_rows: int = 0
    batch_id: int | None = None
    dry_run: bool = False
    detected: dict[str, Any] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    headers: list[str] = field(default_factory=list)
    preset: str | None = None
    warnings: list[str] = field(default_factory=list)
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    conflict_count: int = 0
    possible_duplicates: list[PossibleDuplicate] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    # Created leads flagged incomplete: (row, name, e-mail, company, e-mail valid), for review.
    incomplete_rows: list[tuple[int, str, str | None, str | None, bool]] = field(
        default_factory=list
    )
    seconds: float = 0.0
    # New leads not in the search index yet (`ImportOptions.search_later`): the API function
    # catches it up in the background after the commit.
    search_backlog: int = 0
    # How many of the leads' indexes (for the views' orderings) are built after the import.
    indexes_later: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file_name,
            "data_rows": self.data_rows,
            "created": self.created,
            "updated": self.updated,
            "merged": self.merged,
            "rejected": self.rejected,
            "skipped_blank": self.skipped_blank,
            "incomplete": self.incomplete,
            "possible_duplicates": len(self.possible_duplicates),
            "conflicts": self.conflict_count,
            "batch_id": self.batch_id,
            "dry_run": self.dry_run,
            "encoding": self.detected.get("encoding"),
            "delimiter": self.detected.get("delimiter"),
            "header_row": self.detected.get("header_row"),
            "sheet": self.detected.get("sheet"),
            "footer_rows": self.footer_rows,
            "mapping": self.mapping,
            "preset": self.preset,
            "warnings": self.warnings,
        }

    def counts(self) -> dict[str, int]:
        return {
            k: getattr(self, k)
            for k in ("data_rows", "created", "updated", "merged", "rejected", "skipped_blank",
                      "incomplete", "footer_rows")
        } | {"possible_duplicates": len(self.possible_duplicates),
             "conflicts": self.conflict_count}  # fmt: skip


__all__ = ["ImportOptions", "ImportResult", "RejectedRow"]
