"""UI responsiveness while a 100,000-row badge import runs in the background (issue 7).

    python bench/ui_probe.py [--rows 100000]

A 10 ms QTimer on the UI thread records how late each tick fires, first on an idle loop (the
same-run baseline), then while the import runs on the task runner's thread exactly as the
wizard runs it (progress signals included). Target: p99 lateness under 50 ms.
(bench/sweep_bench.py --probe measures the same during timer sweeps.)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from app.clock import SystemClock
    from app.demo import generator as demo
    from app.services.importing import ImportOptions, run_import
    from app.services.importing.synth import write_badge_csv
    from app.store.db import open_store, unit_of_work
    from app.ui.workers import TaskRunner

    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="lg-probe-"))
    clock = SystemClock()
    store = open_store(f"sqlite:///{tmp / 'probe.sqlite3'}")
    with unit_of_work(store.session_factory) as session:
        demo.ensure_team(session, clock)
    badge = write_badge_csv(tmp / "badges.csv", args.rows, seed=3)
    runner = TaskRunner(store.session_factory)

    def measure(until: Any) -> list[float]:
        late: list[float] = []
        clock_ms = QElapsedTimer()
        clock_ms.start()
        last = [0]
        ticker = QTimer()
        ticker.setInterval(10)

        def tick() -> None:
            now = clock_ms.elapsed()
            late.append(max(0.0, now - last[0] - 10))
            last[0] = now
            if until():
                ticker.stop()
                app.quit()

        ticker.timeout.connect(tick)
        ticker.start()
        last[0] = clock_ms.elapsed()
        app.exec()
        return late[1:]

    started = time.perf_counter()
    idle = measure(lambda: time.perf_counter() - started > 2.0)

    done: list[Any] = []
    updates = [0]

    def work(session: Any, state: Any) -> Any:
        return run_import(session, clock, badge, options=ImportOptions(event="Probe"), state=state)

    t0 = time.perf_counter()
    runner.submit(
        work,
        with_state=True,
        on_done=done.append,
        on_error=done.append,
        on_progress=lambda *_a: updates.__setitem__(0, updates[0] + 1),
    )
    busy = measure(lambda: bool(done))
    elapsed = time.perf_counter() - t0
    runner.wait()
    result = done[0]
    created = getattr(result, "created", None)
    print(
        f"import of {args.rows:,} rows in the background: {elapsed:.1f} s, created {created}, "
        f"{updates[0] / elapsed:.1f} progress updates/s"
    )
    for label, values in (("idle loop (baseline)", idle), ("during the import", busy)):
        print(
            f"  {label:<22} p50 {statistics.median(values or [0]):5.1f} ms   "
            f"p99 {percentile(values, 0.99):5.1f} ms   max {max(values or [0]):5.0f} ms   "
            f"({len(values):,} ticks)"
        )
    print(f"  target p99 < 50 ms: {'PASS' if percentile(busy, 0.99) < 50 else 'MISS'}")
    store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
