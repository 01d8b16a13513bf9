"""How report figures read: rates, durations, money, reason codes; nearest-rank percentiles
from histograms; JSON-ready values. Rates with nothing to divide by are None ("n/a")."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date, datetime
from typing import Any


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
    return f"{value * 100:.{digits}f}%"


def days_text(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 1:
        return f"{value * 24:.1f} h"
    return f"{value:.1f} days"


def minutes_text(value: float | None) -> str:
    if value is None:
        return "n/a"
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
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"${value / 1000:.0f}k"
    return f"${value:,.0f}"


def round_cell(value: float | None, digits: int = 2) -> float | str:
    return "n/a" if value is None else round(value, digits)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value
