"""Badge-scan import speed against two baselines measured in the same run.

    python bench/import_bench.py                       # 100,000 rows, SQLite + PostgreSQL
    python bench/import_bench.py --rows 1000000 --memory  # the 1M-row streaming check
    python bench/import_bench.py --rows 20000 --no-pg     # a quick look
    python bench/import_bench.py --kind realistic --repeat 3 --no-pg   # issue 17's figure
    python bench/import_bench.py --kind alike --rows 1000000 --no-baselines --memory
    python bench/import_bench.py --pg-only --pg-login rep --repeat 3   # PostgreSQL, a member

Files (--kind): `badge` (the synthetic badge scans of app.services.importing.synth),
`realistic` (36 first names, 33 last names, 4,000 companies, 3 % repeat scans) and `alike`
(`First123 Last123` at `Company 17`: every name in one fuzzy-duplicate block).

Leadgate's import (detection, mapping, validation, dedup incl. fuzzy candidates, load with
Core bulk inserts, one transaction) into an empty migrated SQLite store is compared with
  * `sqlite-utils insert --csv` of the same file (no detection/validation/dedup at all), and
  * the floor: a bare csv.reader + executemany into a plain table, one transaction.
Targets (issue 17): the realistic file at most 1.0x the sqlite-utils time, the alike file
at most 2x the realistic one, under 1 GB at a million rows; PostgreSQL against `psql \\copy`
of the raw file into a plain table (--pg-login rep/manager: as a demo team member's own login,
under row-level security). With --repeat N each figure is the median of N runs.
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
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.clock import SettableClock
from app.services.importing import ImportOptions, ImportState, run_import
from app.services.importing.load import ImportCancelled
from app.services.importing.synth import FIRST, HEADERS, LAST, RATINGS, TITLES, write_badge_csv
from app.store.bulk import catch_up_indexes
from app.store.db import checkpoint, make_engine, make_session_factory, upgrade
from app.store.search import catch_up_search

CLOCK = SettableClock(datetime(2026, 11, 6, 9, tzinfo=UTC))
PG_ADMIN = os.environ.get("LEADGATE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


REALISTIC_FIRST = FIRST[:36]
REALISTIC_LAST = LAST[:33]


def _realistic_companies(seed: int) -> list[tuple[str, str]]:
    """4,000 distinct companies with their domains."""
    rng = random.Random(seed)
    words = ["Blue", "North", "Apex", "Silver", "Quantum", "Harbor", "Summit", "Pioneer",
             "Vertex", "Cedar", "Atlas", "Nimbus", "Orbit", "Crimson", "Granite", "Lumen",
             "Delta", "Echo", "Falcon", "Juniper", "Maple", "Onyx", "Polar", "Raven", "Sierra",
             "Terra", "Vista", "Willow", "Zenith", "Aurora", "Beacon", "Cobalt", "Ember",
             "Fjord", "Helix", "Iris", "Kestrel", "Lotus", "Meridian", "Nova"]  # fmt: skip
    kinds = ["Systems", "Labs", "Logistics", "Health", "Analytics", "Cloud", "Foods", "Energy",
             "Robotics", "Finance", "Media", "Security", "Networks", "Dynamics", "Partners",
             "Software", "Capital", "Works", "Group", "Solutions", "Ventures", "Studios",
             "Data", "Bio", "Motors"]  # fmt: skip
    pairs = [(a, b, c) for a in words for b in words if a != b for c in kinds]
    rng.shuffle(pairs)
    return [(f"{a}{b.lower()} {c}", f"{a}{b}{c}.com".lower()) for a, b, c in pairs[:4000]]


def realistic_rows(rows: int, seed: int) -> Iterator[list[str]]:
    """Varied names (36 first, 33 last), 4,000 companies, 3 % repeat scans (re-cased e-mail)."""
    rng = random.Random(seed)
    companies = _realistic_companies(seed)
    recent: list[list[str]] = []
    for i in range(rows):
        if recent and rng.random() < 0.03:
            row = list(rng.choice(recent))
            row[2] = row[2].upper()
            yield row
            continue
        first, last = rng.choice(REALISTIC_FIRST), rng.choice(REALISTIC_LAST)
        company, domain = rng.choice(companies)
        local = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        row = [first, last, local.decode().replace("'", "").lower() + f"{i}@{domain}", company,
               rng.choice(TITLES),
               f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
               rng.choice(("United States", "Germany", "France", "Canada", "Japan")),
               f"10/{rng.randint(1, 28):02d}/2026 {rng.randint(1, 12)}:{rng.randint(0, 59):02d} AM",
               rng.choice(RATINGS), rng.choice(("Wants pricing", "", "Budget in Q1"))]  # fmt: skip
        if len(recent) < 500:
            recent.append(row)
        elif rng.random() < 0.05:
            recent[rng.randrange(500)] = row
        yield row


def alike_rows(rows: int, seed: int) -> Iterator[list[str]]:
    """Generated-looking data: `First123 Last123` at `Company 17`, one name block for all."""
    rng = random.Random(seed)
    for i in range(rows):
        n = rng.randrange(1, rows + 1)
        yield [f"First{n}", f"Last{n}", f"first{n}.last{n}.{i}@company{n % 1000}.com",
               f"Company {n % 1000}", rng.choice(TITLES),
               f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
               "United States", f"10/{rng.randint(1, 28):02d}/2026 9:{rng.randint(0, 59):02d} AM",
               rng.choice(RATINGS), ""]  # fmt: skip


def write_file(path: Path, kind: str, rows: int, seed: int) -> None:
    if kind == "badge":
        write_badge_csv(path, rows, seed=seed)
        return
    generate = realistic_rows if kind == "realistic" else alike_rows
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        w.writerows(generate(rows, seed))


TICK_TEXTS: list[str] = []  # the progress texts of the last import, with its ticks
CPU: dict[str, float] = {}  # CPU seconds of the last run of each (the machine may be shared)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def leadgate_import(
    url: str, path: Path, team: bool = False, search_later: bool = True, login: str = "admin"
) -> tuple[float, dict[str, int], list[float], float]:
    """(seconds to the commit, counts, progress tick times, seconds of the checkpoint the app
    runs in the background afterwards). PostgreSQL: `login` 'rep' or 'manager' imports as a
    demo team member's own login (row-level security applies), 'admin' as the bench's login."""
    engine = make_engine(url)
    upgrade(engine)
    user_id = None
    if team or login != "admin":
        from app.demo.generator import ensure_team

        with make_session_factory(engine)() as session:
            ensure_team(session, CLOCK)
            session.commit()
    if login != "admin":
        admin_engine = engine
        engine, user_id = _member_login(admin_engine, login)
        admin_engine.dispose()
    ticks: list[float] = []

    def progress(_done: int, _total: int, text: str) -> None:
        ticks.append(time.perf_counter())
        TICK_TEXTS.append(text)

    TICK_TEXTS.clear()
    state = ImportState(on_progress=progress)
    try:
        with make_session_factory(engine)() as session:
            server = _ServerCpu(session)
            start, cpu, kids = time.perf_counter(), time.process_time(), _children_cpu()
            result = run_import(
                session,
                CLOCK,
                path,
                options=ImportOptions(event="Bench", search_later=search_later, user_id=user_id),
                state=state,
            )
            session.commit()  # part of the figure: the leads exist once it is done
            seconds = time.perf_counter() - start
            # This process's threads and the file-reading worker process (reading.py).
            CPU["leadgate"] = time.process_time() - cpu + _children_cpu() - kids
            CPU["server"] = server.seconds()
        with make_session_factory(engine)() as session:
            # After the result is shown, off the user's path (as the API function starts it):
            # the views' indexes and the search index (`search_later`), then the checkpoint.
            start = time.perf_counter()
            if session.get_bind().dialect.name == "sqlite":
                catch_up_indexes(session)
                session.commit()
            catch_up_search(session)
            session.commit()
            checkpoint(session)
            background = time.perf_counter() - start
    finally:
        engine.dispose()
    return seconds, result.counts(), ticks, background


class _ServerCpu:
    """CPU seconds of the PostgreSQL backend serving this session, when it runs on this
    machine (read from /proc); NaN otherwise, and for SQLite."""

    def __init__(self, session: Session) -> None:
        self.stat: Path | None = None
        if session.get_bind().dialect.name == "postgresql":
            pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
            stat = Path(f"/proc/{pid}/stat")
            self.stat = stat if stat.exists() else None
        self.start = self._read()

    def _read(self) -> float:
        if self.stat is None:
            return float("nan")
        try:
            fields = self.stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float:
        return self._read() - self.start


_LOGINS: list[str] = []  # PostgreSQL logins the bench created (dropped with its database)


def _member_login(admin_engine: Engine, role: str) -> tuple[Engine, int]:
    """A PostgreSQL login of its own for the first demo team member of `role` (the server's
    group roles and row-level security apply to it): its engine and the member's id."""
    import uuid

    from sqlalchemy import select

    from app.models import User
    from app.services.auth import Actor
    from app.services.team import api as team_api
    from app.store.uow import UnitOfWork

    factory = make_session_factory(admin_engine)
    with factory() as session:
        user = session.scalars(select(User).where(User.role == role).order_by(User.id)).first()
        assert user is not None, f"no {role} in the demo team"
        email, user_id = user.email, user.id
    login = f"leadgate_bench_{role}_{uuid.uuid4().hex[:6]}"
    team_api.grant_login(UnitOfWork(factory, CLOCK), Actor.system(), email, role, login=login)
    _LOGINS.append(login)
    return make_engine(admin_engine.url.set(username=login)), user_id


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sqlite_utils_insert(db: Path, path: Path) -> float:
    exe = Path(sys.executable).with_name("sqlite-utils")
    cmd = [str(exe) if exe.exists() else "sqlite-utils", "insert", str(db), "leads", str(path)]
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([*cmd, "--csv"], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU["sqlite-utils"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds


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


def pg_copy_run(
    path: Path, login: str = "admin", team: bool = False
) -> tuple[float, dict[str, int]] | None:
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
        seconds, counts, _, _ = leadgate_import(url, path, team=team, login=login)
        return seconds, counts
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            while _LOGINS:
                conn.execute(text(f'DROP ROLE IF EXISTS "{_LOGINS.pop()}"'))
        admin.dispose()


def prepare(
    folder: Path | None, rows: int, seed: int = 1, kind: str = "badge"
) -> tuple[Path, Path]:
    """The work folder (a temporary one unless given) with the generated badge file of `rows`
    rows in it, and no store left from an earlier run: every run starts from empty stores."""
    work = folder or Path(tempfile.mkdtemp(prefix="import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"{kind}-{rows}-{seed}.csv"
    if not path.exists():
        t = time.perf_counter()
        write_file(path, kind, rows, seed)
        print(f"generated {path.name}: {path.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
    for stale in work.glob("*.sqlite3*"):
        stale.unlink()
    return work, path


def psql_copy(path: Path) -> float | None:
    """`psql \\copy` of the raw file into a plain table of text columns (a fresh database)."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"leadgate_copy_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:
        return None
    url = make_url(PG_ADMIN).set(drivername="postgresql", database=name)
    dsn = url.render_as_string(hide_password=False)
    with open(path, encoding="utf-8", newline="") as fh:
        n = len(next(csv.reader(fh)))
    columns = ", ".join(f"c{i} text" for i in range(n))
    try:
        subprocess.run(["psql", "-q", dsn, "-c", f"CREATE TABLE leads ({columns})"], check=True)
        start = time.perf_counter()
        subprocess.run(["psql", "-q", dsn, "-c",
                        f"\\copy leads FROM '{path}' WITH (FORMAT csv, HEADER true)"],
                       check=True, capture_output=True)  # fmt: skip
        return time.perf_counter() - start
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the generated file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", choices=("badge", "realistic", "alike"), default="realistic",
                        help="the generated file (see above)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure (the median)")
    parser.add_argument("--memory", action="store_true",
                        help="report peak memory and progress rate")  # fmt: skip
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL COPY run")
    parser.add_argument("--pg-only", action="store_true",
                        help="only the PostgreSQL import and psql's copy")  # fmt: skip
    parser.add_argument("--pg-login", choices=("admin", "rep", "manager"), default="admin",
                        help="PostgreSQL: import as the bench's login, or as a demo team "
                             "member's own login (row-level security applies)")  # fmt: skip
    parser.add_argument("--no-baselines", action="store_true",
                        help="only the Leadgate import (for the 1M memory run)")  # fmt: skip
    parser.add_argument("--no-cancel", action="store_true", help="skip the cancel latency run")
    parser.add_argument("--search-in-import", action="store_true",
                        help="build the search index in the import (as before)")  # fmt: skip
    parser.add_argument("--team", action="store_true",
                        help="start from the demo team (leads get owners)")  # fmt: skip
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args(argv)

    work, path = prepare(args.dir, args.rows, args.seed, args.kind)
    print(f"file: {args.kind}, {args.rows:,} rows   cpu count: {os.cpu_count()}   "
          f"load: {os.getloadavg()[0]:.1f}   runs per figure: {args.repeat}")  # fmt: skip

    if args.pg_only:
        pg_section(args, path)
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
        return 0

    rss_before = peak_mb()
    runs: list[tuple[float, float]] = []
    cpus: list[float] = []
    ticks: list[float] = []
    for n in range(args.repeat):
        for stale in work.glob("leadgate.sqlite3*"):
            stale.unlink()
        lg_s, counts, ticks, ckpt_s = leadgate_import(
            f"sqlite:///{work / 'leadgate.sqlite3'}", path, team=args.team,
            search_later=not args.search_in_import,
        )  # fmt: skip
        runs.append((lg_s, ckpt_s))
        cpus.append(CPU["leadgate"])
        print(f"  run {n + 1}: import {lg_s:.2f} s (CPU {CPU['leadgate']:.2f} s), then in the "
              f"background {ckpt_s:.2f} s")  # fmt: skip
    rss_after = peak_mb()
    lg_s = median([r[0] for r in runs])
    bg_s = median([r[1] for r in runs])
    print(f"leadgate import (SQLite{', team' if args.team else ''}): {lg_s:8.2f} s  "
          f"{args.rows / lg_s:10,.0f} rows/s  (until the user can work with them)")  # fmt: skip
    print(f"  outcome: {counts}")
    print(f"  then in the background (views' indexes, search index, WAL checkpoint): "
          f"{bg_s:.2f} s; search caught up {lg_s + bg_s:.2f} s after the start")  # fmt: skip

    if not args.no_baselines:
        su_runs = []
        su_cpus = []
        for _ in range(args.repeat):
            su_runs.append(sqlite_utils_insert(_fresh(work, "sqlite-utils.sqlite3"), path))
            su_cpus.append(CPU["sqlite-utils"])
        su_s = median(su_runs)
        fl_s = median([floor_insert(_fresh(work, "floor.sqlite3"), path)
                       for _ in range(args.repeat)])  # fmt: skip
        print(f"sqlite-utils insert --csv:    {su_s:8.2f} s  {args.rows / su_s:10,.0f} rows/s")
        print(f"floor (csv + executemany):    {fl_s:8.2f} s  {args.rows / fl_s:10,.0f} rows/s")
        r_su, r_fl = lg_s / su_s, lg_s / fl_s
        print(f"ratio leadgate / sqlite-utils: {r_su:7.2f}x  (target <= 1.0x) "
              f"{'OK' if r_su <= 1.0 else 'MISSED'}")  # fmt: skip
        print(f"  search caught up / sqlite-utils: {(lg_s + bg_s) / su_s:5.2f}x")
        print(f"  CPU seconds: leadgate {median(cpus):.2f} (its threads and worker), sqlite-utils "
              f"{median(su_cpus):.2f}: ratio {median(cpus) / median(su_cpus):.2f}x")  # fmt: skip
        print(f"ratio leadgate / floor:        {r_fl:7.2f}x")

    print(f"peak memory: {rss_after:,.0f} MB (before import {rss_before:,.0f} MB; "
          "target < 1,024 MB at 1,000,000 rows)")  # fmt: skip
    if args.memory:
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        rate = (len(ticks) - 1) / (ticks[-1] - ticks[0]) if len(ticks) > 1 else 0.0
        worst = max(range(len(gaps)), key=gaps.__getitem__, default=None)
        after = f" (after '{TICK_TEXTS[worst]}')" if worst is not None else ""
        print(f"progress: {len(ticks)} updates, {rate:.1f}/s, longest gap "
              f"{max(gaps, default=0):.3f} s{after}")  # fmt: skip
    if not args.no_cancel:
        stop, rollback = cancel_latency(f"sqlite:///{_fresh(work, 'cancel.sqlite3')}", path)
        print(f"cancel latency: {stop * 1000:.0f} ms from Cancel to the import function "
              f"returning, {rollback * 1000:.0f} ms incl. rollback (target < 250 ms)")  # fmt: skip

    if not args.no_pg:
        pg_section(args, path)
    if args.dir is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def pg_section(args: argparse.Namespace, path: Path) -> None:
    """The PostgreSQL import (COPY; through the staging table for a member's login) against
    `psql \\copy` of the raw file, each the median of --repeat runs, with the load and the CPU
    seconds of this process and of the server's backend (the machine may be shared)."""
    pg_runs, pg_cpus, server_cpus = [], [], []
    counts: dict[str, int] = {}
    for n in range(args.repeat):
        load = os.getloadavg()[0]
        run = pg_copy_run(path, login=args.pg_login, team=args.team)
        if run is None:
            return
        pg_runs.append(run[0])
        counts = run[1]
        pg_cpus.append(CPU.get("leadgate", float("nan")))
        server_cpus.append(CPU.get("server", float("nan")))
        print(f"  PostgreSQL run {n + 1}: {run[0]:.2f} s (load {load:.1f}; CPU: ours "
              f"{pg_cpus[-1]:.2f} s, server {server_cpus[-1]:.2f} s)")  # fmt: skip
    pg_s = median(pg_runs)
    print(f"leadgate import (PostgreSQL, {args.pg_login} login): {pg_s:8.2f} s  "
          f"{args.rows / pg_s:10,.0f} rows/s  (CPU: ours {median(pg_cpus):.2f} s, "
          f"server {median(server_cpus):.2f} s)")  # fmt: skip
    print(f"  outcome: {counts}")
    copies = [psql_copy(path) for _ in range(args.repeat)]
    if all(c is not None for c in copies):
        cp_s = median([c for c in copies if c is not None])
        print(f"psql \\copy into a plain table:  {cp_s:8.2f} s")
        print(f"ratio leadgate / psql \\copy:    {pg_s / cp_s:7.2f}x")


def _fresh(work: Path, name: str) -> Path:
    for stale in work.glob(name + "*"):
        stale.unlink()
    return work / name


if __name__ == "__main__":
    raise SystemExit(main())
