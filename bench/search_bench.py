"""Search as you type on a PostgreSQL store: the app's own queries, per term, median of N.

    python bench/search_bench.py --db postgresql+psycopg://postgres@127.0.0.1:5432/NAME
    python bench/search_bench.py --db URL --explain        # EXPLAIN (ANALYZE, BUFFERS) too
    python bench/search_bench.py --db URL --terms er,ing
    python bench/search_bench.py --db URL --clients 8 --seconds 20   # typing at once

The store is one you built (bench/team_store.py's build_store, e.g. 200,000 leads). For each
term it times the shapes the app runs: the team bench's search (list_leads, newest first, 50
rows), and the inbox's (open leads by relevance then score, 50 rows, with count_leads and the
chip counts). Unloaded figures only mean something on a quiet machine: note `uptime`.
With --clients N, N processes type at once for --seconds: each keystroke is a random term's
inbox page, count and chip counts, one after the other (what the inbox asks for); it reports
the keystrokes' p50 and p95.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

TERMS = ["er", "ing", "an", "okafor", "tanaka iberia", "gmbh", "x"]


def _shapes(term: str) -> dict[str, Callable[[Any], Any]]:
    from app.services.leads.inbox import chip_counts
    from app.services.leads.queries import LeadFilter, LeadSort, count_leads, list_leads

    plain = LeadFilter(text=term)
    inbox = LeadFilter(text=term, status="open")
    return {
        "list newest": lambda s: list_leads(s, plain, limit=50),
        "inbox page": lambda s: list_leads(s, inbox, LeadSort("score", True), limit=50),
        "inbox count": lambda s: count_leads(s, inbox),
        "chip counts": lambda s: chip_counts(s, inbox, None),
    }


def _statements(term: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from app.models import Lead
    from app.services.leads.queries import LeadFilter, LeadSort, _ordered, _row_select

    plain = LeadFilter(text=term)
    inbox = LeadFilter(text=term, status="open")
    return {
        "list newest": _ordered(_row_select(), plain, LeadSort(), 0, 50),
        "inbox page": _ordered(_row_select(), inbox, LeadSort("score", True), 0, 50),
        "inbox count": select(func.count()).select_from(Lead).where(*inbox.where()),
    }


def _client(url: str, terms: list[str], seconds: float, seed: int, out: Any) -> None:
    from app.store.db import make_engine, make_session_factory

    factory = make_session_factory(make_engine(url))
    rng = random.Random(seed)
    times: list[float] = []
    with factory() as s:
        _shapes(terms[0])["inbox page"](s)  # connected and warm before the clock starts
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            shapes = _shapes(rng.choice(terms))
            t0 = time.perf_counter()
            for name in ("inbox page", "inbox count", "chip counts"):
                shapes[name](s)
            s.rollback()
            times.append((time.perf_counter() - t0) * 1000)
    out.put(times)


def _typing(url: str, terms: list[str], clients: int, seconds: float) -> None:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_client, args=(url, terms, seconds, i, out)) for i in range(clients)
    ]
    for p in procs:
        p.start()
    times = sorted(t for _ in procs for t in out.get())
    for p in procs:
        p.join()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    print(
        f"{clients} clients typing for {seconds:.0f} s: {len(times):,} keystrokes, "
        f"p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the store's SQLAlchemy URL")
    parser.add_argument("--terms", default=",".join(TERMS))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--clients", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    terms = [t for t in args.terms.split(",") if t.strip()]
    if args.clients:
        _typing(args.db, terms, args.clients, args.seconds)
        return

    from sqlalchemy.dialects import postgresql

    from app.store.db import make_engine, make_session_factory

    engine = make_engine(args.db)
    factory = make_session_factory(engine)
    print(f"{'term':<16}" + "".join(f"{name:>14}" for name in _shapes("x")) + "   (ms, median)")
    for term in terms:
        cells = []
        for _name, run in _shapes(term).items():
            times = []
            with factory() as s:
                run(s)  # warm: the plan cache and the buffers
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    run(s)
                    times.append((time.perf_counter() - t0) * 1000)
            cells.append(statistics.median(times))
        print(f"{term!r:<16}" + "".join(f"{ms:>14.1f}" for ms in cells), flush=True)
    if not args.explain:
        return
    for term in terms:
        for name, stmt in _statements(term).items():
            sql = str(
                stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
            )
            with factory() as s:
                plan = s.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).all()
            print(f"\n== {term!r} {name}")
            print("\n".join(str(r[0]) for r in plan))


if __name__ == "__main__":
    main()
