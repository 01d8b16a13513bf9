"""Team-aware sweeping on a shared PostgreSQL store: one workstation sweeps at a time, and
each sweep carries on from the team's last one.

Every workstation runs the timer thread, but on a team database the sweeps take turns:

- A sweep first tries the transaction-level advisory lock SWEEP_LOCK_KEY (the one place the
  key is defined). If another workstation holds it, this one skips the round and says who is
  sweeping; it raised nothing, and the alerts the other one raises reach it through the
  change notifications. The lock goes with the sweep's transaction (commit or rollback), so
  a workstation that dies mid-sweep leaves nothing locked. Advisory locks need no grant:
  every team login can take it.
- The team's last completed sweep is one row in `team_sweeps`, written in the sweep's own
  transaction (so it commits with the alerts it describes). The next sweep, on whichever
  workstation, is incremental from it (`since` = that sweep's `now`): the windows chain
  without a gap however the workstations take turns, so a skipped round costs nothing and a
  workstation starting up does not sweep every lead again.

When a sweep is full (`plan`): when there is no record; when the team's last full sweep is
`full_sweep_minutes` old (the settings', 5 by default: incremental sweeps see what the clock
brings, a full one also what an edit brought, e.g. a follow-up cancelled early; it is now one
full sweep per team every few minutes, not one per workstation); when the window would start
more than FULL_AFTER_GAP ago (a store nobody swept over a weekend); and when the record lies
more than CLOCK_SKEW in this workstation's future (its writer's clock was wrong). A record at
or just ahead of this workstation's `now` means the team already swept this moment: skip.

A rep's login may act only on its own and unassigned leads (sweep's `acts_for`): alerts whose
action it may not take stay unfired for a manager's or the owner's workstation. The record
keeps where that started (`held_since`), and the next sweep by a login the server does not
restrict starts its window there, so they are raised in the next such round.

On SQLite (one workstation) none of this applies: no lock, no record, the caller's `since`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models import TeamSweep
from app.services.team.users import find_user_by_login

# pg_try_advisory_xact_lock key of the timer sweep ('LGSW' in ASCII). Fits in 31 bits, so
# pg_locks shows it as classid 0, objid SWEEP_LOCK_KEY, objsubid 1.
SWEEP_LOCK_KEY = 0x4C475357
TEAM_KEY = "team"
FULL_AFTER_GAP = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=2)
# held_since for a full sweep that held alerts back: "from the beginning" (a full sweep next).
FROM_THE_START = datetime(1970, 1, 1, tzinfo=UTC)


def is_shared(session: Session) -> bool:
    """A team database, where several workstations sweep one store."""
    return session.get_bind().dialect.name == "postgresql"


def try_lock(session: Session) -> bool:
    """Take the sweep lock for this transaction; False when another session holds it."""
    return bool(
        session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SWEEP_LOCK_KEY})
    )


def lock_holder(session: Session) -> str | None:
    """Who holds the sweep lock on this database (member name and login), if visible."""
    login = session.scalar(
        text(
            "SELECT a.usename FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 "
            "AND l.objid::bigint = :key AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "LIMIT 1"
        ),
        {"key": SWEEP_LOCK_KEY},
    )
    return describe_login(session, login) if login else None


def describe_login(session: Session, login: str) -> str:
    member = find_user_by_login(session, login)
    return f"{member.name} ({login})" if member and member.name != login else login


def current_login(session: Session) -> str:
    return str(session.scalar(text("SELECT session_user")))


def load(session: Session) -> TeamSweep | None:
    return session.get(TeamSweep, TEAM_KEY)


@dataclass(frozen=True)
class Plan:
    """What this workstation does this round: skip (with the reason), or sweep from `since`
    (None: a full sweep)."""

    skip: str | None = None
    since: datetime | None = None


def plan(
    record: TeamSweep | None,
    now: datetime,
    *,
    full_every: timedelta,
    fresh_for: timedelta = timedelta(0),
    restricted: bool = False,
) -> Plan:
    """The rule (see the module docstring). `fresh_for`: a team sweep younger than this is
    recent enough that this round is skipped (the timer thread passes half its interval, so
    twenty workstations make about two sweeps per interval, not twenty)."""
    if record is None or record.swept_at > now + CLOCK_SKEW:
        return Plan()
    # Alerts a rep's login held back are owed by this login however recent the team's sweep.
    owed = not restricted and record.held_since is not None
    if record.swept_at >= now - fresh_for and not owed:
        return Plan(skip=f"the team swept at {record.swept_at:%H:%M:%S} UTC, by {record.swept_by}")
    start = record.swept_at
    if owed and record.held_since is not None:
        start = min(start, record.held_since)
    if record.full_at is None or now - record.full_at >= full_every or now - start > FULL_AFTER_GAP:
        return Plan()
    return Plan(since=start)


def save(
    session: Session,
    record: TeamSweep | None,
    now: datetime,
    *,
    since: datetime | None,
    restricted: bool,
    held_back: int,
    by: str,
) -> None:
    """Record this completed sweep (in its transaction, under the lock)."""
    if record is None:
        record = TeamSweep(key=TEAM_KEY, swept_at=now, swept_by=by)
        session.add(record)
    record.swept_at = now
    record.swept_by = by
    if since is None:
        record.full_at = now
    if not restricted:
        record.held_since = None  # this window started at or before it
    elif held_back:
        start = since if since is not None else FROM_THE_START
        held = record.held_since
        record.held_since = start if held is None else min(held, start)
    session.flush()


__all__ = [
    "CLOCK_SKEW",
    "FULL_AFTER_GAP",
    "SWEEP_LOCK_KEY",
    "Plan",
    "is_shared",
    "load",
    "lock_holder",
    "plan",
    "save",
    "try_lock",
]
