"""A team of workstations on one PostgreSQL store, each a rep's own database login.

    python bench/team_bench.py [--leads 200000] [--workers 20] [--seconds 60] [--db URL]

Builds a scratch database (created and dropped; `--db` names the admin URL to create it
from, default $LEADGATE_TEST_PG_URL or postgres@127.0.0.1/test): a demo history multiplied
on the server to `--leads` leads (bench/team_store.py: about two minutes for 200,000 on two
cores), `--workers` reps, each with their own login made by `team grant` (so the server's
roles, row-level security and triggers are in force), the open leads and planned follow-ups
shared among them. Then every worker process, as its rep, runs a realistic mix for
`--seconds`: inbox pages (its own open leads, 50 a page, with the count), searches, moves
through the gates (blocked moves are answers, not errors), contacts logged, follow-ups done,
and a timer sweep every 30 s as the timer thread runs it (on the team database one
workstation sweeps at a time; a round a teammate swept within half an interval, or is
sweeping, comes back skipped: "skipped" in the table). One more process is a workstation's
board: the app's PipelineView (offscreen, on "Everyone") fed by the app's LiveUpdates.

Reports per operation p50/p95 (ms), errors (target 0), lost updates (each touched lead's
stage must be the destination of its last recorded move; target 0), duplicate alerts (target
0), and how long a move takes to show on the other workstation's board, from the drop (the
rep's move call starting) and from its commit: the change notification arriving, the board
taking it in (its coalescing), and the board's reads of that change having landed in the
view (target p95 < 1 s from the drop). For a quick run: `--leads 20000 --seconds 20`.
By default each workstation runs its operations back to back, far beyond a real rep's rate
(20 of them on two cores keep the CPUs saturated, so every figure is mostly queueing);
`--pace S` gives each rep a think time of S seconds on average before each operation.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import traceback
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEIGHTS = {"inbox": 30, "search": 15, "move": 20, "contact": 15, "followup": 10}
TERMS = ["gmbh", "ltd", "sol", "tech", "an", "er", "data", "mar", "ing", "cloud"]
SWEEP_EVERY = 30.0


class RunningClock:
    """The demo's 'now', moving with real time (so sweeps see time pass)."""

    def __init__(self, start: datetime, t0: float) -> None:
        self.start, self.t0 = start, t0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.t0)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build(admin_url: Any, leads: int, workers: int) -> dict[str, Any]:
    """The scratch store: demo history, the reps and their logins, the leads shared out."""
    from sqlalchemy import text
    from team_store import build_store  # bench/, the script's own directory

    from app.clock import SettableClock
    from app.models import Role
    from app.services.auth import Actor
    from app.services.reports.journeys import refresh_journeys
    from app.services.team import logins
    from app.services.team.users import create_user
    from app.services.timers import api as timers_api
    from app.store.db import make_engine, make_session_factory
    from app.store.uow import UnitOfWork

    t = time.perf_counter()
    build_store(admin_url, leads, now=START, progress=lambda m: print(m, flush=True))
    print(f"built {leads:,} leads in {time.perf_counter() - t:.0f} s", flush=True)
    engine = make_engine(admin_url)
    factory = make_session_factory(engine)
    # A store in use has been swept: the alerts its history calls for have fired, the
    # revisit dates reached have reopened their leads, this hour's decay is done. Without
    # this, the run's first sweeps would fire a backlog no working team has.
    t = time.perf_counter()
    swept = timers_api.run_sweep(
        UnitOfWork(factory, SettableClock(START)), Actor.system("Timers"), START
    ).value
    print(
        f"  the store swept once ({len(swept.fired):,} alerts): {time.perf_counter() - t:.0f} s",
        flush=True,
    )
    suffix = uuid.uuid4().hex[:6]
    reps: list[tuple[int, str]] = []
    with factory() as s:
        for i in range(workers):
            user = create_user(
                s, name=f"Bench Rep {i:02d}", email=f"bench{i:02d}.{suffix}@bench.test",
                role=Role.REP, capacity=0, now=START,
            )  # fmt: skip
            login = f"lgbench_{suffix}_{i:02d}"
            logins.grant_login(s, user.email, Role.REP, login=login)
            reps.append((user.id, login))
        ids = "ARRAY[" + ",".join(str(r[0]) for r in reps) + "]"
        s.execute(
            text(f"UPDATE leads SET owner_id = ({ids})[1 + (id % {workers})] WHERE status = 'open'")
        )
        s.execute(
            text(
                "UPDATE activities a SET owner_id = l.owner_id FROM leads l "
                "WHERE a.lead_id = l.id AND a.status = 'planned'"
            )
        )
        # The new owners are report facts too: folded in now, as a dashboard would have.
        refresh_journeys(s)
        s.commit()
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return {"reps": reps, "suffix": suffix}


def worker(
    index: int,
    url_text: str,
    user_id: int,
    seconds: float,
    sync: Any,
    out: Any,
    moves: Any,
    skip: frozenset[str] = frozenset(),
    pace: float = 0.0,
) -> None:
    """One workstation: a rep's own login doing the mix until the deadline, back to back or
    with a think time of `pace` seconds on average (exponential) before each operation."""
    from sqlalchemy import select
    from sqlalchemy.engine import make_url

    from app.models import Activity, Lead, Stage
    from app.services.auth import Actor
    from app.services.errors import ActionError, StaleError
    from app.services.followups import api as followups_api
    from app.services.leads import api as leads_api
    from app.services.leads.queries import LeadFilter, count_leads, list_leads
    from app.services.timers import api as timers_api
    from app.store.db import Store, make_engine, make_session_factory
    from app.store.uow import ServerRefused, UnitOfWork

    rng = random.Random(index)
    url = make_url(url_text)
    engine = make_engine(url)
    store = Store(url, engine, make_session_factory(engine))
    actor = Actor(user_id, f"Bench Rep {index:02d}", "rep")
    timer = Actor.system("Timers")
    lat: dict[str, list[float]] = {k: [] for k in [*WEIGHTS, "sweep", "skipped"]}
    errors: dict[str, int] = {}
    messages: list[str] = []
    counts = {"blocked": 0, "stale": 0, "refused": 0}
    with store.session() as s:
        stages = s.execute(
            select(Stage.id, Stage.pipeline_id, Stage.position).where(Stage.kind == "open")
        ).all()
    # Forward to the next stage (through its gate) or back one (no gate): both are moves.
    neighbours: dict[int, list[int]] = {}
    for sid, pid, pos in stages:
        same = [x for x in stages if x.pipeline_id == pid]
        later = [x for x in same if x.position > pos]
        earlier = [x for x in same if x.position < pos]
        neighbours[sid] = [min(later, key=lambda x: x.position).id] if later else []
        neighbours[sid] += [max(earlier, key=lambda x: x.position).id] if earlier else []
    ops = [op for op in WEIGHTS if op not in skip]
    weights = [WEIGHTS[op] for op in ops]
    t0 = _started(sync)
    clock = RunningClock(START, t0)
    next_sweep = time.time() + rng.uniform(0, SWEEP_EVERY)
    last_sweep: datetime | None = None
    deadline = t0 + seconds

    def own_lead(s: Any) -> Any:
        return s.execute(
            select(Lead.id, Lead.version, Lead.stage_id)
            .where(Lead.owner_id == user_id, Lead.status == "open")
            .offset(rng.randrange(50))
            .limit(1)
        ).first()

    while time.time() < deadline:
        if pace > 0:
            time.sleep(min(rng.expovariate(1 / pace), max(0.0, deadline - time.time())))
            if time.time() >= deadline:
                break
        if time.time() >= next_sweep and "sweep" not in skip:
            op = "sweep"
            next_sweep += SWEEP_EVERY
        else:
            op = rng.choices(ops, weights)[0]
        started, wall = time.perf_counter(), time.time()
        try:
            if op == "inbox":
                with store.session() as s:
                    flt = LeadFilter(owner_id=user_id, status="open")
                    count_leads(s, flt)
                    list_leads(s, flt, offset=50 * rng.randrange(4), limit=50)
            elif op == "search":
                with store.session() as s:
                    list_leads(s, LeadFilter(text=rng.choice(TERMS)), limit=50)
            elif op == "move":
                with store.session() as s:
                    lead = own_lead(s)
                if lead is None or not neighbours.get(lead.stage_id):
                    continue
                to = rng.choice(neighbours[lead.stage_id])
                result = leads_api.move_lead(
                    UnitOfWork(store.session_factory, clock), actor, lead.id, to, lead.version
                ).value
                if result.moved:
                    moves.put((lead.id, wall, time.time(), lead.stage_id, to))
                else:
                    counts["blocked"] += 1
            elif op == "contact":
                with store.session() as s:
                    lead = own_lead(s)
                if lead is None:
                    continue
                leads_api.log_contact(
                    UnitOfWork(store.session_factory, clock), actor, lead.id, "call"
                )
            elif op == "followup":
                with store.session() as s:
                    act = s.scalar(
                        select(Activity.id)
                        .where(Activity.owner_id == user_id, Activity.status == "planned")
                        .offset(rng.randrange(20))
                        .limit(1)
                    )
                if act is None:
                    continue
                followups_api.mark_done(UnitOfWork(store.session_factory, clock), actor, act)
            else:
                now = clock.now()
                # As the workstation's timer thread runs it: the system actor, on the rep's login.
                swept = timers_api.run_sweep(
                    UnitOfWork(store.session_factory, clock),
                    timer,
                    now,
                    since=last_sweep,
                    fresh_for=timedelta(seconds=SWEEP_EVERY / 2),
                ).value
                if swept.skipped:  # a teammate's workstation swept (or is sweeping) it
                    op = "skipped"
                else:
                    last_sweep = now
        except StaleError:
            counts["stale"] += 1  # told, not overwritten: a conflict, not a lost update
            continue
        except ServerRefused as exc:
            counts["refused"] += 1
            errors[op] = errors.get(op, 0) + 1
            if len(messages) < 5:
                messages.append(f"{op}: {exc}")
            continue
        except ActionError as exc:
            if "already" in str(exc):  # a follow-up done on another screen: an answer
                continue
            errors[op] = errors.get(op, 0) + 1
            if len(messages) < 5:
                messages.append(f"{op}: {exc}")
            continue
        except Exception as exc:  # counted and reported; the run goes on
            errors[op] = errors.get(op, 0) + 1
            if len(messages) < 5:
                messages.append(f"{op}: {type(exc).__name__}: {exc}"[:300])
            if os.environ.get("BENCH_TRACE"):
                traceback.print_exc()
            continue
        lat[op].append((time.perf_counter() - started) * 1000)
    engine.dispose()
    out.put({"lat": lat, "errors": errors, "messages": messages, "counts": counts})


def _started(sync: Any) -> float:
    """Say this process is ready; wait for every other one; the common start time."""
    ready, go, t0 = sync
    ready.put(os.getpid())
    go.wait()
    return float(t0.value)


def board(url_text: str, user_id: int, seconds: float, sync: Any, out: Any) -> None:
    """Another workstation's board, as its user sees it: the real PipelineView (offscreen)
    on "Everyone", fed by the app's LiveUpdates (its coalescing) and reading through the app's
    task runner. Records when each change notification arrives, when the board takes each
    change in (the coalesced broadcast), and when every read that broadcast started (column
    counts and first pages, the totals) has landed in the view."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from sqlalchemy.engine import make_url

    from app.services.changes import Changes
    from app.services.team.users import get_user
    from app.store.db import Store, make_engine, make_session_factory
    from app.store.listener import Change
    from app.ui import theme
    from app.ui.context import AppContext
    from app.ui.pipeline.view import PipelineView
    from app.ui.sync import LiveUpdates
    from app.ui.workers import TaskRunner

    url = make_url(url_text)
    engine = make_engine(url)
    store = Store(url, engine, make_session_factory(engine))
    app = QApplication.instance() or QApplication([])
    theme.apply_theme(app, "light")  # type: ignore[arg-type]
    with store.session() as s:
        user = get_user(s, user_id)
    assert user is not None
    clock = RunningClock(START, time.time())
    ctx = AppContext(store, clock, user, TaskRunner(store.session_factory))
    view = PipelineView(ctx)
    view.resize(1440, 900)
    view.show()
    view.activate()

    def settle(until: Any, limit: float = 120.0) -> None:
        end = time.time() + limit
        while not until() and time.time() < end:
            app.processEvents()
            time.sleep(0.005)

    settle(lambda: bool(view.columns))
    view.owner.setCurrentIndex(0)  # "Everyone": the team's board, not only my leads
    settle(lambda: all(not c.model.loading for c in view.columns.values()))

    arrivals: list[tuple[float, tuple[int, ...] | None]] = []
    # One entry per broadcast: [lead ids (None: all), taken in at, reads still out, shown at].
    taken: list[list[Any]] = []
    live = LiveUpdates(ctx)
    deliver = live.listener._on_change

    def arrived(change: Change) -> None:  # the listener's thread: the notification is here
        if change.table == "leads":
            arrivals.append((time.time(), change.ids))
        deliver(change)

    live.listener._on_change = arrived

    def took(changes: Changes) -> None:  # after the board's own slot started its reads
        if changes.touches_leads:
            ids = None if changes.all_leads else tuple(changes.leads)
            taken.append([ids, time.time(), None, None, {}])

    started: dict[Any, float] = {}  # when each column's (or the totals') last read started

    def landed(what: Any) -> None:
        """Credited to the changes taken in before that read began whose reads are still
        out (a column the change did not touch is not read for it: it shows the card where
        it was and the card is 'on the board' when the board is idle again)."""
        now, began = time.time(), started.get(what, 0.0)
        for entry in taken:
            if entry[1] <= began and entry[3] is None:
                entry[4].setdefault(what, now)

    def idle() -> None:  # every read the changes taken in so far started has landed
        if not view.reading:
            now = time.time()
            for entry in taken:
                if entry[3] is None:
                    entry[3] = now

    poll = QTimer()
    poll.timeout.connect(idle)
    poll.start(5)

    ctx.events.changed.connect(took)
    for sid, column in view.columns.items():
        column.model.loaded.connect(lambda sid=sid: landed(sid))
        reload = column.model.reload

        def timed_reload(sid: int = sid, reload: Any = reload) -> None:
            started[sid] = time.time()
            reload()

        column.model.reload = timed_reload  # type: ignore[method-assign]
    summary_loaded = view._summary_loaded

    def totals_loaded(summary: Any) -> None:
        summary_loaded(summary)
        landed("totals")

    view._summary_loaded = totals_loaded  # type: ignore[method-assign]
    live.start()
    live.listener.wait_ready()
    t0 = _started(sync)
    clock.t0 = t0
    QTimer.singleShot(int(max(0.0, t0 + seconds + 3 - time.time()) * 1000), app.quit)
    app.exec()
    live.stop()
    ctx.tasks.wait(30_000)
    engine.dispose()
    out.put({"arrivals": arrivals, "taken": [(e[0], e[1], e[3], e[4]) for e in taken]})


def check(admin_url: Any, touched: set[int]) -> dict[str, int]:
    """Lost updates and duplicate alerts, from the store itself."""
    from sqlalchemy import text

    from app.store.db import make_engine

    engine = make_engine(admin_url)
    with engine.connect() as conn:
        lost = conn.execute(
            text(
                "SELECT count(*) FROM leads l JOIN LATERAL (SELECT to_stage_id FROM "
                "stage_transitions t WHERE t.lead_id = l.id AND t.kind <> 'blocked' "
                "ORDER BY t.at DESC, t.id DESC LIMIT 1) last ON true "
                "WHERE l.id = ANY(:ids) AND l.status = 'open' AND l.stage_id <> last.to_stage_id"
            ),
            {"ids": sorted(touched)},
        ).scalar()
        dup = conn.execute(
            text("SELECT count(*) FROM (SELECT key FROM alerts GROUP BY key HAVING count(*) > 1) d")
        ).scalar()
    engine.dispose()
    return {"lost": int(lost or 0), "duplicate_alerts": int(dup or 0)}


def _first_after(events: Sequence[Sequence[Any]], lead: int, after: float) -> Sequence[Any] | None:
    """The first event (lead ids or None for all, at, ...) at or after `after` naming `lead`."""
    for event in events:
        ids, at = event[0], event[1]
        if at >= after and (ids is None or lead in ids):
            return event
    return None


def report_propagation(
    sent: list[tuple[int, float, float, int, int]], seen: dict[str, Any]
) -> None:
    """How long each move took to reach the other workstation's board, from the drop (the
    rep's move call starting) and from its commit: the notification arriving, the board
    taking it in (after its coalescing), the columns the card left and entered read again
    (the card shown where it now is: "on the board"), and the board idle again (every read
    it started for the changes taken in so far landed, the totals included; polled every
    5 ms)."""
    arrivals = sorted(((ids, at) for at, ids in seen["arrivals"]), key=lambda e: e[1])
    taken = sorted(seen["taken"], key=lambda e: e[1])
    rows: dict[str, tuple[list[float], list[float]]] = {
        "notified": ([], []), "taken in": ([], []), "on the board": ([], []),
        "all reads in": ([], []),
    }  # fmt: skip
    missing = 0
    if os.environ.get("BENCH_DUMP"):
        import json

        Path(os.environ["BENCH_DUMP"]).write_text(
            json.dumps({"sent": sent, "arrivals": seen["arrivals"], "taken": taken})
        )
    for lead, dropped, committed, source, target in sent:
        # The move's notification comes after its drop; the broadcast that carries it to the
        # board after the notification (whose reads then start after the commit).
        note = _first_after(arrivals, lead, dropped)
        took = _first_after(taken, lead, note[1]) if note is not None else None
        if note is None or took is None or took[2] is None:
            missing += 1
            continue
        landed = took[3]
        shown = max(landed.get(source, took[2]), landed.get(target, took[2]))
        for name, at in (
            ("notified", note[1]), ("taken in", took[1]), ("on the board", shown),
            ("all reads in", took[2]),
        ):  # fmt: skip
            rows[name][0].append((at - dropped) * 1000)
            rows[name][1].append(max(0.0, at - committed) * 1000)
    print(
        f"a move on another workstation's board ({len(sent) - missing} of {len(sent)} moves "
        f"seen; {len(taken)} broadcasts taken in, target: on the board p95 < 1000 ms "
        "from the drop)"
    )
    print(f"{'':<14}{'from drop p50':>15}{'p95':>8}{'from commit p50':>17}{'p95':>8}")
    for name, (drop, commit) in rows.items():
        print(
            f"{name:<14}{_pct(drop, 50):>15.0f}{_pct(drop, 95):>8.0f}"
            f"{_pct(commit, 50):>17.0f}{_pct(commit, 95):>8.0f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--db", help="admin URL to create the scratch database from")
    parser.add_argument(
        "--skip",
        default="",
        help="diagnosis only: operations left out of the mix (e.g. search,sweep), to see what "
        "the others cost without them; the issue's figures are for the whole mix",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="a rep's mean think time in seconds before each operation (exponential); 0, the "
        "default, runs them back to back (a stress far beyond a team's real rate)",
    )
    args = parser.parse_args()
    if args.db:
        os.environ["LEADGATE_TEST_PG_URL"] = args.db
    from sqlalchemy import text

    from app.store.db import make_engine
    from tests.helpers import stores

    skip = frozenset(op.strip() for op in args.skip.split(",") if op.strip())
    unknown = skip - {*WEIGHTS, "sweep"}
    if unknown:
        parser.error(f"--skip: no operation {', '.join(sorted(unknown))}")
    admin_url = stores.create_pg_database("leadgate_teambench")
    reps: list[tuple[int, str]] = []
    try:
        built = build(admin_url, args.leads, args.workers)
        reps = built["reps"]
        ctx = mp.get_context("spawn")
        results, moves, arrivals_q = ctx.Queue(), ctx.Queue(), ctx.Queue()
        # Every process imports and connects first; then the clock starts for all at once.
        sync = (ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0))
        observer = admin_url.set(username=reps[0][1]).render_as_string(hide_password=False)
        procs = [
            ctx.Process(target=board, args=(observer, reps[0][0], args.seconds, sync, arrivals_q))
        ]
        for i, (uid, login) in enumerate(reps):
            url = admin_url.set(username=login).render_as_string(hide_password=False)
            procs.append(
                ctx.Process(
                    target=worker,
                    args=(i, url, uid, args.seconds, sync, results, moves, skip, args.pace),
                )
            )
        for p in procs:
            p.start()
        for _ in procs:
            sync[0].get(timeout=600)
        sync[2].value = time.time()
        sync[1].set()
        outs = [results.get(timeout=args.seconds + 600) for _ in reps]
        seen_by_board = arrivals_q.get(timeout=120)
        sent: list[tuple[int, float, float, int, int]] = []
        while not moves.empty():
            sent.append(moves.get())
        for p in procs:
            p.join(30)
        lat: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        totals = {"blocked": 0, "stale": 0, "refused": 0}
        messages: list[str] = []
        for o in outs:
            for k, v in o["lat"].items():
                lat.setdefault(k, []).extend(v)
            for k, v in o["errors"].items():
                errors[k] = errors.get(k, 0) + v
            for k, v in o["counts"].items():
                totals[k] += v
            messages += o["messages"]
        print(
            f"\n{args.workers} reps' own logins, {args.leads:,} leads, {args.seconds:.0f} s"
            f" (weights {WEIGHTS}, a sweep every {SWEEP_EVERY:.0f} s per workstation)"
            + (
                f"; each rep thinks {args.pace:g} s on average between operations"
                if args.pace
                else "; operations back to back, no think time"
            )
            + (f"; DIAGNOSIS: without {', '.join(sorted(skip))}" if skip else "")
        )
        print(f"{'operation':<10}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'errors':>8}")
        for op in [*WEIGHTS, "sweep", "skipped"]:
            values = lat.get(op, [])
            print(
                f"{op:<10}{len(values):>8}{_pct(values, 50):>10.1f}{_pct(values, 95):>10.1f}"
                f"{errors.get(op, 0):>8}"
            )
        print(
            f"moves blocked by a gate: {totals['blocked']}, stale refusals: {totals['stale']}, "
            f"server refusals: {totals['refused']}"
        )
        for m in messages[:8]:
            print("  error:", m)
        found = check(admin_url, {m[0] for m in sent})
        print(f"lost updates: {found['lost']}  duplicate alerts: {found['duplicate_alerts']}")
        report_propagation(sent, seen_by_board)
    finally:
        stores.drop_pg_database(admin_url)
        engine = make_engine(stores.pg_admin_url())
        with engine.begin() as conn:
            for _, login in reps:
                conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
