"""Inbox at scale: first paint, sort and filter changes, background rescoring, routing.

    python bench/inbox_bench.py [--leads 1000000] [--db PATH] [--reuse] [--route 10000]

Builds (or reuses) a SQLite store with N leads by a fast Core bulk generator, then measures,
each against a baseline taken in the same run:

* inbox first paint / sort change / filter change: time from the request to the model's
  `loaded` signal plus one synchronous repaint of the table, against a bare SELECT of the
  same 200-row page (the least any lazy table must pay);
* that `data()` never touches the database: SQL statements counted while every visible cell
  is read in every role;
* full rescoring on the task runner (leads/s) while a 10 ms UI-thread timer measures how
  late it fires, against the same timer on an idle loop;
* routing N new leads, against a bare SELECT of the same leads' routing columns.
Targets: each inbox step under 200 ms, rescoring at least 20,000 leads/s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

INDUSTRIES = [
    "Software",
    "Financial services",
    "Manufacturing",
    "Healthcare",
    "Logistics",
    "Retail",
]
COUNTRIES = ["United States", "Germany", "United Kingdom", "Sweden", "Spain", "France", "Canada"]
TITLES = ["CEO", "CTO", "VP Sales", "IT Manager", "Software Engineer", "Analyst", "Head of IT"]
SOURCES = ["Web form", "Event scan", "LinkedIn", "Referral", "Partner"]
KINDS = ["demo_request", "pricing_visit", "content_download", "email_reply", "webinar"]
FIRST = ["Amara", "Wei", "Omar", "Arjun", "Sofia", "Lukas", "Chidi", "Fatima", "Dmitri", "Ines"]
LAST = ["Anderson", "Okafor", "Petrov", "Garcia", "Nilsson", "Haddad", "Rossi", "Tanaka"]


def build_store(path: Path, leads: int, clock: Any) -> Any:
    """A migrated store with `leads` leads and about one engagement event each (Core bulk)."""
    from sqlalchemy import insert

    from app.demo.generator import ensure_team
    from app.models import EngagementEvent, Lead
    from app.services.pipeline.stages import ensure_default_pipeline, list_stages
    from app.store.db import make_engine, make_session_factory, unit_of_work, upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    factory = make_session_factory(engine)
    rng = random.Random(5)
    now = clock.now()
    with unit_of_work(factory) as s:
        pipeline = ensure_default_pipeline(s).id
        stages = [st.id for st in list_stages(s) if st.kind == "open"]
        reps = [u.id for u in ensure_team(s, clock) if u.role == "rep"]
    started = time.perf_counter()
    chunk = 50_000
    with engine.begin() as conn:
        for base in range(0, leads, chunk):
            rows, events = [], []
            for i in range(base + 1, min(leads, base + chunk) + 1):
                captured = now - timedelta(minutes=rng.randint(1, 60 * 24 * 180))
                first, last = rng.choice(FIRST), rng.choice(LAST)
                contacted = rng.random() < 0.7
                rows.append(
                    {
                        "id": i,
                        "first_name": first,
                        "last_name": last,
                        "display_name": f"{first} {last} {i}",
                        "email_normalized": f"{first.lower()}.{i}@example.com",
                        "title": rng.choice(TITLES),
                        "company": f"Company {i % 20000}",
                        "industry": rng.choice(INDUSTRIES),
                        "headcount": rng.choice([8, 40, 150, 600, 3000]),
                        "country": rng.choice(COUNTRIES),
                        "source": rng.choice(SOURCES),
                        "captured_at": captured,
                        "first_contacted_at": captured + timedelta(hours=2) if contacted else None,
                        "last_touch_at": captured + timedelta(hours=3) if contacted else None,
                        "owner_id": rng.choice(reps),
                        "pipeline_id": pipeline,
                        "stage_id": rng.choice(stages),
                        "status": "open" if rng.random() < 0.6 else "lost",
                        "incomplete": rng.random() < 0.03,
                        "details": {},
                        "qualifiers": {
                            "timeframe": rng.choice(["This quarter", "Next quarter", None]),
                            "budget": rng.choice(["Approved", "Planned", "Unknown"]),
                        },
                        "version": 1,
                        "score": 0,
                        "fit": 0,
                        "intent": 0,
                        "authority": 0,
                        "timing": 0,
                    }
                )
                for _ in range(rng.choice([0, 1, 1, 2])):
                    events.append(
                        {
                            "lead_id": i,
                            "kind": rng.choice(KINDS),
                            "at": captured + timedelta(days=rng.uniform(0, 20)),
                            "detail": {},
                        }
                    )
            conn.execute(insert(Lead), rows)
            conn.execute(insert(EngagementEvent), events)
            print(f"  generated {base + len(rows):,} / {leads:,} leads", file=sys.stderr)
    print(f"store built in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return engine


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads (default 1,000,000)")
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temporary)")
    parser.add_argument("--reuse", action="store_true", help="reuse --db if it exists")
    parser.add_argument("--route", type=int, default=10_000, help="new leads to route")
    parser.add_argument(
        "--skip-rescore", action="store_true", help="skip the rescoring runs (a reused store)"
    )
    args = parser.parse_args()

    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication, QTableView
    from sqlalchemy import event, func, insert, select, text

    from app.clock import SettableClock
    from app.models import Lead
    from app.services.leads.queries import LeadFilter
    from app.services.routing import core as routing
    from app.services.scoring import core as scoring
    from app.store.db import Store, make_engine, make_session_factory
    from app.ui import theme
    from app.ui.inbox.delegate import InboxDelegate
    from app.ui.inbox.model import InboxModel
    from app.ui.workers import TaskRunner

    app = QApplication.instance() or QApplication([])
    theme.apply_theme(app, "light")  # type: ignore[arg-type]
    clock = SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "inbox-bench.sqlite3"
    if args.reuse and path.exists():
        engine = make_engine(f"sqlite:///{path}")
    else:
        if path.exists():
            path.unlink()
        engine = build_store(path, args.leads, clock)
    store = Store(engine.url, engine, make_session_factory(engine))
    with store.session() as s:
        total = int(s.scalar(select(func.count()).select_from(Lead)) or 0)
    print(f"Inbox benchmark on SQLite, {total:,} leads ({path})")

    results: list[tuple[str, float, float, float]] = []

    def wait_for(signal: Any, action: Any, timeout_ms: int = 120_000) -> None:
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        action()
        loop.exec()
        signal.disconnect(loop.quit)

    # -- full rescoring in the background, with a UI-thread lateness probe -------------------
    runner = TaskRunner(store.session_factory)

    def probe(duration_s: float | None, until: Any = None) -> list[float]:
        """Lateness (ms) of a 10 ms UI-thread timer, for a duration or until `until()`."""
        lateness: list[float] = []
        timer = QTimer()
        timer.setInterval(10)
        clock_ = QElapsedTimer()
        last = [0]
        loop = QEventLoop()

        def tick() -> None:
            now = clock_.elapsed()
            lateness.append(max(0, now - last[0] - 10))
            last[0] = now
            if (duration_s is not None and now > duration_s * 1000) or (until and until()):
                timer.stop()
                loop.quit()

        timer.timeout.connect(tick)
        clock_.start()
        timer.start()
        loop.exec()
        return lateness

    idle = probe(1.0)

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[-1] if len(xs) >= 20 else max(xs or [0])

    print("\nFull rescoring on the task runner thread (writes only rows whose score changed)")
    print(f"  UI timer lateness on an idle loop: p95 {p95(idle):.1f} ms, max {max(idle):.0f} ms")
    phases = ("first scoring (every row written)", "a day later (decay: changed rows)")
    for label in () if args.skip_rescore else phases:
        done_flag: list[Any] = []
        cpu = time.process_time()
        started = time.perf_counter()
        runner.submit(
            lambda s, state: scoring.rescore_leads(s, clock, None, state, record_crossings=True),
            on_done=lambda r, flag=done_flag: flag.append(r),
            on_error=lambda e, flag=done_flag: flag.append(e),
            with_state=True,
        )
        busy = probe(None, until=lambda flag=done_flag: bool(flag))
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        result = done_flag[0]
        if not isinstance(result, scoring.RescoreResult):
            print(f"rescoring failed: {result.message}")
            return 1
        print(
            f"  {label}: {result.scored:,} scored, {result.changed:,} written, "
            f"{result.tier_changes:,} tier crossings recorded"
        )
        print(
            f"    {result.scored / elapsed:,.0f} leads/s wall ({elapsed:.1f} s incl. commit), "
            f"{result.scored / cpu:,.0f} leads per CPU-second; target >= 20,000 leads/s"
        )
        print(
            f"    UI timer lateness meanwhile: p95 {p95(busy):.1f} ms, "
            f"max {max(busy or [0]):.0f} ms over {len(busy):,} ticks "
            f"(idle baseline p95 {p95(idle):.1f} ms)"
        )
        clock.advance(days=1)
    runner.wait()
    if hasattr(os, "getloadavg"):
        print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f}")

    # -- inbox paint, sort, filter -----------------------------------------------------------
    def bare_page(order: str, where: str = "status = 'open'") -> float:
        t = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(
                text(f"SELECT * FROM leads WHERE {where} ORDER BY {order} LIMIT 200")
            ).fetchall()
        return time.perf_counter() - t

    model = InboxModel(runner, clock)
    table = QTableView()
    table.setModel(model)
    delegate = InboxDelegate(model.column_of_key("tier"), model.column_of_key("score"), table)
    for key in ("tier", "score"):  # as the Inbox view does
        table.setItemDelegateForColumn(model.column_of_key(key), delegate)
    table.resize(1100, 800)
    table.show()

    score_col = model.column_of_key("score")

    def back_to_score() -> None:
        # The model ignores a sort to the order it already has: leave it before repeating.
        wait_for(model.loaded, lambda: model.sort(score_col, Qt.SortOrder.DescendingOrder))

    def timed(label: str, action: Any, baseline: Any, reset: Any = None) -> None:
        """First run and median of three: the machine is shared, single runs are noisy."""
        runs = []
        for i in range(3):
            if i and reset is not None:
                reset()
            t = time.perf_counter()
            wait_for(model.loaded, action)
            table.viewport().repaint()
            runs.append(time.perf_counter() - t)
        base = statistics.median(baseline() for _ in range(3))
        results.append((label, runs[0], statistics.median(runs), base))

    bare_page("score DESC, id DESC")  # warm the page cache for both sides alike
    timed("first paint (score desc)", model.reload, lambda: bare_page("score DESC, id DESC"))
    name_col = model.column_of_key("name")
    timed(
        "sort change: name asc",
        lambda: model.sort(name_col, Qt.SortOrder.AscendingOrder),
        lambda: bare_page("display_name ASC, id ASC"),
        back_to_score,
    )
    timed(
        "sort change: captured desc",
        lambda: model.sort(model.column_of_key("age"), Qt.SortOrder.DescendingOrder),
        lambda: bare_page("captured_at DESC, id DESC"),
        back_to_score,
    )
    timed(
        "filter change: Urgent+High",
        lambda: model.set_params(LeadFilter(status="open", tiers=("Urgent", "High"))),
        lambda: bare_page(
            "captured_at DESC, id DESC", "status = 'open' AND tier IN ('Urgent','High')"
        ),
    )
    timed(
        "filter change: owner",
        lambda: model.set_params(LeadFilter(status="open", owner_id=3)),
        lambda: bare_page("captured_at DESC, id DESC", "status = 'open' AND owner_id = 3"),
    )
    timed(
        "filter change: search 'anderson 12'",
        lambda: model.set_params(LeadFilter(status="open", text="anderson 12")),
        lambda: bare_page(
            "captured_at DESC, id DESC",
            "status = 'open' AND lower(display_name) LIKE '%anderson 12%'",
        ),
    )

    # data() must never query: count statements while reading every visible cell and role.
    statements = [0]

    def count(*_a: Any, **_k: Any) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    wait_for(model.loaded, lambda: model.set_params(LeadFilter(status="open")))
    statements[0] = 0
    cells = 0
    t = time.perf_counter()
    for r in range(min(60, model.rowCount())):
        for c in range(model.columnCount()):
            idx = model.index(r, c)
            for role in range(0, 14):
                idx.data(role)
                cells += 1
    data_time = time.perf_counter() - t
    event.remove(engine, "before_cursor_execute", count)

    print("\nInbox (request -> rows loaded -> table repainted)")
    print(f"  {'':<36}{'first':>11} {'median of 3':>13}   bare SELECT of the page (median)")
    for label, first, median, base in results:
        verdict = "ok" if median < 0.2 else "OVER 200 ms"
        print(
            f"  {label:<36}{ms(first)}   {ms(median)}   {ms(base)}   "
            f"ratio {median / base if base else float('nan'):6.1f}x   {verdict}"
        )
    print(
        f"  data(): {cells:,} cell/role reads in {data_time * 1000:.1f} ms, "
        f"{statements[0]} SQL statements"
    )

    # -- routing new leads -------------------------------------------------------------------
    with store.session() as s:
        next_id = int(s.scalar(select(func.max(Lead.id))) or 0) + 1
    rng = random.Random(11)
    with engine.begin() as conn:
        conn.execute(
            insert(Lead),
            [
                {
                    "id": next_id + i,
                    "display_name": f"New lead {i}",
                    "country": rng.choice(COUNTRIES),
                    "headcount": rng.choice([8, 40, 150, 600, 3000]),
                    "captured_at": clock.now(),
                    "status": "open",
                    "details": {},
                    "qualifiers": {},
                    "version": 1,
                    "score": 0,
                    "fit": 0,
                    "intent": 0,
                    "authority": 0,
                    "timing": 0,
                    "incomplete": False,
                }
                for i in range(args.route)
            ],
        )
        conn.execute(text("UPDATE users SET capacity = 10000000"))
    ids = list(range(next_id, next_id + args.route))
    t = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT l.id, l.owner_id, l.country, l.tier, l.headcount, a.owner_id FROM leads l "
                f"LEFT JOIN accounts a ON a.id = l.account_id WHERE l.id >= {next_id}"
            )
        ).fetchall()
    base = time.perf_counter() - t
    with store.session() as s:
        t = time.perf_counter()
        decisions = routing.route_leads(s, clock, ids)
        s.commit()
        took = time.perf_counter() - t
    steps: dict[str, int] = {}
    for d in decisions:
        steps[d.step] = steps.get(d.step, 0) + 1
    print("\nRouting new leads (chain + round-robin + write + commit)")
    print(
        f"  {len(decisions):,} leads in {took * 1000:.0f} ms ({len(decisions) / took:,.0f}/s); "
        f"bare SELECT of their rows {base * 1000:.1f} ms; ratio {took / base:.1f}x; steps {steps}"
    )
    runner.wait()
    table.close()
    store.dispose()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter finalisation: PySide6 objects torn down by the GC after QApplication
    # can crash at exit, which would hide a clean run's exit code.
    os._exit(code)
