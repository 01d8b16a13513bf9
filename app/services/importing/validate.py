"""Stage 3: one file row -> a candidate lead, or a reason it cannot be one.

Rules: blank rows are skipped; a row with no valid e-mail, no phone and no name with a company
is rejected with a reason; a lead lacking a valid e-mail or a company is flagged incomplete.
E-mails are trimmed, lower-cased for matching and validated by email-validator without any
network look-up; phones are normalised with phonenumbers and the original kept. Every value is
stored verbatim (formula-looking text included); CSV writers neutralise it on the way out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from app.services.importing.mapping import QUALIFIER_FIELDS, Mapping, split_full_name

BLANK = "blank"
REJECTED = "rejected"
OK = "ok"
REASON_NO_IDENTITY = "no valid e-mail, no phone and no name with a company"

# Typed lead columns and their widths: PostgreSQL refuses longer text, so the column gets a
# clipped value and raw_row keeps every character.
COLUMN_WIDTHS = {
    "first_name": 200,
    "last_name": 200,
    "display_name": 400,
    "email": 320,
    "email_normalized": 320,
    "phone": 100,
    "phone_normalized": 40,
    "title": 255,
    "company": 255,
    "country": 100,
    "industry": 100,
}
# Every width but the normalised phone's (clipped where it is made) holds two cells of this.
_NARROWEST = min(w for k, w in COLUMN_WIDTHS.items() if k != "phone_normalized") // 2
PHONE_CACHE = 100_000
_MISSING = object()
TEXT_FIELDS = ("first_name", "last_name", "title", "company", "country", "industry")
MIN_PHONE_DIGITS = 7


@dataclass(slots=True)
class Candidate:
    """A validated row: the lead values it carries and what the checks found."""

    row_number: int
    status: str
    values: dict[str, Any] = field(default_factory=dict)
    qualifiers: dict[str, str] = field(default_factory=dict)
    raw: str = "{}"  # the whole row, header -> cell, as JSON text (the lead's raw_row)
    email_key: str | None = None  # normalised valid e-mail: the merge key
    reason: str | None = None
    incomplete: bool = False
    cells: list[str] | None = None  # original cells, kept for the error file


def _json_encoder() -> Callable[[Any], str]:
    """`json.dumps(value, ensure_ascii=False)` for the dicts of text a lead row holds. The C
    encoder is made once and called directly: `JSONEncoder.encode` builds a new one on every
    call (its one-shot path), a third of the cost of a row's two small dicts."""
    options = json.JSONEncoder(ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the library's own path
        return options.encode
    encode = make(
        None, options.default, json.encoder.encode_basestring, None, options.key_separator,
        options.item_separator, False, False, True,
    )  # fmt: skip
    return lambda value: "".join(encode(value, 0))


to_json = _json_encoder()


_LOCAL_RE = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


@lru_cache(maxsize=65536)
def _domain_ok(domain: str) -> bool:
    try:
        validate_email(f"a@{domain}", check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


def email_is_valid(email: str) -> bool:
    """email-validator's verdict (no DNS). Plain ASCII local parts skip its slow path: the
    dot-atom rule below is exactly what it accepts for them, and the domain verdict is cached
    because a badge file repeats the same few hundred domains."""
    local, at, domain = email.rpartition("@")
    if (
        at and local and domain and len(local) <= 64 and len(email) <= 254
        and domain.isascii() and "xn--" not in domain.lower() and _LOCAL_RE.match(local)
    ):  # fmt: skip
        # All ASCII and no IDNA label: every form email-validator measures is this long.
        return _domain_ok(domain.lower())
    try:
        validate_email(email, check_deliverability=False)
        return True
    except EmailNotValidError:
        return False


_DIGITS_RE = re.compile(r"\d")


_INTL_RE = re.compile(r"^\s*\+\d[\d\s().\-/]*$")


def normalize_phone(raw: str, region: str | None = None) -> str | None:
    """E.164 when phonenumbers can parse it, else '+'/digits; None with too few digits."""
    digits = "".join(_DIGITS_RE.findall(raw))
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    if 8 <= len(digits) <= 15 and "(0)" not in raw and _INTL_RE.match(raw):
        # "+1 (748) 296-6991": an international number without extension or trunk "(0)" is
        # already E.164 once the punctuation goes; phonenumbers would return the same digits.
        return "+" + digits
    try:
        num = phonenumbers.parse(raw, region)
        if phonenumbers.is_possible_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)[:40]
    except phonenumbers.NumberParseException:
        pass
    return (("+" if raw.strip().startswith("+") else "") + digits)[:40]


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)


@lru_cache(maxsize=1 << 16)
def parse_date(text: str) -> datetime | None:
    """A scan time in any common export format, as UTC (cached: scans share minutes)."""
    t = text.strip()
    if not t:
        return None
    if not t[:4].isdigit():
        return _parse_other(t)
    try:
        dt = datetime.fromisoformat(t)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except ValueError:
        pass
    return _parse_other(t)


# "10/21/2026 7:50 AM", the lead-retrieval exporters' format: strptime's reading of
# "%m/%d/%Y %I:%M %p" for the digits it accepts, without its per-call regex work.
_US_TIME_RE = re.compile(
    r"(0?[1-9]|1[0-2])/(0?[1-9]|[12][0-9]|3[01])/([0-9]{4}) (0?[1-9]|1[0-2]):([0-5][0-9]) ([AP]M)"
)
_US_TIME = "%m/%d/%Y %I:%M %p"


def _parse_other(t: str) -> datetime | None:
    m = _US_TIME_RE.fullmatch(t)
    if m is not None:
        # Only this format (the one with AM/PM) can read such a text, whichever came last.
        month, day, year, hour, minute, half = m.groups()
        try:
            dt = datetime(int(year), int(month), int(day), int(hour) % 12 + 12 * (half == "PM"),
                          int(minute), tzinfo=UTC)  # fmt: skip
        except ValueError:  # no such day: the formats below say so
            pass
        else:
            _last_format[0] = _US_TIME
            return dt
    # A file uses one format: the one that worked last is tried first.
    for fmt in (_last_format[0], *_DATE_FORMATS):
        try:
            dt = datetime.strptime(t, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        _last_format[0] = fmt
        return dt
    return None


_last_format = [_DATE_FORMATS[0]]


class RowValidator:
    """Turns cells into Candidates for one mapping. Built once per import (cheap per row)."""

    def __init__(
        self, mapping: Mapping, *, phone_region: str | None = None, delimited: bool = True
    ) -> None:
        self.mapping = mapping
        self.delimited = delimited
        self.headers = mapping.headers
        self.region = phone_region
        self._columns = [(i, f) for i, f in enumerate(mapping.fields) if f]
        self._keys: dict[int, list[str]] = {}  # cell count -> raw_row keys
        self._phones: dict[str, str | None] = {}  # phone text -> normalised (this region)

    def raw_row(self, cells: list[str]) -> dict[str, str]:
        # The keys depend only on the headers and the cell count: worked out once per count.
        keys = self._keys.get(len(cells))
        if keys is None:
            keys = []
            used: set[str] = set()
            for i in range(len(cells)):
                key = self.headers[i] if i < len(self.headers) else f"Column {i + 1}"
                if key in used:
                    key = f"{key} ({i + 1})"
                used.add(key)
                keys.append(key)
            self._keys[len(cells)] = keys
        return dict(zip(keys, cells, strict=True))

    def _empty_record(self, cells: list[str]) -> bool:
        """A CSV line of bare delimiters (`,,,,,`) is a record the exporter wrote with every
        field empty: a scan that captured nothing. It is rejected, so it shows in the error
        file, unlike an empty or whitespace-only line, which is layout noise and skipped."""
        return self.delimited and len(cells) > 1 and not any(cells)

    def check(self, row_number: int, cells: list[str]) -> Candidate:
        # Every cell blank exactly when all of them together are (one C call, not ten).
        if not "".join(cells).strip() and not self._empty_record(cells):
            return Candidate(row_number, BLANK)
        values: dict[str, Any] = {}
        qualifiers: dict[str, str] = {}
        for i, f in self._columns:
            if i >= len(cells):
                continue  # ragged row: too few cells
            v = cells[i].strip()
            if not v:
                continue
            if f in QUALIFIER_FIELDS:
                qualifiers[f] = v
            else:
                values[f] = v
        full = values.pop("full_name", None)
        if full and not values.get("first_name") and not values.get("last_name"):
            first, last = split_full_name(full)
            if first:
                values["first_name"] = first
            if last:
                values["last_name"] = last
        cand = Candidate(row_number, OK, qualifiers=qualifiers, raw=to_json(self.raw_row(cells)))
        email = values.get("email")
        if email:
            key = email.lower()
            if email_is_valid(email):
                cand.email_key = key[:320]
                values["email_normalized"] = key[:320]
            else:
                # Never stored as the lead's e-mail ("n/a", "joseph@"): it stays in the raw
                # row and the lead is flagged incomplete.
                del values["email"]
        phone = values.get("phone")
        if phone:
            # A file repeats phone strings (repeat scans, switchboards): each is parsed once.
            norm = self._phones.get(phone, _MISSING)
            if norm is _MISSING:
                if len(self._phones) >= PHONE_CACHE:
                    self._phones.clear()
                norm = self._phones[phone] = normalize_phone(phone, self.region)
            if norm:
                values["phone_normalized"] = norm
        name = " ".join(p for p in (values.get("first_name"), values.get("last_name")) if p)
        if not name and full:
            name = " ".join(full.split())
        if name:
            values["display_name"] = name
        company = values.get("company")
        if not (cand.email_key or values.get("phone_normalized") or (name and company)):
            cand.status = REJECTED
            cand.reason = REASON_NO_IDENTITY
            if not any(c.strip() for c in cells):
                cand.reason = "empty record: every field is empty"
            elif email:
                cand.reason = f"invalid e-mail '{email[:80]}', no phone and no name with a company"
            cand.cells = cells
            return cand
        if "headcount" in values:
            count = "".join(_DIGITS_RE.findall(values["headcount"].split("-")[0]))
            values["headcount"] = int(count[:9]) if count else None
        if "captured_at" in values:
            values["captured_at"] = parse_date(values["captured_at"])
        # No cell longer than the narrowest width: nothing to clip (a name joins two cells,
        # within the widest; the normalised phone is clipped when it is made).
        if max(map(len, cells), default=0) > _NARROWEST:
            for k, width in COLUMN_WIDTHS.items():
                text = values.get(k)
                if isinstance(text, str) and len(text) > width:
                    values[k] = text[:width]
        cand.values = values
        cand.incomplete = not cand.email_key or not company
        return cand
