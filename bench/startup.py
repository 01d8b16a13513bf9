"""Start-up time and memory of Leadgate on a 100,000-lead SQLite store.

    python bench/startup.py [--leads 100000] [--runs 5] [--exe dist/leadgate/leadgate]

Measures, in the same run and alternating, process start -> window shown with its first view's
data painted, for (a) the floor: a bare QApplication + empty QMainWindow, and (b) Leadgate.
Prints medians, the ratio (target <= 1.5x) and Leadgate's peak RSS (target < 250 MB).
With --exe, also (c) that executable (the bundle from `dev.py package`) on the same store, and
its cold start against Leadgate from the virtualenv as a ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR = """
import time, sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1440, 900); w.show()
app.processEvents(); w.repaint()
peak = 0
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'): peak = int(line.split()[1])
print(f'LEADGATE_SHOWN {time.time():.6f} {peak}', flush=True)
"""


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(window shown, first view's data painted, peak RSS MB) for one process start."""
    start = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT, timeout=120)
    shell = None
    for line in out.stdout.splitlines():
        if line.startswith("LEADGATE_SHELL"):
            shell = float(line.split()[1]) - start
        if line.startswith("LEADGATE_SHOWN"):
            _, stamp, peak = line.split()
            data = float(stamp) - start
            return (shell if shell is not None else data), data, int(peak) / 1024
    if out.returncode:
        raise SystemExit(f"{cmd[-1]} failed: {out.stderr.strip()[-2000:]}")
    raise RuntimeError(f"no start-up mark from {cmd}: {out.stderr[-2000:]}")


def build_store(path: Path, leads: int) -> None:
    from app.clock import SystemClock
    from app.demo import generator as demo
    from app.store.db import open_store, unit_of_work

    store = open_store(f"sqlite:///{path}")
    with unit_of_work(store.session_factory) as session:
        demo.generate(session, SystemClock(), leads=leads, seed=1, accounts=2000)
    store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--store", type=Path, help="reuse this store file (built if missing)")
    parser.add_argument("--exe", type=Path, help="also time this Leadgate executable (a bundle)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lg-startup-"))
    store = args.store or ROOT / "bench" / "out" / f"startup-{args.leads}.sqlite3"
    store.parent.mkdir(parents=True, exist_ok=True)
    if not store.exists():
        t = time.perf_counter()
        build_store(store, args.leads)
        print(f"built {args.leads:,}-lead store in {time.perf_counter() - t:.1f} s")
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    env.update(LEADGATE_DATA_DIR=str(tmp), LEADGATE_EXIT_WHEN_SHOWN="1")
    env["LEADGATE_USER"] = "priya.natarajan@leadgate.example"
    floor_cmd = [sys.executable, "-c", FLOOR]
    app_cmd = [sys.executable, "-m", "app", "--db", f"sqlite:///{store}"]
    exe_cmd = [str(args.exe.resolve()), "--db", f"sqlite:///{store}"] if args.exe else None
    # The first start upgrades the store if needed and warms the OS file cache and the icon
    # cache, as any start after the first would find them.
    timed(app_cmd, env)
    timed(floor_cmd, env)
    if exe_cmd:
        timed(exe_cmd, env)
    floors, shells, datas, peaks = [], [], [], []
    exe_shells, exe_datas, exe_peaks = [], [], []
    for _ in range(args.runs):
        floors.append(timed(floor_cmd, env)[0])
        shell, data, peak = timed(app_cmd, env)
        shells.append(shell)
        datas.append(data)
        peaks.append(peak)
        if exe_cmd:
            shell, data, peak = timed(exe_cmd, env)
            exe_shells.append(shell)
            exe_datas.append(data)
            exe_peaks.append(peak)
    f = statistics.median(floors)
    s, d = statistics.median(shells), statistics.median(datas)
    print(
        f"floor (bare QApplication + QMainWindow shown): median {f * 1000:.0f} ms, {args.runs} runs"
    )
    print(
        f"leadgate window shown ({args.leads:,} leads):   median {s * 1000:.0f} ms = "
        f"{s / f:.2f}x floor (target <= 1.5x)"
    )
    print(
        f"leadgate leads table painted with data:        median {d * 1000:.0f} ms = "
        f"{d / f:.2f}x floor"
    )
    print(f"peak RSS: {max(peaks):.0f} MB (target < 250 MB)")
    if exe_cmd:
        es, ed = statistics.median(exe_shells), statistics.median(exe_datas)
        print(
            f"bundle {args.exe}: window shown median {es * 1000:.0f} ms = {es / s:.2f}x the "
            f"virtualenv's; data painted {ed * 1000:.0f} ms = {ed / d:.2f}x; "
            f"peak RSS {max(exe_peaks):.0f} MB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
