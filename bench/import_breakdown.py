"""Where a badge import's time goes: CPU seconds per thread and phase, same run.

    python bench/import_breakdown.py [--rows 100000] [--dir DIR]

The import runs on two threads: the main thread reads, validates, deduplicates, scores,
routes and builds rows (Python, holding the GIL), and the writer thread stores them and, into
an empty SQLite store, rebuilds the indexes and the search index (SQLite's C code, GIL
released). On a 2-core machine the import cannot finish faster than the larger of the two,
nor faster than their sum split over both cores: this prints both figures next to the
wall-clock time and the sqlite-utils baseline, to show what any target has to fit in.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_bench as ib

from app.store.bulk import BulkWriter


def _timed(phase: str, fn: Callable[..., Any], acc: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[phase] = acc.get(phase, 0.0) + time.thread_time() - start

    return wrapper


def _waited(fn: Callable[..., Any], acc: dict[str, float]) -> Callable[..., Any]:
    """Wall seconds the main thread spends blocked on the writer thread (`BulkWriter.wait`)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc["waited"] = acc.get("waited", 0.0) + time.perf_counter() - start

    return wrapper


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--kind", choices=("badge", "realistic", "alike"), default="realistic")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)
    work, path = ib.prepare(args.dir, args.rows, kind=args.kind)

    acc: dict[str, float] = {}
    BulkWriter._run = _timed("writer: store rows", BulkWriter._run, acc)  # type: ignore[method-assign]
    BulkWriter._restore = _timed("writer: indexes + search", BulkWriter._restore, acc)  # type: ignore[method-assign]
    ib.run_import = _timed("main", ib.run_import, acc)  # type: ignore[attr-defined]
    waits: dict[str, float] = {}
    BulkWriter.wait = _waited(BulkWriter.wait, waits)  # type: ignore[method-assign]
    url = f"sqlite:///{work / 'breakdown.sqlite3'}"
    wall, counts, _ticks, background = ib.leadgate_import(url, path)
    main_cpu = acc.pop("main")
    su = ib.sqlite_utils_insert(work / "breakdown-su.sqlite3", path)
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)

    writer = sum(acc.values())
    print(f"rows: {args.rows:,}  created: {counts['created']:,}")
    print(f"wall clock (import + commit):      {wall:7.2f} s")
    print(f"main thread CPU (run_import):      {main_cpu:7.2f} s")
    print(f"main thread blocked on the writer: {waits.get('waited', 0.0):7.2f} s (wall)")
    for phase, seconds in acc.items():
        print(f"{phase + ' CPU:':35}{seconds:7.2f} s")
    print(f"background checkpoint afterwards:  {background:7.2f} s")
    bound = max(main_cpu, writer, (main_cpu + writer) / 2)
    print(f"lower bound on 2 cores:            {bound:7.2f} s")
    print(f"sqlite-utils insert --csv:         {su:7.2f} s  (0.5x of it: {su / 2:.2f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
