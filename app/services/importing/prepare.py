"""What the import wizard shows before anything is written: layout, mapping, samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from app.services.importing.detect import Detected, detect
from app.services.importing.mapping import Mapping
from app.services.importing.presets import PresetInfo, list_presets, resolve_mapping

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "mac-roman")
DELIMITERS = {",": "Comma ( , )", ";": "Semicolon ( ; )", "\t": "Tab", "|": "Pipe ( | )"}


@dataclass
class Prepared:
    detected: Detected
    mapping: Mapping
    presets: list[PresetInfo] = field(default_factory=list)

    def samples(self, column: int, limit: int = 3) -> list[str]:
        """Distinct values of a column from rows where it is not empty (blank rows skipped)."""
        out: list[str] = []
        for row in self.detected.preview:
            if column < len(row):
                v = " ".join(row[column].split())
                if v and v not in out:
                    out.append(v)
                    if len(out) >= limit:
                        break
        return out


def prepare(
    session: Session | None,
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
    preset: str | None = None,
) -> Prepared:
    det = detect(
        path, encoding=encoding, delimiter=delimiter, header_row=header_row, sheet=sheet,
        preview_rows=50,
    )  # fmt: skip
    mapping = resolve_mapping(session, det.headers, det.preview, preset=preset)
    presets = list_presets(session) if session is not None else []
    return Prepared(det, mapping, presets)
