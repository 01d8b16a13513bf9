"""A realistic demo store: a team, accounts, leads and about six months of stage history.

Everything is generated from one seeded random source and the clock's current day, so the same
seed on the same day gives the same store. Rows are written with Core bulk inserts: the demo
also fills the 100,000-lead benchmark stores.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import (
    Account,
    Activity,
    ActivityStatus,
    EngagementEvent,
    Lead,
    LeadStatus,
    Role,
    RoutingRule,
    StageKind,
    StageTransition,
    TransitionKind,
    User,
)
from app.services.leads.transitions import Transition
from app.services.pipeline.stages import (
    TARGET_INDUSTRIES,
    StageInfo,
    ensure_default_pipeline,
    list_stages,
)
from app.store.sequences import advance_sequences

FIRST_NAMES = [
    "Amara",
    "Wei",
    "Omar",
    "Arjun",
    "Zoë",
    "Sofia",
    "Lukas",
    "Chidi",
    "Fatima",
    "Dmitri",
    "Elizabeth",
    "Hiroshi",
    "Ines",
    "Jonas",
    "Kwame",
    "Laura",
    "Mateo",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomás",
    "Ulrike",
    "Valentina",
    "Yusuf",
    "Zainab",
    "Björn",
    "Camille",
    "Diego",
    "Emma",
    "Farid",
    "Greta",
    "Hannah",
    "Ivan",
    "Julia",
    "Kenji",
    "Leila",
    "Marco",
    "Noah",
    "Olga",
    "Pedro",
    "Rania",
    "Samuel",
    "Thea",
    "Uma",
    "Victor",
    "Wiebke",
    "Xavier",
    "Yara",
    "Zeynep",
    "Aiko",
    "Bruno",
    "Clara",
    "David",
    "Elif",
    "Felix",
]
LAST_NAMES = [
    "Anderson",
    "Brown",
    "Thomas",
    "Ångström",
    "Okafor",
    "Petrov",
    "Garcia",
    "Nilsson",
    "Haddad",
    "Rossi",
    "Tanaka",
    "Dubois",
    "Kowalski",
    "Silva",
    "Sharma",
    "Moore",
    "Wilson",
    "Müller",
    "Schmidt",
    "Lee",
    "Thompson",
    "Nakamura",
    "Fernández",
    "O'Brien",
    "van der Berg",
    "Novak",
    "Jensen",
    "Laurent",
    "Costa",
    "Yilmaz",
    "Ivanova",
    "Mensah",
    "Kim",
    "Park",
    "Chen",
    "Lindqvist",
    "Zimmermann",
    "Hoffmann",
    "Bianchi",
    "Romano",
    "Dubois",
    "Martin",
    "Lefèvre",
    "Nowak",
    "Horvat",
    "Andersen",
    "Eriksson",
]
TITLES = [
    ("CEO", "budget"),
    ("CTO", "technical"),
    ("CFO", "budget"),
    ("VP Engineering", "technical"),
    ("VP Sales", "budget"),
    ("Head of IT", "technical"),
    ("Director of Operations", "budget"),
    ("IT Manager", "technical"),
    ("Procurement Manager", "budget"),
    ("Software Engineer", None),
    ("DevOps Lead", "technical"),
    ("Marketing Manager", None),
    ("Business Analyst", None),
    ("Operations Coordinator", None),
    ("Data Scientist", None),
]
COMPANY_WORDS = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Aperture",
    "Oceanic",
    "Gringotts",
    "Pied",
    "Piper",
    "Massive",
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Blue",
    "Sun",
    "Soylent",
    "Wonka",
    "Monarch",
    "Nimbus",
    "Vertex",
    "Helix",
    "Quantum",
    "Atlas",
    "Orion",
    "Polar",
    "Summit",
    "Harbor",
    "Evergreen",
    "Ironclad",
    "Lumen",
    "Nordwind",
    "Alpen",
    "Rhein",
    "Baltic",
    "Iberia",
    "Sakura",
    "Maple",
    "Kestrel",
    "Falcon",
    "Granite",
    "Copper",
    "Cobalt",
]
COMPANY_SUFFIXES = [
    "Systems",
    "Labs",
    "Logistics",
    "Health",
    "Analytics",
    "Manufacturing",
    "Capital",
    "Software",
    "Industries",
    "Cloud",
    "Networks",
    "Group",
]
INDUSTRIES = [*TARGET_INDUSTRIES, "Retail", "Education", "Media", "Public sector", "Energy"]
SIZE_BANDS = [("1-10", 5), ("11-50", 30), ("51-200", 120), ("201-1000", 500), ("1000+", 3000)]
COUNTRIES = {
    "North America": ["United States", "Canada"],
    "DACH": ["Germany", "Austria", "Switzerland"],
    "UK & Ireland": ["United Kingdom", "Ireland"],
    "Nordics": ["Sweden", "Norway", "Denmark", "Finland"],
    "Southern Europe": ["Spain", "Italy", "Portugal", "France"],
}
SOURCES = [
    ("Web form", 0.30),
    ("Event scan", 0.25),
    ("LinkedIn", 0.18),
    ("Referral", 0.12),
    ("Partner", 0.15),
]
EVENTS = ["SaaStr Europa 2026", "Web Summit 2026", "Gartner IT Symposium", "Hannover Messe 2026"]
# Chance of leaving each open stage forward, and the mean days spent there before leaving.
ADVANCE = [0.55, 0.62, 0.58, 0.6, 0.52]
MEAN_DAYS = [2.5, 6.0, 9.0, 11.0, 14.0]
EXIT_REASONS = {
    LeadStatus.LOST: ["lost_to_competitor", "no_budget", "went_cold", "no_need"],
    LeadStatus.DISQUALIFIED: ["no_authority", "no_need", "spam", "duplicate"],
    LeadStatus.NURTURE: ["bad_timing", "went_cold"],
}
COMPETITORS = ["Pipedrive", "HubSpot", "Salesforce", "Close"]
BLOCKERS_BY_STAGE = {
    0: ["Qualified: at least 3 of 4 fit signals"],
    1: ["Discovery call scheduled", "Contact name confirmed"],
    2: ["Decision-maker documented", "Current tech stack documented"],
    3: ["No blocking objection open"],
    4: ["Review date set", "Procurement or finance received the proposal"],
}
TEAM = [
    ("Olivia Hart", "olivia.hart@leadgate.example", Role.OWNER, None, 0),
    ("Marcus Webb", "marcus.webb@leadgate.example", Role.MANAGER, None, 0),
    ("Priya Natarajan", "priya.natarajan@leadgate.example", Role.REP, "North America", 80),
    ("Jonas Becker", "jonas.becker@leadgate.example", Role.REP, "DACH", 70),
    ("Aoife Byrne", "aoife.byrne@leadgate.example", Role.REP, "UK & Ireland", 60),
    ("Lars Eklund", "lars.eklund@leadgate.example", Role.REP, "Nordics", 60),
    ("Lucía Romero", "lucia.romero@leadgate.example", Role.REP, "Southern Europe", 70),
]

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoResult:
    users: int
    accounts: int
    leads: int
    transitions: int
    activities: int

    def to_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def _next_id(session: Session, column: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(column), 0))) or 0) + 1


def _slug(text: str) -> str:
    keep = "".join(c.lower() if c.isalnum() else "" for c in text)
    return keep or "x"


def _email_local(first: str, last: str, rng: random.Random) -> str:
    f = "".join(c for c in first.lower() if c.isascii() and c.isalpha()) or "x"
    last_part = "".join(c for c in last.lower() if c.isascii() and c.isalpha()) or "x"
    return rng.choice(
        [f"{f}.{last_part}", f"{f[0]}{last_part}", f"{f}_{last_part}{rng.randint(1, 99)}"]
    )


def ensure_team(session: Session, clock: Clock) -> list[User]:
    users = list(session.scalars(select(User)))
    if users:
        return users
    for name, email, role, territory, capacity in TEAM:
        session.add(
            User(
                name=name,
                email=email,
                role=role,
                territory=territory,
                capacity=capacity or 0,
                available=True,
                created_at=clock.now() - timedelta(days=400),
            )
        )
    session.flush()
    return list(session.scalars(select(User)))


def generate(
    session: Session,
    clock: Clock,
    *,
    leads: int = 2000,
    seed: int = 7,
    accounts: int = 300,
    days: int = 182,
    progress: ProgressFn | None = None,
    chunk: int = 5000,
) -> DemoResult:
    """Add a demo team (if the store has none), accounts and `leads` leads with history."""
    # One random source drawn in a fixed order: every helper below takes its draws in turn,
    # so reordering calls changes the demo data for a seed.
    rng = random.Random(seed)
    now = clock.now().replace(minute=0, second=0, microsecond=0)
    pipeline_id = ensure_default_pipeline(session).id
    stages = list_stages(session)
    users = ensure_team(session, clock)
    reps = [u for u in users if u.role == Role.REP]
    setting = _Setting(
        now=now,
        days=days,
        pipeline_id=pipeline_id,
        open_stages=[s for s in stages if s.kind == StageKind.OPEN],
        won=next(s for s in stages if s.kind == StageKind.WON),
        exits={s.exit_status: s for s in stages if s.kind == StageKind.LOST},
        reps=reps,
        by_territory={u.territory: u for u in reps},
    )
    account_rows = _insert_accounts(session, rng, accounts, setting)

    lead_id = _next_id(session, Lead.id)
    batches = _Batches()
    for n in range(leads):
        _add_lead(batches, setting, rng, lead_id + n, account_rows)
        if len(batches.leads) >= chunk:
            batches.flush(session)
            if progress:
                progress(batches.totals["leads"], leads)
    batches.flush(session)
    if progress:
        progress(batches.totals["leads"], leads)
    if leads:
        _recent_hot_leads(
            session, clock, rng, lead_id, lead_id + leads - 1, setting.open_stages[0].id
        )
    _ensure_routing_rules(session, setting.by_territory)
    # Scores and tiers for every lead, then capacities that leave each rep some headroom
    # (the demo's history leaves reps with more open leads than a fixed default would allow).
    from app.services.scoring.core import rescore_leads

    rescore_leads(session, clock, None, record_crossings=False)
    # The score at hand-off: the demo's leads were handed over at the score they have now.
    session.execute(
        update(Lead).where(Lead.assigned_at.is_not(None)).values(handoff_score=Lead.score)
    )
    _fit_capacities(session, reps)
    # Leads and accounts were written with their own ids: PostgreSQL's sequences follow.
    advance_sequences(session)
    return DemoResult(
        users=len(users),
        accounts=accounts,
        leads=batches.totals["leads"],
        transitions=batches.totals["transitions"],
        activities=batches.totals["activities"],
    )


@dataclass(frozen=True)
class _Setting:
    """What every demo lead is drawn against: the day, the pipeline and the team."""

    now: datetime
    days: int
    pipeline_id: int
    open_stages: list[StageInfo]
    won: StageInfo
    exits: dict[str | None, StageInfo]
    reps: list[User]
    by_territory: dict[str | None, User]


@dataclass
class _Walk:
    """How far a lead got through the pipeline, and how it left the open stages if it did."""

    current: StageInfo
    at: datetime
    stage_index: int = 0
    status: LeadStatus = LeadStatus.OPEN
    exit_reason: str | None = None
    revisit: datetime | None = None
    final: Transition | None = None


class _Batches:
    """Rows waiting for the next bulk insert, and how many of each have been written."""

    def __init__(self) -> None:
        self.leads: list[dict[str, Any]] = []
        self.transitions: list[dict[str, Any]] = []
        self.activities: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.totals = {"leads": 0, "transitions": 0, "activities": 0}

    def flush(self, session: Session) -> None:
        # Core inserts with one key set per batch. On PostgreSQL, RETURNING makes SQLAlchemy
        # batch rows into multi-row INSERTs ("insertmanyvalues"): far fewer round trips and
        # one change notification per batch rather than per row. SQLite's executemany is
        # already the fast path there.
        conn = session.connection()
        batched = conn.dialect.name == "postgresql"
        for model, buf in (
            (Lead, self.leads),
            (StageTransition, self.transitions),
            (Activity, self.activities),
            (EngagementEvent, self.events),
        ):
            if not buf:
                continue
            keys = sorted({k for row in buf for k in row})
            rows = [{k: row.get(k) for k in keys} for row in buf]
            table = cast(Table, model.__table__)
            stmt = insert(table).returning(table.c.id) if batched else insert(table)
            conn.execute(stmt, rows)
        self.totals["leads"] += len(self.leads)
        self.totals["transitions"] += len(self.transitions)
        self.totals["activities"] += len(self.activities)
        for buf in (self.leads, self.transitions, self.activities, self.events):
            buf.clear()


def _insert_accounts(
    session: Session, rng: random.Random, count: int, setting: _Setting
) -> list[dict[str, Any]]:
    """Insert `count` accounts; the rows (with their territory) are what leads are drawn from."""
    account_id = _next_id(session, Account.id)
    account_rows: list[dict[str, Any]] = []
    used_names: set[str] = set()
    for i in range(count):
        name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        if name in used_names:
            name = f"{name} {i}"
        used_names.add(name)
        territory = rng.choice(list(COUNTRIES))
        band, head = rng.choices(SIZE_BANDS, weights=[1, 3, 4, 3, 2])[0]
        owner = setting.by_territory.get(territory) if rng.random() < 0.3 else None
        account_rows.append(
            {
                "id": account_id + i,
                "company": name,
                "domain": f"{_slug(name)}.com",
                "industry": rng.choices(INDUSTRIES, weights=[4, 3, 3, 2, 2, 2, 1, 1, 1, 1])[0],
                "size_band": band,
                "headcount": int(head * rng.uniform(0.6, 1.6)),
                "country": rng.choice(COUNTRIES[territory]),
                "owner_id": owner.id if owner else None,
                "created_at": setting.now - timedelta(days=rng.randint(200, 900)),
                "_territory": territory,
            }
        )
    session.connection().execute(
        insert(cast(Table, Account.__table__)),
        [{k: v for k, v in a.items() if k != "_territory"} for a in account_rows],
    )
    return account_rows


def _add_lead(
    batches: _Batches,
    setting: _Setting,
    rng: random.Random,
    lid: int,
    account_rows: list[dict[str, Any]],
) -> None:
    """Draw one lead with its history, activities and engagement into `batches`."""
    account = rng.choice(account_rows)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    title, decision_role = rng.choice(TITLES)
    source = rng.choices([s for s, _ in SOURCES], weights=[w for _, w in SOURCES])[0]
    event = rng.choice(EVENTS) if source == "Event scan" else None
    # More leads recently: the business is growing.
    age_days = setting.days * (1 - math.sqrt(rng.random()))
    captured = setting.now - timedelta(days=age_days, minutes=rng.randint(0, 600))
    owner = (
        next((u for u in setting.reps if u.id == account["owner_id"]), None)
        or setting.by_territory.get(account["_territory"])
        or rng.choice(setting.reps)
    )
    first_contact = _first_contact(captured, age_days, setting.now, rng)
    details, qualifiers = _initial_facts(decision_role, event, rng)
    walk = _walk_pipeline(batches.transitions, setting, lid, captured, owner.id, details, rng)
    first_contact, last_touch = _touches(
        batches.activities, setting.now, walk, lid, owner.id, captured, first_contact, rng
    )
    _engagement(batches.events, lid, source, event, captured, setting.now, rng, qualifiers)
    in_stage_since = walk.at
    row = {
        "id": lid,
        "first_name": first,
        "last_name": last,
        "display_name": f"{first} {last}",
        "email": f"{_email_local(first, last, rng)}@{account['domain']}",
        "email_normalized": None,  # set below, from the typed form
        "phone": _phone(rng),
        "phone_normalized": None,
        "title": title,
        "company": account["company"],
        "account_id": account["id"],
        "industry": account["industry"],
        "headcount": account["headcount"] if walk.stage_index >= 1 or rng.random() < 0.5 else None,
        "country": account["country"],
        "source": source,
        "event": event,
        "captured_at": captured,
        "first_contacted_at": first_contact,
        "last_touch_at": last_touch,
        "owner_id": owner.id if walk.stage_index > 0 or rng.random() < 0.93 else None,
        "first_owner_id": owner.id,
        # Routing hands most leads over within seconds; a few wait in the manager's queue.
        "assigned_at": captured + timedelta(seconds=5 + (lid * 7919) % (240 if lid % 9 else 9000)),
        "routing_reason": (
            f"Account owner of {account['company']}"
            if account["owner_id"]
            else f"Rule: {account['_territory']} territory"
        ),
        "pipeline_id": setting.pipeline_id,
        **(
            walk.final or Transition(walk.current.id, walk.status, TransitionKind.CREATED)
        ).lead_values(in_stage_since),
        "disqualify_reason": walk.exit_reason,
        "revisit_at": walk.revisit,
        "deal_value": Decimal(round(rng.lognormvariate(math.log(24000), 0.8), -2)),
        "incomplete": False,
        "details": details,
        "qualifiers": qualifiers,
        "raw_row": None,
        "version": 1,
        "created_at": captured,
        "updated_at": walk.at,
    }
    if row["owner_id"] is None:  # still in the manager's queue
        row["assigned_at"] = None
    row["email_normalized"] = row["email"].lower()
    row["phone_normalized"] = "+1" + "".join(c for c in row["phone"] if c.isdigit())[1:]
    batches.leads.append(row)


def _first_contact(
    captured: datetime, age_days: float, now: datetime, rng: random.Random
) -> datetime | None:
    """Speed to lead: most within hours, a fast core, a slow tail, some never yet."""
    response_minutes = rng.lognormvariate(math.log(90), 1.6)
    first_contact: datetime | None = captured + timedelta(minutes=response_minutes)
    if (first_contact and first_contact > now) or (age_days < 2 and rng.random() < 0.4):
        first_contact = None
    return first_contact


def _initial_facts(
    decision_role: str | None, event: str | None, rng: random.Random
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The lead's details and qualifiers as captured, before any stage adds to them."""
    details: dict[str, Any] = {}
    qualifiers: dict[str, Any] = {}
    if decision_role:
        details["decision_role"] = decision_role
    if rng.random() < 0.55:
        details["timeline"] = rng.choice(["This quarter", "Next quarter", "6-12 months"])
        qualifiers["timeframe"] = details["timeline"]
    qualifiers["budget"] = rng.choice(["Approved", "Planned", "None", "Unknown"])
    if event:
        qualifiers["rating"] = rng.choices(["Hot", "Warm", "Cold"], weights=[2, 4, 4])[0]
    return details, qualifiers


def _walk_pipeline(
    buf: list[dict[str, Any]],
    setting: _Setting,
    lid: int,
    captured: datetime,
    owner_id: int,
    details: dict[str, Any],
    rng: random.Random,
) -> _Walk:
    """Walk the pipeline from New until the lead stalls, exits, wins, or time runs out."""
    open_stages = setting.open_stages
    walk = _Walk(current=open_stages[0], at=captured)
    buf.append(
        {
            "lead_id": lid,
            "from_stage_id": None,
            "to_stage_id": walk.current.id,
            "kind": TransitionKind.CREATED,
            "at": captured,
            "by_user_id": None,
        }
    )
    while True:
        dwell = timedelta(days=rng.expovariate(1 / MEAN_DAYS[walk.stage_index]) + 0.05)
        leave_at = walk.at + dwell
        if leave_at >= setting.now:
            return walk  # still sitting in this stage today
        if rng.random() < 0.12 and walk.stage_index in BLOCKERS_BY_STAGE:
            buf.append(_blocked_row(open_stages, walk, lid, walk.at + dwell / 2, owner_id, rng))
        advance = rng.random() < ADVANCE[walk.stage_index]
        if not advance and rng.random() < 0.25 and leave_at > setting.now - timedelta(days=20):
            return walk  # a slow lead still open, possibly rotting
        _fill_details(details, walk.stage_index, leave_at, rng)
        if advance and walk.stage_index + 1 < len(open_stages):
            nxt = open_stages[walk.stage_index + 1]
            buf.append(
                {
                    "lead_id": lid,
                    "from_stage_id": walk.current.id,
                    "to_stage_id": nxt.id,
                    "kind": TransitionKind.FORWARD,
                    "at": leave_at,
                    "by_user_id": owner_id,
                }
            )
            walk.stage_index += 1
            walk.current = nxt
            walk.at = leave_at
            continue
        _leave_open_stages(buf, setting, walk, lid, leave_at, owner_id, advance, details, rng)
        return walk


def _blocked_row(
    open_stages: list[StageInfo],
    walk: _Walk,
    lid: int,
    at: datetime,
    owner_id: int,
    rng: random.Random,
) -> dict[str, Any]:
    """A forward move the gate refused, on the way to leaving the current stage."""
    return {
        "lead_id": lid,
        "from_stage_id": walk.current.id,
        "to_stage_id": open_stages[min(walk.stage_index + 1, len(open_stages) - 1)].id,
        "kind": TransitionKind.BLOCKED,
        "at": at,
        "by_user_id": owner_id,
        "unmet": [rng.choice(BLOCKERS_BY_STAGE[walk.stage_index])],
    }


def _leave_open_stages(
    buf: list[dict[str, Any]],
    setting: _Setting,
    walk: _Walk,
    lid: int,
    leave_at: datetime,
    owner_id: int,
    advance: bool,
    details: dict[str, Any],
    rng: random.Random,
) -> None:
    """The lead wins (leaving the last open stage forward) or exits; `walk` records how."""
    if advance:  # leaving Commercial review forward: a win
        details["signed_at"] = leave_at.date().isoformat()
        target, walk.status = setting.won, LeadStatus.WON
    else:
        weights = [5, 2, 2] if walk.stage_index >= 2 else [2, 5, 2]
        walk.status = rng.choices(
            [LeadStatus.LOST, LeadStatus.DISQUALIFIED, LeadStatus.NURTURE], weights=weights
        )[0]
        target = setting.exits[walk.status]
        walk.exit_reason = rng.choice(EXIT_REASONS[walk.status])
        if walk.exit_reason in ("bad_timing", "went_cold"):
            walk.revisit = leave_at + timedelta(days=rng.choice([60, 90, 120, 180]))
    # The same rule as every real move (services/leads/transitions.py), replayed.
    walk.final = Transition(
        target.id,
        walk.status,
        TransitionKind.FORWARD if walk.status == LeadStatus.WON else TransitionKind.EXIT,
        reason_code=walk.exit_reason,
        note=(
            f"Lost to {rng.choice(COMPETITORS)}"
            if walk.exit_reason == "lost_to_competitor"
            else None
        ),
        disqualify_reason=walk.exit_reason,
        revisit_at=walk.revisit,
    )
    buf.append(walk.final.history_row(lid, walk.current.id, leave_at, owner_id))
    walk.current = target
    walk.at = leave_at


def _touches(
    buf: list[dict[str, Any]],
    now: datetime,
    walk: _Walk,
    lid: int,
    owner_id: int,
    captured: datetime,
    first_contact: datetime | None,
    rng: random.Random,
) -> tuple[datetime | None, datetime | None]:
    """Done activities from the first contact on, and a planned next step for most open
    leads. Returns the (possibly back-filled) first contact and the last touch."""
    # A lead past New was contacted, whatever the speed-to-lead draw said.
    if walk.stage_index >= 1 and first_contact is None:
        first_contact = captured + timedelta(hours=rng.uniform(1, 30))
    last_touch = first_contact
    if first_contact:
        buf.append(_activity(lid, owner_id, rng.choice(["email", "call"]), first_contact, True))
        touches = rng.randint(0, 2 + walk.stage_index * 2)
        span = (walk.at - first_contact).total_seconds()
        for _ in range(touches):
            when = first_contact + timedelta(seconds=rng.uniform(0, max(span, 3600)))
            if when < now:
                kind = rng.choice(["email", "call", "linkedin", "meeting"])
                buf.append(_activity(lid, owner_id, kind, when, True))
                last_touch = max(last_touch, when) if last_touch else when
    if walk.status == LeadStatus.OPEN and rng.random() < 0.6:
        kind = "meeting" if walk.stage_index >= 2 else rng.choice(["call", "email", "call"])
        due = now + timedelta(hours=rng.uniform(-30, 24 * 10))
        buf.append(_activity(lid, owner_id, kind, due, False))
    return first_contact, last_touch


def _phone(rng: random.Random) -> str:
    return f"+1 {rng.randint(200, 999)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"


def _fill_details(
    details: dict[str, Any], stage_index: int, when: datetime, rng: random.Random
) -> None:
    """The facts a lead must have had documented to leave `stage_index` forward."""
    if stage_index == 0:
        details.setdefault("timeline", rng.choice(["This quarter", "Next quarter"]))
    elif stage_index == 1:
        details["contact_confirmed"] = True
    elif stage_index == 2:
        details["tech_stack"] = rng.choice(
            ["Salesforce + Snowflake", "SAP, on-prem SQL Server", "HubSpot, AWS", "Dynamics 365"]
        )
        details["decision_maker"] = rng.choice(["CFO", "CTO", "COO", "Head of Sales"])
        details["business_problem"] = rng.choice(
            [
                "Leads from events sit in spreadsheets for days",
                "No visibility into pipeline stage ages",
                "Slow first response to inbound demo requests",
            ]
        )
    elif stage_index == 3:
        details["technical_stakeholder"] = rng.choice(["Lead architect", "IT security", "CTO"])
        details["blocking_objection"] = False
    elif stage_index == 4:
        details["proposal_received"] = True
        details["review_date"] = (when - timedelta(days=2)).date().isoformat()


def _activity(lead_id: int, owner_id: int, kind: str, when: datetime, done: bool) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "owner_id": owner_id,
        "type": kind,
        "status": ActivityStatus.DONE if done else ActivityStatus.PLANNED,
        "subject": {
            "email": "Follow-up email",
            "call": "Call",
            "linkedin": "LinkedIn message",
            "meeting": "Discovery meeting",
            "task": "Task",
        }[kind],
        "due_at": when,
        "done_at": when if done else None,
        "outcome": ("Connected" if kind == "call" else "Sent") if done else None,
        "created_at": when - timedelta(days=1),
    }


def _engagement(
    buf: list[dict[str, Any]],
    lead_id: int,
    source: str,
    event: str | None,
    captured: datetime,
    now: datetime,
    rng: random.Random,
    qualifiers: dict[str, Any],
) -> None:
    if event:
        buf.append(
            {
                "lead_id": lead_id,
                "kind": "badge_scan",
                "at": captured,
                "detail": {"event": event, "rating": qualifiers.get("rating")},
            }
        )
    elif source == "Web form":
        buf.append(
            {
                "lead_id": lead_id,
                "kind": rng.choice(["demo_request", "content_download", "pricing_visit"]),
                "at": captured,
                "detail": {},
            }
        )
    for _ in range(rng.randint(0, 3)):
        when = captured + timedelta(days=rng.uniform(0, 60))
        if when < now:
            buf.append(
                {
                    "lead_id": lead_id,
                    "kind": rng.choice(
                        ["pricing_visit", "content_download", "email_reply", "webinar"]
                    ),
                    "at": when,
                    "detail": {},
                }
            )


HOT_TITLES = ["CTO", "VP Engineering", "Head of IT", "CFO", "Director of Operations", "VP Sales"]


def _recent_hot_leads(
    session: Session, clock: Clock, rng: random.Random, first_id: int, last_id: int, new_stage: int
) -> None:
    """Turn a few fresh leads into the inbox's "call now" cases: captured minutes to hours
    ago, high intent, not contacted yet, so the first-response countdown has something to
    count (some still inside the window, some just breached)."""
    now = clock.now()
    candidates = list(
        session.scalars(
            select(Lead.id)
            .where(
                Lead.id.between(first_id, last_id),
                Lead.stage_id == new_stage,
                Lead.status == LeadStatus.OPEN,
            )
            .order_by(Lead.id.desc())
            .limit(400)
        )
    )
    if not candidates:
        return
    count = min(len(candidates), max(10, (last_id - first_id + 1) // 150))
    picked = rng.sample(candidates, count)
    # Minutes since capture: a spread across the Urgent (5 min) and High (same day) windows.
    ages = [1.5, 3.0, 4.2, 7.0, 12.0, 25.0, 48.0, 95.0, 180.0, 320.0, 520.0]
    for n, lid in enumerate(picked):
        minutes = ages[n] if n < len(ages) else rng.uniform(1, 600)
        captured = now - timedelta(minutes=minutes, seconds=rng.randint(0, 50))
        hot = n % 3 != 2
        qualifiers = {
            "timeframe": "This quarter" if hot else "Next quarter",
            "budget": "Approved" if hot else "Planned",
            "rating": "Hot",
        }
        session.execute(
            update(Lead)
            .where(Lead.id == lid)
            .values(
                captured_at=captured,
                created_at=captured,
                stage_entered_at=captured,
                updated_at=captured,
                first_contacted_at=None,
                last_touch_at=None,
                title=rng.choice(HOT_TITLES),
                qualifiers=qualifiers,
                source="Web form" if n % 2 else "Event scan",
                event=None if n % 2 else EVENTS[0],
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(Activity).where(Activity.lead_id == lid))
        session.execute(delete(EngagementEvent).where(EngagementEvent.lead_id == lid))
        session.execute(
            delete(StageTransition).where(
                StageTransition.lead_id == lid, StageTransition.kind != TransitionKind.CREATED
            )
        )
        session.execute(
            update(StageTransition)
            .where(StageTransition.lead_id == lid)
            .values(at=captured)
            .execution_options(synchronize_session=False)
        )
        kinds = ["demo_request", "pricing_visit"] if n % 2 else ["badge_scan", "demo_request"]
        session.execute(
            insert(EngagementEvent),
            [
                {
                    "lead_id": lid,
                    "kind": k,
                    "at": captured,
                    "detail": {"rating": "Hot"} if k == "badge_scan" else {},
                }
                for k in kinds
            ],
        )


def _ensure_routing_rules(session: Session, by_territory: dict[str | None, User]) -> None:
    if session.scalar(select(func.count()).select_from(RoutingRule)):
        return
    position = 0
    for territory, rep in by_territory.items():
        if territory is None:
            continue
        session.add(
            RoutingRule(
                position=position,
                name=f"{territory} territory",
                conditions={"territory": [territory]},
                target_user_id=rep.id,
            )
        )
        position += 1
    session.flush()


def _fit_capacities(session: Session, reps: list[User]) -> None:
    counts = dict(
        session.execute(
            select(Lead.owner_id, func.count())
            .where(Lead.status == LeadStatus.OPEN, Lead.owner_id.is_not(None))
            .group_by(Lead.owner_id)
        ).all()
    )
    for rep in reps:
        open_now = int(counts.get(rep.id, 0))
        rep.capacity = max(rep.capacity or 0, math.ceil(open_now * 1.25 / 10.0) * 10)
    session.flush()
