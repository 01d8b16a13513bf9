"""Checks for numbers, dates, ids and text at the service boundary, the same on both stores.

SQLite stores whatever it is given; PostgreSQL refuses integers past 2^31, numbers too wide for
their column and over-long text, and neither should keep NaN, infinity or a date in year 9999.
Every API that takes such a value passes it through one of these first. A refusal is an
`InvalidInput`: one line naming the field and the allowed range.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.services.errors import ActionError, NotFound

MAX_INT = 2**31 - 1  # PostgreSQL `integer`
MIN_YEAR = 1900
MAX_YEAR = 2200


class InvalidInput(ActionError, ValueError):
    """A value outside what the field accepts, explained in one line."""

    exit_code = 2  # bad input, like a usage error


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def finite_number(name: str, value: Any, lo: float, hi: float) -> float:
    """`value` as a finite float within [lo, hi]."""
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else value
        number = float(number)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{name} must be a number, not '{_show(value)}'.") from None
    if not math.isfinite(number) or not lo <= number <= hi:
        raise InvalidInput(f"{name} must be between {lo:g} and {hi:g}, not '{_show(value)}'.")
    return number


def bounded_int(name: str, value: Any, lo: int = -MAX_INT, hi: int = MAX_INT) -> int:
    """`value` as a whole number within [lo, hi] (by default what PostgreSQL's integer holds)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{name} must be a whole number, not '{value}'.")
    try:
        number = int(str(value).strip().replace(",", "")) if isinstance(value, str) else value
        if isinstance(number, float) and not number.is_integer():
            raise ValueError
        number = int(number)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{name} must be a whole number, not '{_show(value)}'.") from None
    if not lo <= number <= hi:
        raise InvalidInput(f"{name} must be between {lo:,} and {hi:,}, not {_show(value)}.")
    return number


def bounded_decimal(name: str, value: Any, precision: int = 14, scale: int = 2) -> Decimal:
    """`value` as a Decimal that fits NUMERIC(precision, scale), rounded to `scale` places."""
    try:
        text = str(value).strip().replace(",", "").lstrip("$€£") if value is not None else ""
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name} must be a number, not '{_show(value)}'.") from None
    limit = Decimal(10) ** (precision - scale)
    if not number.is_finite() or abs(number) >= limit:
        raise InvalidInput(
            f"{name} must be a number between -{limit - 1:,} and {limit - 1:,}, "
            f"not '{_show(value)}'."
        )
    return number.quantize(Decimal(1).scaleb(-scale))


def bounded_date(name: str, value: Any) -> date:
    """`value` (a date, a datetime or ISO text) as a date in years 1900-2200."""
    when: date
    if isinstance(value, datetime):
        when = value.date()
    elif isinstance(value, date):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value).strip()).date()
        except ValueError:
            raise InvalidInput(
                f"{name} must be a date like 2026-03-31, not '{_show(value)}'."
            ) from None
    check_year(name, when)
    return when


def check_year(name: str, when: date | datetime) -> None:
    """Refuse a date or time outside years 1900-2200."""
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        raise InvalidInput(
            f"{name} must be between {MIN_YEAR} and {MAX_YEAR}, not {when.year} ({when})."
        )


def bounded_text(name: str, value: Any, max_length: int | None) -> str:
    """`value` as text no longer than the column's `max_length` characters."""
    text = str(value)
    if "\x00" in text:
        raise InvalidInput(f"{name} must not contain a NUL character.")
    if max_length is not None and len(text) > max_length:
        raise InvalidInput(f"{name} must be at most {max_length:,} characters, not {len(text):,}.")
    return text


def column_text(name: str, value: Any, column: Any) -> str:
    """`bounded_text` with the length of a SQLAlchemy String column (`Model.__table__.c.x`)."""
    return bounded_text(name, value, getattr(column.type, "length", None))


def record_id(what: str, value: Any) -> int:
    """An id to look up: past what the store can hold is simply not found."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"{what} id must be a whole number, not '{_show(value)}'.") from None
    if not 1 <= number <= MAX_INT:
        raise NotFound(f"No {what} with id {number}.")
    return number


def json_safe(data: Any) -> Any:
    """`data` with every NaN or infinite float replaced by None (JSON has neither)."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, Decimal):
        return data if data.is_finite() else None
    if isinstance(data, dict):
        return {k: json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    return data
