"""Capture quality: why a lead is flagged incomplete, in words (pure, no database).

A lead needs a valid e-mail and a company to be worked (imports), and a hand-entered one
needs its source too (where it came from feeds scoring and the Sources report). An invalid
e-mail ("n/a", "joseph@") is never stored as the lead's e-mail: it stays in the raw row, and
the reason names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _raw_email(raw_row: Mapping[str, Any] | None) -> str | None:
    for key, value in (raw_row or {}).items():
        if "mail" in str(key).lower() and str(value or "").strip():
            return str(value).strip()
    return None


def incomplete_reasons(
    email: str | None,
    company: str | None,
    source: str | None,
    raw_row: Mapping[str, Any] | None = None,
    *,
    need_source: bool = True,
) -> list[str]:
    """What the lead lacks (empty: complete)."""
    reasons = []
    if not email:
        raw = _raw_email(raw_row)
        reasons.append(f"invalid e-mail '{raw}'" if raw else "no e-mail")
    if not (company or "").strip():
        reasons.append("no company")
    if need_source and not (source or "").strip():
        reasons.append("no source")
    return reasons
