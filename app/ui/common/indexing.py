"""What a search says while a big import's new leads wait for the search index (issue 17)."""

from __future__ import annotations

INDEXING_RECHECK_MS = 1500  # how often a search during indexing looks again


def indexing_note(n: int) -> str:
    """The note shown beside a searching view's count while `n` new leads are not indexed."""
    return f"· indexing {n:,} new lead{'s' if n != 1 else ''} for search…"
