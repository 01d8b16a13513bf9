"""Soak: many workstations on the same leads at once, through the API as real team members.

    python bench/soak.py [--db pg|URL] [--procs N] [--seconds 300] [--leads 200]

Builds a store (a temporary SQLite file unless --db names one; `--db pg` creates and drops a
scratch PostgreSQL database) with the demo team, `--leads` shared leads and one badge file,
then runs `--procs` processes (default 16 on PostgreSQL, 4 on SQLite) for `--seconds`. Each
acts as one team member and loops over the shared leads and the imported ones: moves (with
the version it just read, as the board does), edits, logged calls, imports of the same file,
undo of the latest import (as the manager) and timer sweeps. It reports:

- operations done, refusals (stale, busy, blocked, not allowed: one-line errors) and
  tracebacks (any other exception; target 0, the first few are printed);
- lost updates (target 0): a shared lead whose version moved by other than the writes the
  workers saw succeed plus the sweep's recorded transitions, a lead whose stage is not where
  its last recorded move took it, or an imported lead someone changed that is gone;
- duplicate leads (open leads sharing an e-mail) and duplicate alerts (the same kind, lead,
  user and message twice), target 0; lead-less summaries ("30 new leads were assigned to
  you", one per import) that repeat their words for a later batch are counted apart.

Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPS = {"move": 30, "edit": 25, "contact": 20, "sweep": 8, "import": 8, "undo": 4}


def setup(url: str, leads: int, folder: Path) -> dict[str, Any]:
    from sqlalchemy import func, select

    from app.clock import SystemClock
    from app.demo.generator import ensure_team
    from app.models import Lead, StageTransition
    from app.services.importing.synth import write_badge_csv
    from app.services.leads.edit import create_lead
    from app.services.pipeline.stages import ensure_default_pipeline
    from app.store.db import make_engine, make_session_factory, unit_of_work, upgrade

    engine = make_engine(url)
    upgrade(engine)
    clock = SystemClock()
    with unit_of_work(make_session_factory(engine)) as s:
        team = ensure_team(s, clock)
        ensure_default_pipeline(s)
        reps = [u.id for u in team if u.role == "rep"]
        ids = [
            create_lead(
                s,
                clock,
                {
                    "name": f"Soak Lead {i}",
                    "email": f"soak{i}@soak.example",
                    "company": f"Soak Co {i % 37}",
                    "owner": str(reps[i % len(reps)]),
                },
            ).id
            for i in range(leads)
        ]
        s.flush()
        rows = s.execute(select(Lead.id, Lead.version).where(Lead.id.in_(ids))).all()
        versions = {int(r[0]): int(r[1]) for r in rows}
        last_move = s.scalar(select(func.coalesce(func.max(StageTransition.id), 0)))
        people = [(u.id, u.name, u.role) for u in team]
    engine.dispose()
    badge = write_badge_csv(folder / "expo.csv", 300, seed=16)
    return {
        "ids": ids,
        "versions": versions,
        "last_move": last_move,
        "people": people,
        "file": str(badge),
    }


def work(n: int, url: str, plan: dict[str, Any], seconds: float) -> dict[str, Any]:
    """One workstation's loop for `seconds` once it is up; returns its tallies."""
    from sqlalchemy import select

    from app.clock import SystemClock
    from app.models import ImportBatch, Lead, Stage
    from app.services.auth import Actor, PermissionDenied
    from app.services.errors import ActionError, StaleError, StoreBusy
    from app.services.importing import api as importing_api
    from app.services.leads import api as leads_api
    from app.services.timers import api as timers_api
    from app.store.db import make_engine, make_session_factory
    from app.store.uow import UnitOfWork

    rng = random.Random(n)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = SystemClock()
    people = plan["people"]
    uid, name, role = people[n % len(people)]
    me = Actor(uid, name, role)
    manager = next(Actor(i, nm, r) for i, nm, r in people if r == "manager")
    ops: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    tracebacks: list[str] = []
    bumps: Counter[int] = Counter()  # shared lead -> version-moving writes that succeeded
    touched_imported: set[int] = set()  # imported leads this workstation changed
    shared = set(plan["ids"])
    with factory() as s:
        stages = list(s.scalars(select(Stage.id).where(Stage.exit_status.is_(None))))
    deadline = time.monotonic() + seconds

    def uow() -> UnitOfWork:
        return UnitOfWork(factory, clock)

    def pick() -> tuple[int, int] | None:
        with factory() as s:
            if rng.random() < 0.75:
                lead_id = rng.choice(plan["ids"])
            else:
                lead_id = s.scalar(
                    select(Lead.id).where(Lead.import_batch_id.is_not(None))
                    .order_by(Lead.id.desc()).offset(rng.randrange(300)).limit(1)
                )  # fmt: skip
                if lead_id is None:
                    return None
            version = s.scalar(select(Lead.version).where(Lead.id == lead_id))
            return (lead_id, int(version)) if version is not None else None

    def wrote(lead_id: int) -> None:
        if lead_id in shared:
            bumps[lead_id] += 1
        else:
            touched_imported.add(lead_id)

    while time.monotonic() < deadline:
        op = rng.choices(list(OPS), weights=list(OPS.values()))[0]
        try:
            if op in ("move", "edit", "contact"):
                target = pick()
                if target is None:
                    continue
                lead_id, version = target
                if op == "move":
                    moved = leads_api.move_lead(uow(), me, lead_id, rng.choice(stages), version)
                    if moved.value.moved and moved.value.kind != "same":
                        wrote(lead_id)
                    elif moved.value.kind != "same":
                        refused["blocked move"] += 1
                elif op == "edit":
                    title = f"Title {n}-{ops[op]}"
                    changed = leads_api.update_lead(uow(), me, lead_id, {"title": title}, version)
                    if changed.value:
                        wrote(lead_id)
                else:
                    leads_api.log_contact(uow(), me, lead_id, "call")
                    wrote(lead_id)
            elif op == "sweep":
                timers_api.run_sweep(uow(), Actor.system())
            elif op == "import":
                importing_api.run_import(uow(), me, plan["file"])
            else:
                with factory() as s:
                    batch = s.scalar(
                        select(ImportBatch.id).where(ImportBatch.undone_at.is_(None),
                                                     ImportBatch.status == "done")
                        .order_by(ImportBatch.id.desc()).limit(1)
                    )  # fmt: skip
                if batch is None:
                    continue
                importing_api.undo_import(uow(), manager, batch)
            ops[op] += 1
        except StaleError:
            refused[f"stale {op}"] += 1
        except StoreBusy:
            refused[f"busy {op}"] += 1
        except PermissionDenied:
            refused[f"not allowed {op}"] += 1
        except ActionError as exc:
            refused[f"{type(exc).__name__} {op}"] += 1
        except Exception:
            tracebacks.append(f"[{op}] {traceback.format_exc()}")
    engine.dispose()
    return {
        "ops": ops,
        "refused": refused,
        "tracebacks": tracebacks,
        "bumps": bumps,
        "touched_imported": sorted(touched_imported),
    }


def check(url: str, plan: dict[str, Any], bumps: Counter[int], touched: set[int]) -> dict[str, int]:
    """Lost updates and duplicates, from the store's final state."""
    from sqlalchemy import func, select

    from app.models import Alert, Lead, LeadStatus, StageTransition
    from app.store.db import make_engine, make_session_factory

    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        rows = s.execute(select(Lead.id, Lead.version).where(Lead.id.in_(plan["ids"]))).all()
        versions = {int(r[0]): int(r[1]) for r in rows}
        swept = Counter(
            s.scalars(
                select(StageTransition.lead_id).where(
                    StageTransition.id > plan["last_move"],
                    StageTransition.by_user_id.is_(None),
                    StageTransition.lead_id.in_(plan["ids"]),
                    StageTransition.kind != "blocked",
                )
            )
        )
        lost = sum(
            1
            for lead_id, before in plan["versions"].items()
            if versions.get(int(lead_id), -1) - before != bumps[int(lead_id)] + swept[int(lead_id)]
        )
        last = (
            select(StageTransition.lead_id, func.max(StageTransition.id).label("last"))
            .where(StageTransition.kind != "blocked", StageTransition.to_stage_id.is_not(None))
            .group_by(StageTransition.lead_id)
            .subquery()
        )
        lost += int(
            s.scalar(
                select(func.count())
                .select_from(Lead)
                .join(last, last.c.lead_id == Lead.id)
                .join(StageTransition, StageTransition.id == last.c.last)
                .where(StageTransition.to_stage_id != Lead.stage_id)
            )
            or 0
        )
        present = set(s.scalars(select(Lead.id).where(Lead.id.in_(sorted(touched)))))
        lost += len(touched - present)
        dup_leads = s.scalar(
            select(func.count()).select_from(
                select(Lead.email_normalized)
                .where(Lead.email_normalized.is_not(None), Lead.status == LeadStatus.OPEN)
                .group_by(Lead.email_normalized)
                .having(func.count() > 1)
                .subquery()
            )
        )
        # The same alert twice about one lead for one person. Lead-less summaries ("30 new
        # leads were assigned to you", one per import) repeat their words for each new batch:
        # those are counted apart, as repeated events, not duplicates.
        repeated = (
            select(Alert.kind, Alert.lead_id, Alert.message, func.count().label("n"))
            .group_by(Alert.kind, Alert.lead_id, Alert.user_id, Alert.message)
            .having(func.count() > 1)
        )
        dup_rows = s.execute(repeated.where(Alert.lead_id.is_not(None))).all()
        dup_alerts = len(dup_rows)
        summaries = len(s.execute(repeated.where(Alert.lead_id.is_(None))).all())
        for kind, lead_id, message, n in dup_rows[:5]:
            print(f"  duplicate alert x{n}: {kind} lead={lead_id} {message[:80]!r}")
        leads = s.scalar(select(func.count()).select_from(Lead))
    engine.dispose()
    return {
        "lost": lost,
        "dup_leads": int(dup_leads or 0),
        "dup_alerts": int(dup_alerts or 0),
        "repeated_summaries": summaries,
        "leads": int(leads or 0),
    }


def _tally(counts: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.most_common())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="'pg' (a scratch PostgreSQL database) or a store URL")
    parser.add_argument("--procs", type=int, help="processes (default: 16 PostgreSQL, 4 SQLite)")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--leads", type=int, default=200, help="shared leads")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadgate-soak-"))
    scratch = None
    if args.db == "pg":
        from tests.helpers.stores import create_pg_database

        scratch = create_pg_database("leadgate_soak")
        url = scratch.render_as_string(hide_password=False)
    else:
        url = args.db or f"sqlite:///{folder / 'soak.sqlite3'}"
    pg = url.startswith("postgresql")
    procs = args.procs or (16 if pg else 4)
    try:
        plan = setup(url, args.leads, folder)
        with ProcessPoolExecutor(procs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(work, n, url, plan, args.seconds) for n in range(procs)]
            results = [f.result() for f in futures]
        ops: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        bumps: Counter[int] = Counter()
        touched: set[int] = set()
        tracebacks: list[str] = []
        for r in results:
            ops.update(r["ops"])
            refused.update(r["refused"])
            bumps.update(r["bumps"])
            touched.update(r["touched_imported"])
            tracebacks += r["tracebacks"]
        found = check(url, plan, bumps, touched)
    finally:
        if scratch is not None:
            from tests.helpers.stores import drop_pg_database

            drop_pg_database(scratch)
    store = "PostgreSQL" if pg else "SQLite"
    print(f"{store}, {procs} processes, {args.seconds:.0f} s, {args.leads} shared leads")
    print(f"operations: {sum(ops.values())} ({_tally(ops)})")
    print(f"refusals: {sum(refused.values())} ({_tally(refused) or 'none'})")
    print(f"tracebacks: {len(tracebacks)} (target 0)")
    print(f"lost updates: {found['lost']} (target 0)")
    print(f"duplicate leads: {found['dup_leads']}, duplicate alerts: {found['dup_alerts']} "
          f"(target 0); {found['leads']} leads at the end")  # fmt: skip
    print(f"lead-less summaries repeating their words for a new batch (not duplicates): "
          f"{found['repeated_summaries']}")  # fmt: skip
    for text in tracebacks[:3]:
        print(text, file=sys.stderr)
    missed = tracebacks or found["lost"] or found["dup_leads"] or found["dup_alerts"]
    return 1 if missed else 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.exit(main())
