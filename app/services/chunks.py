"""Cutting a long list of ids (or rows) into pieces a statement can take at once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """`items` in lists of at most `size` (the last one shorter), in order; works on any
    iterable, so a streaming query is never held whole."""
    if size < 1:
        raise ValueError("A chunk holds at least one item.")
    buf: list[T] = []
    for item in items:
        buf.append(item)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


__all__ = ["chunks"]
