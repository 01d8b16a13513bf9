"""A large PostgreSQL team store in minutes: a demo history, multiplied on the server.

The demo generator writes every lead with its own drawn history through Python: about 40 s
per 10,000 leads on a 2-core machine, so 200,000 leads would take a quarter of an hour.
`build_store` generates a smaller demo (`seed_leads`), then copies its accounts, leads and
each lead's stage history, activities and engagement `INSERT ... SELECT` on the server,
copy k of lead i getting id i + k * max(id) and a fresh e-mail (the copy of an account has
its own domain), every timestamp of the lead and its history moved by the same few minutes
(so captured times spread and each copy's history stays in order). The product's own
triggers run as for any insert: the trigram search index and the board and inbox indexes
are filled by the server (they are indexes on the lead's columns), the report queue takes
in the new leads. Then the id sequences move past the copies, the report facts are built
(as a dashboard would once) and VACUUM ANALYZE leaves the store as autovacuum would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL, Connection

# Children copied with their lead: (table, the column naming the lead).
CHILDREN = (("stage_transitions", "lead_id"), ("activities", "lead_id"),
            ("engagement_events", "lead_id"))  # fmt: skip
# Every timestamp of copy k of lead i moves back by the same minutes: a few hours at most.
SHIFT = "make_interval(mins => ((k * 7919 + {lead}) % 240)::int)"


def _columns(conn: Connection, table: str) -> list[tuple[str, str]]:
    return [
        (str(name), str(kind))
        for name, kind in conn.execute(
            text(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t "
                "AND is_generated = 'NEVER' ORDER BY ordinal_position"
            ),
            {"t": table},
        )
    ]


def _copy(
    conn: Connection, table: str, overrides: dict[str, str], where: str, lead: str, last: int
) -> int:
    """Copy the rows of `table` (alias t) once per k in 1..last where `where`, with
    `overrides` for some columns; `lead` is the original lead's id (for the time shift)."""
    cols = _columns(conn, table)
    exprs = []
    for name, kind in cols:
        if name in overrides:
            exprs.append(overrides[name])
        elif kind.startswith("timestamp"):
            exprs.append(f"t.{name} - {SHIFT.format(lead=lead)}")
        else:
            exprs.append(f"t.{name}")
    names = ", ".join(name for name, _ in cols)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {', '.join(exprs)} "
        f"FROM {table} t CROSS JOIN generate_series(1, :last) AS k WHERE {where}"
    )
    return int(conn.execute(text(sql), {"last": last}).rowcount)


def _without_indexes(conn: Connection, tables: list[str]) -> list[str]:
    """Drop the plain indexes of `tables` (not those behind a key); returns their DDL.

    Building an index once after a bulk insert is several times faster than growing it row by
    row (the trigram GIN index most of all); re-running the DDL gives the same indexes."""
    rows = conn.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(CAST(:t AS regclass[])) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)"
        ),
        {"t": tables},
    ).all()
    for name, _ in rows:
        conn.execute(text(f"DROP INDEX {name}"))
    return [str(ddl) for _, ddl in rows]


def multiply(conn: Connection, leads: int, progress: Callable[[str], None] = print) -> int:
    """Copy the store's accounts and leads (with their history) until it holds `leads` leads.

    The store's lead ids must be contiguous (as the demo writes them). Returns the copies made."""
    lo, hi, n = conn.execute(text("SELECT min(id), max(id), count(*) FROM leads")).one()
    if not n or leads <= n:
        return 0
    if hi - lo + 1 != n:
        raise ValueError("multiply() needs the contiguous lead ids a fresh demo has")
    acc_off = int(conn.execute(text("SELECT coalesce(max(id), 0) FROM accounts")).scalar() or 0)
    copies = math.ceil(leads / n)
    conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    indexes = _without_indexes(conn, ["accounts", "leads", *(t for t, _ in CHILDREN)])
    # Copy k of lead id i exists when k * n + (i - lo) < leads.
    keep = f"(k * {n} + (t.{{col}} - {lo})) < {leads}"
    t0 = time.perf_counter()
    made = _copy(
        conn,
        "accounts",
        {
            "id": f"t.id + k * {acc_off}",
            "company": "t.company || ' ' || (k + 1)",
            "domain": "regexp_replace(t.domain, '(\\.[a-z]+)$', '-' || (k + 1) || '\\1')",
        },
        "true",
        "t.id",
        copies - 1,
    )
    progress(f"  accounts copied: {made:,} ({time.perf_counter() - t0:.1f} s)")
    # A copy's company and e-mail: its copied account's name, the same person's local part at
    # that account's domain (a lead without an account keeps a company copied the same way).
    email = (
        "CASE WHEN t.{col} IS NULL THEN NULL ELSE split_part(t.{col}, '@', 1) || '@' || "
        "regexp_replace(split_part(t.{col}, '@', 2), '(\\.[a-z]+)$', '-' || (k + 1) || '\\1') END"
    )
    t0 = time.perf_counter()
    made = _copy(
        conn,
        "leads",
        {
            "id": f"t.id + k * {hi}",
            "account_id": f"t.account_id + k * {acc_off}",
            "company": "t.company || ' ' || (k + 1)",
            "email": email.format(col="email"),
            "email_normalized": email.format(col="email_normalized"),
        },
        keep.format(col="id"),
        "t.id",
        copies - 1,
    )
    progress(f"  leads copied: {made:,} ({time.perf_counter() - t0:.1f} s)")
    for table, col in CHILDREN:
        t0 = time.perf_counter()
        made_child = _copy(
            conn,
            table,
            {"id": f"nextval(pg_get_serial_sequence('{table}', 'id'))", col: f"t.{col} + k * {hi}"},
            keep.format(col=col),
            f"t.{col}",
            copies - 1,
        )
        progress(f"  {table} copied: {made_child:,} ({time.perf_counter() - t0:.1f} s)")
    t0 = time.perf_counter()
    for ddl in indexes:
        conn.execute(text(ddl))
    progress(f"  {len(indexes)} indexes built again: {time.perf_counter() - t0:.1f} s")
    return copies - 1


def build_store(
    url: URL,
    leads: int,
    *,
    now: datetime,
    seed_leads: int = 5000,
    seed: int = 11,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Migrate the (empty) database at `url` and fill it with `leads` demo leads."""
    from app.clock import SettableClock
    from app.demo import generator as demo
    from app.services.reports.journeys import refresh_journeys
    from app.store.db import make_engine, make_session_factory, upgrade
    from app.store.sequences import advance_sequences

    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    base = min(leads, seed_leads)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with factory() as s:
        demo.generate(s, SettableClock(now), leads=base, seed=seed, accounts=max(50, base // 40))
        s.commit()
    timings["demo"] = time.perf_counter() - t0
    progress(f"  demo history of {base:,} leads: {timings['demo']:.0f} s")
    t0 = time.perf_counter()
    with factory() as s:
        multiply(s.connection(), leads, progress)
        advance_sequences(s)
        s.commit()
    timings["copies"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with factory() as s:
        facts = refresh_journeys(s, full=True)
        s.commit()
    timings["report facts"] = time.perf_counter() - t0
    progress(f"  report facts for {facts.leads:,} leads: {timings['report facts']:.0f} s")
    t0 = time.perf_counter()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    timings["vacuum analyze"] = time.perf_counter() - t0
    progress(f"  VACUUM ANALYZE: {timings['vacuum analyze']:.0f} s")
    engine.dispose()
    return timings
