"""How report figures read: rates, durations, money, reason codes; nearest-rank percentiles
from histograms; JSON-ready values. Rates with nothing to divide by are None ("n/a")."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# How a figure that is no finite number reads (a deal value of Infinity or NaN stored before
# the service boundary checked numbers makes sums and averages so): never "$infM" or "nan%".
NOT_A_NUMBER = "—"


def finite(value: Any) -> bool:
    """Whether `value` is a number that can be shown (not NaN, not infinite)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return True


def cell_text(value: Any) -> Any:
    """A table cell as printed: a number that is not finite as NOT_A_NUMBER."""
    return value if finite(value) else NOT_A_NUMBER


def hist_percentile(hist: Counter[int], p: float) -> float | None:
    """Nearest-rank percentile from a histogram {bin lower bound: count}: the bin holding the
    element of rank ceil(p * n)."""
    n = sum(hist.values())
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n - 1e-9))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return None


def rate(part: float | int | None, whole: float | int | None) -> float | None:
    if part is None or not whole:
        return None
    return part / whole


def pct(value: float | None, digits: int = 0) -> str:
    """A rate as text: 'n/a' when there was nothing to measure."""
    if value is None:
        return "n/a"
    if not finite(value):
        return NOT_A_NUMBER
    return f"{value * 100:.{digits}f}%"


def days_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if not finite(value):
        return NOT_A_NUMBER
    if value < 1:
        return f"{value * 24:.1f} h"
    return f"{value:.1f} days"


def minutes_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if not finite(value):
        return NOT_A_NUMBER
    if value < 60:
        return f"{value:.0f} min"
    if value < 1440:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} days"


def humanize_code(code: str | None) -> str:
    if not code:
        return "No reason given"
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def money_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if not finite(value):
        return NOT_A_NUMBER
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"${value / 1000:.0f}k"
    return f"${value:,.0f}"


def round_cell(value: float | None, digits: int = 2) -> float | str:
    if value is None:
        return "n/a"
    return round(value, digits) if finite(value) else NOT_A_NUMBER


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    return value
