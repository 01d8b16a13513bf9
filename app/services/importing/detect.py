"""Stage 1: what kind of file this is and where its data is.

Encoding (BOM first, then charset-normalizer, the caller may override), delimiter, the header
row below any title/comment lines, and where the data ends (totals or "exported by" footers).
Everything streams: only the first `SAMPLE_BYTES` are read to decide, rows are then produced one
at a time, so a million-row file never sits in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.services.action_error import ActionError
from app.services.importing.guard import is_leadgate_file, unguard

SAMPLE_BYTES = 256 * 1024
SAMPLE_ROWS = 60
DELIMITERS = (",", ";", "\t", "|")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Cells can be huge (notes pasted from an e-mail thread); the csv module's default 128 KiB
# limit would abort the whole file on one such cell.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

FOOTER_RE = re.compile(
    r"^\s*(totals?|grand total|sum|summe|gesamt|insgesamt|total g[ée]n[ée]ral|"
    r"count|records?|rows?|leads?|scans?|number of|anzahl|nombre de|"
    r"exported|export(ed)? (by|on|at)|generated|report generated|end of (report|file|export)|"
    r"created (by|on)|printed|page \d)\b",
    re.IGNORECASE,
)
TITLE_HINT_RE = re.compile(r"^\s*(#|//|--|\*)")


class DetectError(ActionError):
    """The file cannot be read as a table (empty, binary, unreadable workbook)."""


@dataclass
class Detected:
    """What detection decided, all of it overridable by the user."""

    path: Path
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int = 1  # 1-based row number (in parsed rows) of the header
    headers: list[str] = field(default_factory=list)
    sheet: str | None = None
    sheets: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    preview: list[list[str]] = field(default_factory=list)  # first data rows, for the UI
    size: int = 0
    # A lead export or error file Leadgate wrote: its formula guard is undone on reading.
    leadgate_file: bool = False

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "header_row": self.header_row,
            "sheet": self.sheet,
            "warnings": list(self.warnings),
        }


# -- encoding -----------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LATIN_FAMILY = {"latin_1", "iso8859_1", "iso8859_15", "cp1252", "cp1250", "windows_1252"}


def detect_encoding(head: bytes) -> str:
    """Encoding of a file starting with `head`: BOM, then strict UTF-8, then charset-normalizer."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            # UTF-32-LE's BOM starts with UTF-16-LE's: the longer one is checked first.
            return name
    if not head:
        return "utf-8"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    # UTF-16 without BOM: every other byte NUL in ASCII-heavy text.
    if head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) < len(head) // 20:
        return "utf-16-le"
    if head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) < len(head) // 20:
        return "utf-16-be"
    from charset_normalizer import from_bytes

    best = from_bytes(head.replace(b"\x00", b"")).best()
    name = codecs.lookup(best.encoding).name.replace("-", "_") if best else "cp1252"
    # Western exports are Windows-1252 far more often than strict Latin-1; cp1252 decodes the
    # same letters and adds the typographic quotes and euro sign Excel writes.
    if name in _LATIN_FAMILY or best is None:
        try:
            head.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"
    return best.encoding


def _codec_name(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError as exc:
        raise DetectError(f"Unknown encoding '{encoding}'.") from exc


# -- text streams -------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A binary reader that remembers how many bytes were consumed (progress without tell())."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


class NulCounter:
    """Counts NUL characters removed from a text stream (PostgreSQL cannot store them)."""

    def __init__(self) -> None:
        self.removed = 0


def _clean_lines(text: IO[str], nuls: NulCounter) -> Iterator[str]:
    for line in text:
        if "\x00" in line:
            nuls.removed += line.count("\x00")
            line = line.replace("\x00", "")
        yield line


def open_text(path: Path, encoding: str) -> tuple[IO[str], _CountingReader]:
    raw = _CountingReader(open(path, "rb"))  # noqa: SIM115 - closed by the caller
    buffered = io.BufferedReader(raw, buffer_size=1 << 16)
    # errors="replace": one bad byte must not lose the file; the user can override encoding.
    text = io.TextIOWrapper(buffered, encoding=encoding, errors="replace", newline="")
    return text, raw


# -- delimiter and header -----------------------------------------------------------------


def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def detect_delimiter(sample: str) -> str:
    """The delimiter that splits the sample into the most rows of one consistent width."""
    best, best_score = ",", (-1, -1)
    for delim in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delim) if not _is_blank(r)]
        except csv.Error:
            continue
        rows = rows[:-1] if len(rows) > 1 else rows  # the last sample row may be cut short
        widths = Counter(len(r) for r in rows)
        if not widths:
            continue
        width, count = max(widths.items(), key=lambda kv: (kv[1] * (kv[0] > 1), kv[0]))
        if width < 2:
            continue
        score = (count, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _looks_like_value(cell: str) -> bool:
    c = cell.strip()
    return "@" in c or bool(re.fullmatch(r"[\d\s().,+:/-]+", c))


def find_header(rows: list[list[str]]) -> int:
    """0-based index of the header among the sample rows (title/comment lines skipped)."""
    from app.services.importing.mapping import guess_field

    if not rows:
        return 0
    widths = Counter(sum(1 for c in r if c.strip()) for r in rows if not _is_blank(r))
    typical = max(widths.items(), key=lambda kv: (kv[1], kv[0]))[0] if widths else 1
    best_i, best_score = None, 0.0
    for i, row in enumerate(rows[:30]):
        cells = [c for c in row if c.strip()]
        if len(cells) < 2 or TITLE_HINT_RE.match(row[0] if row else ""):
            continue
        known = sum(1 for c in cells if guess_field(c) is not None)
        values = sum(1 for c in cells if _looks_like_value(c))
        score = known * 2 + len(cells) / max(typical, 1) - values * 2
        if known and score > best_score:
            best_i, best_score = i, score
    if best_i is not None:
        return best_i
    # No header words anywhere: the first row as wide as the data, with no data-like cells.
    for i, row in enumerate(rows[:30]):
        cells = [c for c in row if c.strip()]
        if len(cells) >= max(2, int(typical * 0.6)) and not any(
            _looks_like_value(c) for c in cells
        ):
            return i
    return 0


def is_footer(cells: list[str], width: int) -> bool:
    """A totals/summary/"exported by" line below the data."""
    limit = max(2, width // 3)
    filled: list[str] = []
    for c in cells:  # called for every row: stops at the first data-like count of cells
        if c and (not c[0].isspace() or c.strip()):
            filled.append(c)
            if len(filled) > limit:
                return False
    if not filled:
        return False
    first = filled[0]
    return bool(FOOTER_RE.match(first)) and "@" not in "".join(filled)


# -- public entry points ------------------------------------------------------------------


def detect(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_row: int | None = None,
    sheet: str | None = None,
    preview_rows: int = 20,
) -> Detected:
    """Detect the layout of `path`; any argument given overrides what detection would pick."""
    path = Path(path)
    if not path.exists():
        raise DetectError(f"No file at {path}.")
    size = path.stat().st_size
    if size == 0:
        raise DetectError(f"{path.name} is empty.")
    with open(path, "rb") as fh:
        head = fh.read(SAMPLE_BYTES)
    if path.suffix.lower() in XLSX_SUFFIXES or head.startswith(b"PK\x03\x04"):
        det = Detected(path=path, kind="xlsx", size=size)
        sample = _xlsx_sample(det, sheet)
    else:
        det = Detected(path=path, kind="csv", size=size)
        det.encoding = _codec_name(encoding) if encoding else detect_encoding(head)
        text = head.decode(det.encoding, errors="replace")
        if size > len(head):
            text = text[: text.rfind("\n") + 1] or text  # whole lines only
        if "\x00" in text:
            text = text.replace("\x00", "")
        det.delimiter = delimiter or detect_delimiter(text)
        sample = list(csv.reader(io.StringIO(text), delimiter=det.delimiter))[:SAMPLE_ROWS]
    idx = max(0, header_row - 1) if header_row is not None else find_header(sample)
    det.header_row = idx + 1
    det.headers = _clean_headers(sample[idx] if idx < len(sample) else [])
    width = len(det.headers)
    det.leadgate_file = is_leadgate_file(det.headers)
    for row in sample[idx + 1 :]:
        if len(det.preview) >= preview_rows:
            break
        if is_footer(row, width):
            break
        det.preview.append([unguard(c) for c in row] if det.leadgate_file else row)
    if not det.headers:
        raise DetectError(f"{path.name} has no rows to import.")
    return det


def _clean_headers(row: list[str]) -> list[str]:
    out = []
    for i, h in enumerate(row):
        h = h.replace("\x00", "").replace("\ufeff", "").strip()
        out.append(h or f"Column {i + 1}")
    # Trailing empty header cells with no name are usually a trailing delimiter.
    while out and out[-1].startswith("Column ") and not row[len(out) - 1].strip() and len(out) > 1:
        out.pop()
    return out


def _xlsx_open(path: Path) -> Any:
    try:
        from openpyxl import load_workbook

        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise DetectError(f"{path.name} is not a readable Excel workbook: {exc}") from exc


def _xlsx_sheet(wb: Any, sheet: str | None) -> Any:
    if sheet is None:
        return wb.worksheets[0]
    if sheet not in wb.sheetnames:
        raise DetectError(f"The workbook has no sheet '{sheet}' ({', '.join(wb.sheetnames)}).")
    return wb[sheet]


def _xlsx_sample(det: Detected, sheet: str | None) -> list[list[str]]:
    wb = _xlsx_open(det.path)
    try:
        det.sheets = list(wb.sheetnames)
        ws = _xlsx_sheet(wb, sheet)
        det.sheet = ws.title
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append([cell_text(v) for v in values])
            if len(rows) >= SAMPLE_ROWS:
                break
        return rows
    finally:
        wb.close()


def cell_text(value: Any) -> str:
    """A workbook cell as the text a user sees."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat())
    return str(value)


@dataclass
class RowStream:
    """Data rows after the header, up to the footer: (row number, cells) pairs."""

    det: Detected
    nuls: NulCounter = field(default_factory=NulCounter)
    _position: Callable[[], int] = lambda: 0
    footer_rows: int = 0

    @property
    def total(self) -> int:
        return self.det.size

    def position(self) -> int:
        return self._position()

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        rows = self._rows(self._xlsx_rows() if self.det.kind == "xlsx" else self._csv_rows())
        if self.det.leadgate_file:
            rows = ((number, [unguard(c) for c in cells]) for number, cells in rows)
        yield from rows

    def _csv_rows(self) -> Iterator[list[str]]:
        assert self.det.encoding and self.det.delimiter
        text, counter = open_text(self.det.path, self.det.encoding)
        self._position = lambda: counter.consumed
        try:
            yield from csv.reader(_clean_lines(text, self.nuls), delimiter=self.det.delimiter)
        finally:
            text.close()

    def _xlsx_rows(self) -> Iterator[list[str]]:
        wb = _xlsx_open(self.det.path)
        try:
            ws = _xlsx_sheet(wb, self.det.sheet)
            total_rows = ws.max_row or 0
            seen = 0
            # Progress for workbooks counts rows, scaled to the file size the caller expects.
            self._position = lambda: int(self.det.size * seen / total_rows) if total_rows else 0
            for values in ws.iter_rows(values_only=True):
                seen += 1
                cells = [cell_text(v) for v in values]
                if any("\x00" in c for c in cells):
                    self.nuls.removed += sum(c.count("\x00") for c in cells)
                    cells = [c.replace("\x00", "") for c in cells]
                yield cells
        finally:
            wb.close()

    def _rows(self, rows: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
        width = len(self.det.headers)
        held: list[tuple[int, list[str]]] = []  # footer-looking rows, until data resumes
        for number, cells in enumerate(rows, start=1):
            if number <= self.det.header_row:
                continue
            if held:
                if is_footer(cells, width) or _is_blank(cells):
                    held.append((number, cells))
                    continue
                # Data resumed: what looked like a footer was data after all.
                yield from held
                held.clear()
            if is_footer(cells, width):
                held.append((number, cells))
                continue
            yield number, cells
        # Blank rows between the data and the footer belong to the data; footer rows do not.
        cut = next((i for i, (_, c) in enumerate(held) if not _is_blank(c)), len(held))
        yield from held[:cut]
        self.footer_rows = len(held) - cut
