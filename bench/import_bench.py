"""Badge-scan import speed against two baselines measured in the same run.

    python bench/import_bench.py                       # 100,000 rows, SQLite + PostgreSQL
    python bench/import_bench.py --rows 1000000 --memory  # the 1M-row streaming check
    python bench/import_bench.py --rows 20000 --no-pg     # a quick look

Leadgate's import (detection, mapping, validation, dedup incl. fuzzy candidates, load with
Core bulk inserts, one transaction) into an empty migrated SQLite store is compared with
  * `sqlite-utils insert --csv` of the same file (no detection/validation/dedup at all), and
  * the floor: a bare csv.reader + executemany into a plain table, one transaction.
Targets (issue 4): at most 0.5x the sqlite-utils time and at most 10x the floor.
The Leadgate figure is the whole import as the user waits for it: new leads are scored and
routed (and their cadences started) inside it, and it includes the commit. With --team the
store starts with the demo sales team (no leads), so routing assigns owners and cadences
start; without it nobody can take a lead and every lead goes to the manager's queue.
With --memory it also reports peak memory (resource.getrusage), how often progress was
reported, and how long Cancel takes to stop a running import.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.clock import SettableClock
from app.services.importing import ImportOptions, ImportState, run_import
from app.services.importing.load import ImportCancelled
from app.services.importing.synth import write_badge_csv
from app.store.db import checkpoint, make_engine, make_session_factory, upgrade

CLOCK = SettableClock(datetime(2026, 11, 6, 9, tzinfo=UTC))
PG_ADMIN = os.environ.get("LEADGATE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def leadgate_import(
    url: str, path: Path, team: bool = False
) -> tuple[float, dict[str, int], list[float], float]:
    """(seconds to the commit, counts, progress tick times, seconds of the checkpoint the app
    runs in the background afterwards)."""
    engine = make_engine(url)
    upgrade(engine)
    if team:
        from app.demo.generator import ensure_team

        with make_session_factory(engine)() as session:
            ensure_team(session, CLOCK)
            session.commit()
    ticks: list[float] = []
    state = ImportState(on_progress=lambda d, t, _x: ticks.append(time.perf_counter()))
    try:
        with make_session_factory(engine)() as session:
            start = time.perf_counter()
            result = run_import(
                session, CLOCK, path, options=ImportOptions(event="Bench"), state=state
            )
            session.commit()  # part of the figure: the leads exist once it is done
            seconds = time.perf_counter() - start
        with make_session_factory(engine)() as session:
            start = time.perf_counter()
            checkpoint(session)  # after the result is shown, off the user's path
            background = time.perf_counter() - start
    finally:
        engine.dispose()
    return seconds, result.counts(), ticks, background


def sqlite_utils_insert(db: Path, path: Path) -> float:
    exe = Path(sys.executable).with_name("sqlite-utils")
    cmd = [str(exe) if exe.exists() else "sqlite-utils", "insert", str(db), "leads", str(path)]
    start = time.perf_counter()
    subprocess.run([*cmd, "--csv"], check=True, capture_output=True)
    return time.perf_counter() - start


def floor_insert(db: Path, path: Path) -> float:
    start = time.perf_counter()
    con = sqlite3.connect(db)
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        n = len(header)
        con.execute(f"CREATE TABLE leads ({', '.join(f'c{i} TEXT' for i in range(n))})")
        marks = ", ".join("?" * n)
        con.executemany(f"INSERT INTO leads VALUES ({marks})", ((r + [""] * n)[:n] for r in reader))
    con.commit()
    con.close()
    return time.perf_counter() - start


def cancel_latency(url: str, path: Path, at: float = 0.5) -> tuple[float, float]:
    """Seconds from Cancel (requested at `at` of the file) to the import stopping, and to the
    rollback being done."""
    engine = make_engine(url)
    upgrade(engine)
    marks: dict[str, float] = {}

    def progress(done: int, total: int, _text: str) -> None:
        if "asked" not in marks and done >= total * at:
            marks["asked"] = time.perf_counter()
            state.cancel()

    state = ImportState(on_progress=progress)
    try:
        with make_session_factory(engine)() as session:
            try:
                run_import(session, CLOCK, path, state=state)
            except ImportCancelled:
                marks["stopped"] = time.perf_counter()
                session.rollback()
                marks["rolled_back"] = time.perf_counter()
    finally:
        engine.dispose()
    if "stopped" not in marks:
        return float("nan"), float("nan")
    return marks["stopped"] - marks["asked"], marks["rolled_back"] - marks["asked"]


def pg_copy_run(path: Path) -> tuple[float, dict[str, int]] | None:
    import uuid

    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"leadgate_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here: say so, do not fail the SQLite figures
        print(f"  PostgreSQL: skipped ({str(exc).splitlines()[0]})")
        return None
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        seconds, counts, _, _ = leadgate_import(url, path)
        return seconds, counts
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(folder: Path | None, rows: int, seed: int = 1) -> tuple[Path, Path]:
    """The work folder (a temporary one unless given) with the generated badge file of `rows`
    rows in it, and no store left from an earlier run: every run starts from empty stores."""
    work = folder or Path(tempfile.mkdtemp(prefix="import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"badges-{rows}-{seed}.csv"
    if not path.exists():
        t = time.perf_counter()
        write_badge_csv(path, rows, seed=seed)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
    for stale in work.glob("*.sqlite3*"):
        stale.unlink()
    return work, path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the generated file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory", action="store_true",
                        help="report peak memory, progress rate and cancel latency")  # fmt: skip
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL COPY run")
    parser.add_argument("--no-baselines", action="store_true",
                        help="only the Leadgate import (for the 1M memory run)")  # fmt: skip
    parser.add_argument("--team", action="store_true",
                        help="start from the demo team (leads get owners)")  # fmt: skip
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)

    work, path = prepare(args.dir, args.rows, args.seed)
    print(f"rows: {args.rows:,}   cpu count: {os.cpu_count()}   load: {os.getloadavg()[0]:.1f}")

    rss_before = peak_mb()
    lg_s, counts, ticks, ckpt_s = leadgate_import(
        f"sqlite:///{work / 'leadgate.sqlite3'}", path, team=args.team
    )
    rss_after = peak_mb()
    print(f"leadgate import (SQLite{', team' if args.team else ''}): {lg_s:8.2f} s  "
          f"{args.rows / lg_s:10,.0f} rows/s  (detect, map, validate, dedup, load, score, "
          "route, commit)")  # fmt: skip
    print(f"  outcome: {counts}")
    print(f"  then in the background: WAL checkpoint {ckpt_s:.2f} s (not part of the wait)")

    if not args.no_baselines:
        su_s = sqlite_utils_insert(work / "sqlite-utils.sqlite3", path)
        fl_s = floor_insert(work / "floor.sqlite3", path)
        print(f"sqlite-utils insert --csv:    {su_s:8.2f} s  {args.rows / su_s:10,.0f} rows/s")
        print(f"floor (csv + executemany):    {fl_s:8.2f} s  {args.rows / fl_s:10,.0f} rows/s")
        r_su, r_fl = lg_s / su_s, lg_s / fl_s
        print(f"ratio leadgate / sqlite-utils: {r_su:7.2f}x  (target <= 0.50x) "
              f"{'OK' if r_su <= 0.5 else 'MISSED'}")  # fmt: skip
        print(f"ratio leadgate / floor:        {r_fl:7.2f}x  (target <= 10x)   "
              f"{'OK' if r_fl <= 10 else 'MISSED'}")  # fmt: skip

    if args.memory:
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        rate = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if len(ticks) > 1 else 0.0
        print(f"peak memory: {rss_after:,.0f} MB (before import {rss_before:,.0f} MB; "
              "target < 1,024 MB)")  # fmt: skip
        print(f"progress: {len(ticks)} updates, {rate:.1f}/s, longest gap "
              f"{max(gaps, default=0):.3f} s")  # fmt: skip
        stop, rollback = cancel_latency(f"sqlite:///{work / 'cancel.sqlite3'}", path)
        print(f"cancel latency: {stop * 1000:.0f} ms to stop, {rollback * 1000:.0f} ms incl. "
              "rollback (target < 250 ms)")  # fmt: skip

    if not args.no_pg:
        pg = pg_copy_run(path)
        if pg is not None:
            pg_s, pg_counts = pg
            print(f"leadgate import (PostgreSQL COPY): {pg_s:8.2f} s  "
                  f"{args.rows / pg_s:10,.0f} rows/s  {pg_counts}")  # fmt: skip
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
