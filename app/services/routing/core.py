"""Lead routing: account owner → rules → round-robin → manager's queue; and contact logging.

Routing loads everything it needs once per call (users, open-lead counts, rules, account
owners) and writes owners with Core executemany, so routing 10,000 new leads is one pass.
Round-robin keeps fairness in `users.last_assigned_seq`: the eligible rep who was served
longest ago gets the next lead. A new rep starts at 0 and is served first once, after which
the rotation continues; nobody else's position is reset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.clock import Clock
from app.models import (
    Account,
    Activity,
    ActivityStatus,
    Lead,
    LeadStatus,
    RoutingRule,
    Setting,
    User,
    UserAbsence,
)
from app.services import audit
from app.services.followups.cadence import handle_assignments
from app.services.routing.engine import (
    RepState,
    RouteFacts,
    RoutingDecision,
    RoutingEngine,
    RuleSpec,
    matches,
)

__all__ = [
    "CHANNELS",
    "DEFAULT_TERRITORIES",
    "TERRITORIES_KEY",
    "ContactResult",
    "RepState",
    "RouteFacts",
    "Router",
    "RoutingDecision",
    "RoutingEngine",
    "RuleSpec",
    "assign_leads",
    "log_contact",
    "matches",
    "open_lead_counts",
    "rep_loads",
    "route_leads",
    "routing_accuracy",
    "territories",
    "unassigned_lead_ids",
]

TERRITORIES_KEY = "routing.territories"
POOL_KEY = "routing.pool"
# Country -> territory, used by rules with a "territory" condition (editable in settings).
DEFAULT_TERRITORIES: dict[str, str] = {
    "United States": "North America",
    "Canada": "North America",
    "Germany": "DACH",
    "Austria": "DACH",
    "Switzerland": "DACH",
    "United Kingdom": "UK & Ireland",
    "Ireland": "UK & Ireland",
    "Sweden": "Nordics",
    "Norway": "Nordics",
    "Denmark": "Nordics",
    "Finland": "Nordics",
    "Spain": "Southern Europe",
    "Italy": "Southern Europe",
    "Portugal": "Southern Europe",
    "France": "Southern Europe",
}

CHANNELS = ("call", "email", "linkedin", "meeting")


def away_today(session: Session, today: date) -> set[int]:
    """Members whose out-of-office range covers `today`."""
    rows = session.execute(
        select(UserAbsence.user_id, UserAbsence.starts, UserAbsence.ends).where(
            UserAbsence.starts <= today, UserAbsence.ends >= today
        )
    ).all()
    return {int(r.user_id) for r in rows}


def territories(session: Session) -> dict[str, str]:
    row = session.get(Setting, TERRITORIES_KEY)
    if row is not None and isinstance(row.value, dict):
        return {str(k): str(v) for k, v in row.value.items()}
    return dict(DEFAULT_TERRITORIES)


def tiers_routed_by_rule(session: Session) -> set[str]:
    """Tiers an active routing rule names (`{"tier": ["Urgent"]}`): a lead rising into one
    is routed again (leads.hooks.on_leads_changed)."""
    tiers: set[str] = set()
    for conditions in session.scalars(
        select(RoutingRule.conditions).where(RoutingRule.active.is_(True))
    ):
        wanted = (conditions or {}).get("tier")
        if wanted:
            tiers.update(str(t) for t in (wanted if isinstance(wanted, list) else [wanted]))
    return tiers


def route_leads(
    session: Session,
    clock: Clock,
    lead_ids: Sequence[int],
    *,
    by_user_id: int | None = None,
    only_unowned: bool = False,
) -> list[RoutingDecision]:
    """Route `lead_ids` through the chain and write owners and reasons.

    Leads that already have an owner are re-routed (a manager's "re-route"); the change is a
    reassignment and is audited. With `only_unowned`, leads that have an owner keep it.
    Each write checks the version read with the lead's facts: a lead a teammate changed
    meanwhile keeps what they made of it and is left out of the decisions returned.
    """
    if not lead_ids:
        return []
    session.flush()
    router = Router(session, clock.now().date())
    facts: list[tuple[RouteFacts, int]] = []  # with the version read
    ids = sorted(set(lead_ids))
    for i in range(0, len(ids), 5000):
        chunk = ids[i : i + 5000]
        facts.extend(
            (RouteFacts(*tuple(r)[:-1]), int(r.version))
            for r in session.execute(
                select(
                    Lead.id,
                    Lead.owner_id,
                    Lead.first_owner_id,
                    Account.owner_id,
                    func.coalesce(Account.company, Lead.company),
                    Lead.country,
                    Lead.tier,
                    Lead.source,
                    Lead.industry,
                    Lead.headcount,
                    func.coalesce(
                        Lead.qualifiers["product_interest"].as_string(),
                        Lead.qualifiers["interest"].as_string(),
                    ),
                    Lead.status,
                    Lead.deal_value,
                    Lead.version,
                )
                .outerjoin(Account, Account.id == Lead.account_id)
                .where(Lead.id.in_(chunk))
            )
        )
    facts.sort(key=lambda f: f[0].id)
    decisions = [
        router.decide(lead)
        for lead, _v in facts
        if not (only_unowned and lead.owner_id is not None)
    ]
    return _write(session, clock, decisions, {f.id: (f, v) for f, v in facts}, router, by_user_id)


def rep_states(session: Session, today: date | None, *, lock: bool = False) -> list[RepState]:
    """The members routing may choose from, with their loads. Deactivated members get
    nothing; a member is away on the days of an out-of-office range. With `lock`, the rows
    are locked while the rotation turns, so two workstations routing at once cannot hand out
    the same round-robin turn (SQLite serialises writers anyway)."""
    query = (
        select(User.id, User.name, User.role, User.available, User.capacity, User.last_assigned_seq)
        .where(User.active.is_not(False))
        .order_by(User.id)
    )
    # FOR NO KEY UPDATE: a teammate's edit of a lead naming a user (updated_by, owner) only
    # needs that user to exist, and must not wait for (or deadlock with) the routing.
    users = session.execute(query.with_for_update(key_share=True) if lock else query).all()
    counts = open_lead_counts(session, [u.id for u in users])
    away = away_today(session, today) if today is not None else set()
    return [
        RepState(
            u.id,
            u.name,
            u.role,
            bool(u.available) and u.id not in away,
            int(u.capacity or 0),
            int(u.last_assigned_seq or 0),
            int(counts.get(u.id, 0)),
        )
        for u in users
    ]


def active_rules(session: Session) -> list[RuleSpec]:
    return [
        RuleSpec(
            r.name,
            r.conditions or {},
            r.target_user_id,
            [int(x) for x in r.target_pool] if r.target_pool else None,
        )
        for r in session.scalars(
            select(RoutingRule)
            .where(RoutingRule.active.is_(True))
            .order_by(RoutingRule.position, RoutingRule.id)
        )
    ]


def round_robin_pool(session: Session) -> list[int] | None:
    """The members chosen for the team-wide round-robin (None: every rep)."""
    row = session.get(Setting, POOL_KEY)
    if row is not None and isinstance(row.value, list) and row.value:
        return [int(x) for x in row.value]
    return None


class Router(RoutingEngine):
    """The routing chain with everything it reads loaded once: users (locked), open-lead
    counts, active rules, territories. `decide` (engine.py) is pure memory work, so the import
    can route each new lead before it is written (no second pass over the rows)."""

    def __init__(self, session: Session, today: date | None = None) -> None:
        super().__init__(
            rep_states(session, today, lock=True),
            active_rules(session),
            territories(session),
            round_robin_pool(session),
        )

    def save_rotation(self, session: Session) -> None:
        """Write the reps' round-robin positions back."""
        seqs = [{"_id": r.id, "_seq": r.seq} for r in self.reps.values()]
        ut = User.__table__
        if seqs:  # an empty parameter list would run the statement once, without values
            session.execute(
                update(ut)  # type: ignore[arg-type]
                .where(ut.c.id == bindparam("_id"))
                .values(last_assigned_seq=bindparam("_seq")),
                seqs,
            )
        for obj in list(session.identity_map.values()):
            if isinstance(obj, User):
                session.expire(obj)


def _write(
    session: Session,
    clock: Clock,
    decisions: list[RoutingDecision],
    facts: dict[int, tuple[RouteFacts, int]],
    router: Router,
    by_user_id: int | None,
) -> list[RoutingDecision]:
    now = clock.now()
    t = Lead.__table__
    written: list[RoutingDecision] = []
    for d in decisions:
        f, version = facts[d.lead_id]
        # Owner changes are edits: checked against the version read, and advanced, like
        # every write to a lead (one statement per lead, as leads.transitions does).
        done = session.execute(
            update(t)  # type: ignore[arg-type]
            .where(t.c.id == d.lead_id, t.c.version == version)
            .values(
                owner_id=d.owner_id,
                first_owner_id=f.first_owner_id if f.first_owner_id is not None else d.owner_id,
                routing_reason=d.reason,
                updated_at=now,
                updated_by_id=by_user_id,
                version=version + 1,
            )
        )
        if getattr(done, "rowcount", 0) == 1:
            written.append(d)
    decisions = written
    router.save_rotation(session)
    for d in decisions:
        if d.previous_owner_id is not None and d.previous_owner_id != d.owner_id:
            audit.record(
                session,
                at=now,
                entity="lead",
                entity_id=d.lead_id,
                action="reassigned",
                user_id=by_user_id,
                data={
                    "text": f"Reassigned to {d.owner or 'manager queue'}",
                    "detail": d.reason,
                    "from": d.previous_owner_id,
                    "to": d.owner_id,
                },
            )
    # Leads that changed hands start their cadence, or move its open steps to the new owner.
    handle_assignments(
        session,
        clock,
        [
            (d.lead_id, d.previous_owner_id, d.owner_id)
            for d in decisions
            if d.owner_id != d.previous_owner_id
        ],
    )
    _expire(session, [d.lead_id for d in decisions])
    for obj in list(session.identity_map.values()):
        if isinstance(obj, User):
            session.expire(obj)
    return decisions


def _expire(session: Session, ids: Sequence[int]) -> None:
    for lid in ids:
        obj = session.identity_map.get(identity_key(Lead, lid))
        if obj is not None:
            session.expire(obj)


def open_lead_counts(session: Session, user_ids: Sequence[int]) -> dict[int, int]:
    """Open leads per user. One indexed count per user on (owner_id, status): a GROUP BY over
    all open leads lets SQLite pick the status index and visit every open row (seconds at a
    million leads); a team is a handful of users."""
    out: dict[int, int] = {}
    for uid in user_ids:
        out[uid] = int(
            session.scalar(
                select(func.count())
                .select_from(Lead)
                .where(Lead.owner_id == uid, Lead.status == LeadStatus.OPEN)
            )
            or 0
        )
    return out


def unassigned_lead_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Lead.id)
            .where(Lead.owner_id.is_(None), Lead.status == LeadStatus.OPEN)
            .order_by(Lead.id)
        )
    )


def assign_leads(
    session: Session,
    clock: Clock,
    lead_ids: Sequence[int],
    owner_id: int | None,
    *,
    by_user_id: int | None = None,
) -> int:
    """A manager hands leads to `owner_id` by hand (no chain). Returns how many changed."""
    owner = session.get(User, owner_id) if owner_id is not None else None
    if owner_id is not None and owner is None:
        raise ValueError(f"There is no user with id {owner_id}.")
    by = session.get(User, by_user_id) if by_user_id is not None else None
    reason = f"Assigned by {by.name}" if by else "Assigned by hand"
    changed = 0
    moved: list[tuple[int, int | None, int | None]] = []
    for lead in session.scalars(select(Lead).where(Lead.id.in_(list(lead_ids)))):
        if lead.owner_id == owner_id:
            continue
        old = lead.owner_id
        lead.owner_id = owner_id
        if lead.first_owner_id is None:
            lead.first_owner_id = owner_id
        if lead.assigned_at is None and owner_id is not None:
            lead.assigned_at, lead.handoff_score = clock.now(), lead.score
        lead.routing_reason = reason
        lead.updated_at = clock.now()
        lead.updated_by_id = by_user_id
        if old is not None:
            audit.record(
                session,
                at=clock.now(),
                entity="lead",
                entity_id=lead.id,
                action="reassigned",
                user_id=by_user_id,
                data={
                    "text": f"Reassigned to {owner.name if owner else 'nobody'}",
                    "detail": reason,
                    "from": old,
                    "to": owner_id,
                },
            )
        moved.append((lead.id, old, owner_id))
        changed += 1
    session.flush()
    # A first owner starts the cadence, a new one takes the open steps; either is told (one
    # summary for a batch).
    handle_assignments(session, clock, moved)
    return changed


def routing_accuracy(session: Session) -> dict[str, Any]:
    """Share of routed leads still with their first owner (routing got it right first time)."""
    routed = int(
        session.scalar(
            select(func.count()).select_from(Lead).where(Lead.first_owner_id.is_not(None))
        )
        or 0
    )
    kept = int(
        session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.first_owner_id.is_not(None), Lead.owner_id == Lead.first_owner_id)
        )
        or 0
    )
    return {
        "routed": routed,
        "kept_first_owner": kept,
        "accuracy": kept / routed if routed else None,
    }


def rep_loads(session: Session) -> list[dict[str, Any]]:
    """Each user's open leads against capacity (the assign menu shows it)."""
    users = list(session.scalars(select(User).order_by(User.id)))
    counts = open_lead_counts(session, [u.id for u in users])
    return [
        {
            "id": u.id,
            "name": u.name,
            "role": u.role,
            "available": u.available,
            "capacity": u.capacity,
            "open_leads": counts[u.id],
        }
        for u in users
    ]


@dataclass(frozen=True)
class ContactResult:
    lead_id: int
    channel: str
    at: str
    first_contact: bool
    minutes_to_first_contact: float | None

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def log_contact(
    session: Session,
    clock: Clock,
    lead_id: int,
    channel: str,
    by_user: int | None = None,
    *,
    note: str | None = None,
) -> ContactResult:
    """A touch done now (call, e-mail, LinkedIn): the first one sets first_contacted_at,
    which stops the first-response countdown; every one updates last_touch_at."""
    if channel not in CHANNELS:
        raise ValueError(f"Unknown channel '{channel}'. Use one of: {', '.join(CHANNELS)}.")
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(f"There is no lead with id {lead_id}.")
    now = clock.now()
    subjects = {"call": "Call", "email": "E-mail", "linkedin": "LinkedIn message"}
    session.add(
        Activity(
            lead_id=lead_id,
            owner_id=by_user if by_user is not None else lead.owner_id,
            type=channel,
            status=ActivityStatus.DONE,
            subject=subjects.get(channel, channel.title()),
            notes=note,
            due_at=now,
            done_at=now,
            outcome="Logged",
            created_at=now,
        )
    )
    first = lead.first_contacted_at is None
    minutes = None
    if first:
        lead.first_contacted_at = now
        if lead.captured_at is not None:
            minutes = (now - lead.captured_at).total_seconds() / 60.0
    lead.last_touch_at = now
    lead.updated_at = now
    lead.updated_by_id = by_user
    session.flush()
    return ContactResult(lead_id, channel, now.isoformat(), first, minutes)
