"""The timer sweep: every rule that keeps a lead from going cold, in one pass over the store.

`sweep(session, now)` looks at the store as of `now`, decides which alerts are due, fires each
one through a deterministic unique key (services/alerts.fire_alerts: ON CONFLICT DO NOTHING),
and performs a rule's side effect (re-engage, nurture, reopen, reassign) only for the keys this
call actually inserted. So the same `now` twice, or two workstations sweeping one PostgreSQL
store at once, fire and act once. Everything is computed from timestamps, never from counting
ticks, so a sweep after the machine slept catches up in one go.

The rules themselves (sla, stale, missed, reengage, nurture, reopen) are pure functions in
rules.py; this module gathers their facts from the store (SQL pre-filters keep a sweep of
100k leads fast), fires their candidates and applies the actions. The scoring's decay refresh
runs once an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.clock import SettableClock, ensure_utc
from app.models import (
    Activity,
    ActivityStatus,
    Alert,
    CadenceStep,
    EngagementEvent,
    Lead,
    LeadStatus,
    Role,
    Stage,
    StageKind,
    TransitionKind,
    User,
)
from app.services import audit
from app.services.changes import Changes
from app.services.chunks import chunks
from app.services.followups.cadence import (
    REENGAGEMENT,
    REPLY_KINDS,
    cadence_by_name,
    move_open_steps,
    start_cadences,
)
from app.services.followups.settings import FollowupSettings, load_settings
from app.services.leads.transitions import (
    PlannedTransition,
    Transition,
    apply_transitions,
    lead_states,
)
from app.services.reports.journeys import refresh_journeys
from app.services.scoring.core import refresh_decay, rescore_leads
from app.services.timers import rules
from app.services.timers.alerts import existing_keys, fire_alerts
from app.services.timers.windows import response_start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FiredAlert:
    key: str
    kind: str
    lead_id: int | None
    user_id: int | None
    level: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SweepResult:
    now: datetime
    fired: list[FiredAlert] = field(default_factory=list)
    reengaged: list[int] = field(default_factory=list)
    nurtured: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    reassigned: list[dict[str, int]] = field(default_factory=list)
    rescored: int = 0
    decay_refreshed: bool = False
    # Incremental after this moment (None: a full sweep).
    since: datetime | None = None
    # Alerts left unfired because this login may not act on their leads (a rep's).
    held_back: int = 0
    # On a team database: why this workstation did not sweep this round (another one was
    # sweeping, or the team had just swept), and who did. Nothing fired then.
    skipped: str | None = None

    @property
    def full(self) -> bool:
        return self.skipped is None and self.since is None

    def changes(self) -> Changes:
        """What this sweep changed, for the one change broadcast."""
        ids = {*self.reengaged, *self.nurtured, *self.reopened}
        ids.update(r["lead_id"] for r in self.reassigned if "lead_id" in r)
        ids.update(a.lead_id for a in self.fired if a.lead_id is not None)
        return Changes(
            leads=frozenset(ids),
            # Decay and reopened leads move scores and tiers across the board.
            all_leads=self.decay_refreshed or bool(self.reopened or self.nurtured),
            followups=bool(self.reengaged or self.reopened or self.reassigned),
            alerts=bool(self.fired),
        )

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for alert in self.fired:
            out[alert.kind] = out.get(alert.kind, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "fired": [a.to_dict() for a in self.fired],
            "counts": self.counts(),
            "reengaged": self.reengaged,
            "nurtured": self.nurtured,
            "reopened": self.reopened,
            "reassigned": self.reassigned,
            "rescored": self.rescored,
            "decay_refreshed": self.decay_refreshed,
            "since": self.since.isoformat() if self.since else None,
            "full": self.full,
            "held_back": self.held_back,
            "skipped": self.skipped,
        }


# The pure rules (rules.py) decide; this module gathers their facts and applies their actions.
_Candidate = rules.Candidate


class _Ctx:
    def __init__(
        self,
        session: Session,
        now: datetime,
        cfg: FollowupSettings,
        since: datetime | None = None,
    ) -> None:
        self.session = session
        self.now = now
        self.cfg = cfg
        self.since = since if since is not None and since < now else None
        users = session.execute(
            select(
                User.id,
                User.name,
                User.role,
                User.available,
                User.active,
                User.timezone,
                User.work_hours,
            )
        ).all()
        managers = [u for u in users if u.role == Role.MANAGER]
        managers += [u for u in users if u.role == Role.OWNER]
        self.team = rules.TeamFacts(
            names={u.id: u.name for u in users},
            manager_id=managers[0].id if managers else None,
            reps=[u.id for u in users if u.role == Role.REP and u.available and u.active],
        )
        self.manager_id = self.team.manager_id
        # One definition: the settings' windows, each rep in their own time zone and hours.
        self.windows = cfg.response_windows([(u.id, u.timezone, u.work_hours) for u in users])
        self.reps = list(self.team.reps)
        self.loads: dict[int, int] | None = None
        self.lapsed: set[int] | None = None

    def name(self, user_id: int | None) -> str:
        return self.team.name(user_id)


def _alerted_since(kind: str, since: Any) -> Any:
    """SQL: this lead already has a `kind` alert fired at or after `since` (cheap pre-filter;
    the unique key remains the real guard)."""
    return exists().where(Alert.lead_id == Lead.id, Alert.kind == kind, Alert.fired_at >= since)


def _planned_ahead(now: datetime, *, booked_only: bool = False) -> Any:
    """SQL: the lead has a follow-up planned at or after `now` (with `booked_only`, one a
    person booked: a cadence's automatic steps do not count).

    coalesce() on status keeps the (status, due_at) index out of this correlated probe, so
    both stores look it up per lead through (lead_id, due_at) instead of walking every future
    activity for every lead (SQLite picked the status index: 60x slower at 100k leads).
    Likewise for the cadence step: on a PostgreSQL store without statistics, a plain
    `cadence_step_id IS NULL` was ANDed in from the cadence-step index, which holds nearly
    every activity, for every lead (a full sweep of 20,000 leads: 21 s, now tens of ms).
    """
    return exists().where(
        Activity.lead_id == Lead.id,
        func.coalesce(Activity.status, "") == ActivityStatus.PLANNED,
        Activity.due_at >= now,
        *([func.coalesce(Activity.cadence_step_id, -1) == -1] if booked_only else []),
    )


def _open_scan() -> Any:
    """SQL: the lead is open, written so no store walks the status index for it.

    Most leads a sweep scans are open, so a plain table scan is the fast plan; without
    statistics SQLite took `status = 'open'` as selective and went row by row through the
    index (3-4x slower at 100k leads).
    """
    return func.coalesce(Lead.status, "") == LeadStatus.OPEN


def _sla_rules(ctx: _Ctx) -> list[_Candidate]:
    now = ctx.now
    # Never-contacted leads are few, so the tier windows are applied in Python: per-tier
    # captured_at ranges in SQL made SQLite scan the captured_at index once per tier.
    escalated = exists().where(Alert.lead_id == Lead.id, Alert.kind == "sla_escalation")
    rows: Sequence[Any] = ctx.session.execute(
        select(
            Lead.id,
            Lead.display_name,
            Lead.tier,
            Lead.captured_at,
            Lead.owner_id,
            Lead.created_at,
        ).where(
            _open_scan(),
            Lead.first_contacted_at.is_(None),
            or_(Lead.captured_at.is_not(None), Lead.created_at.is_not(None)),
            ~escalated,
        )
    ).all()
    facts = [rules.UncontactedLead(*row) for row in rows]
    return rules.sla_rule(facts, now, ctx.windows, ctx.team)


def _lapsed(ctx: _Ctx) -> set[int]:
    """Leads whose planned follow-up fell due in [since, now): they may have nothing ahead."""
    if ctx.lapsed is None:
        ctx.lapsed = set(
            ctx.session.scalars(
                select(Activity.lead_id).where(
                    Activity.status == ActivityStatus.PLANNED,
                    Activity.due_at >= ctx.since,
                    Activity.due_at < ctx.now,
                )
            )
        )
    return ctx.lapsed


def _in_chunks(session: Session, query: Any, ids: list[int]) -> list[Any]:
    rows: list[Any] = []
    for chunk in chunks(ids, 500):
        rows += session.execute(query.where(Lead.id.in_(chunk))).all()
    return rows


def _stale_rule(ctx: _Ctx) -> list[_Candidate]:
    stages = ctx.session.execute(
        select(Stage.id, Stage.name, Stage.stale_hours).where(
            Stage.kind == StageKind.OPEN, Stage.stale_hours.is_not(None)
        )
    ).all()
    if not stages:
        return []
    names = {s.id: s.name for s in stages}
    # One CASE of per-stage thresholds rather than an OR of (stage, threshold) pairs: the OR
    # sent SQLite through the stage index once per stage, row by row, for nearly every lead.
    threshold = case(
        *[(Lead.stage_id == s.id, ctx.now - timedelta(hours=s.stale_hours)) for s in stages],
        else_=None,
    )
    query = select(
        Lead.id, Lead.display_name, Lead.stage_id, Lead.stage_entered_at, Lead.owner_id
    ).where(
        _open_scan(),
        Lead.stage_entered_at <= threshold,
        # A cadence's planned steps nobody confirmed do not hide a lead sitting in a stage.
        ~_planned_ahead(ctx.now, booked_only=True),
        ~_alerted_since("stale", Lead.stage_entered_at),
    )
    if ctx.since is None:
        rows: Sequence[Any] = ctx.session.execute(query).all()
    else:
        # Only what can have turned stale since the last sweep: the stage threshold passed
        # in (since, now] (narrow ranges on the (stage_id, stage_entered_at) index), or a
        # planned follow-up fell due in [since, now).
        crossed = or_(
            *[
                and_(
                    Lead.stage_id == s.id,
                    Lead.stage_entered_at > ctx.since - timedelta(hours=s.stale_hours),
                    Lead.stage_entered_at <= ctx.now - timedelta(hours=s.stale_hours),
                )
                for s in stages
            ]
        )
        ids = set(ctx.session.scalars(select(Lead.id).where(crossed))) | _lapsed(ctx)
        rows = _in_chunks(ctx.session, query, sorted(ids))
    hours = {s.id: s.stale_hours for s in stages}
    facts = [
        rules.StageStay(lead_id, name, names[stage_id], hours[stage_id], entered, owner)
        for lead_id, name, stage_id, entered, owner in rows
    ]
    return rules.stale_rule(facts, ctx.now, ctx.team)


def _missed_rule(ctx: _Ctx) -> list[_Candidate]:
    cfg, now = ctx.cfg, ctx.now
    n = max(cfg.missed_escalation_count, 1)
    cutoff = now - timedelta(hours=cfg.missed_window_hours)
    # Overdue planned follow-ups come from the (status, due_at) index; the n-th per lead is
    # picked here (a window function over all activities walked the whole lead index).
    query = select(Activity.lead_id, Activity.id, Activity.due_at).where(
        Activity.status == ActivityStatus.PLANNED, Activity.due_at <= cutoff
    )
    if ctx.since is None:
        overdue: Sequence[Any] = ctx.session.execute(query).all()
    else:
        # Incremental: only leads with a follow-up whose window ran out in (since, now].
        window = timedelta(hours=cfg.missed_window_hours)
        newly = sorted(
            set(
                ctx.session.scalars(
                    select(Activity.lead_id).where(
                        Activity.status == ActivityStatus.PLANNED,
                        Activity.due_at > ctx.since - window,
                        Activity.due_at <= cutoff,
                    )
                )
            )
        )
        overdue = []
        for i in range(0, len(newly), 500):
            overdue += ctx.session.execute(
                query.where(Activity.lead_id.in_(newly[i : i + 500]))
            ).all()
    nth = rules.nth_missed(
        (rules.OverdueStep(lead_id, activity_id, due) for lead_id, activity_id, due in overdue),
        now,
        cfg.missed_window_hours,
        n,
    )
    leads: dict[int, tuple[str, int | None]] = {}
    lead_ids = sorted(nth)
    for i in range(0, len(lead_ids), 1000):
        for lead_id, name, owner in ctx.session.execute(
            select(Lead.id, Lead.display_name, Lead.owner_id).where(
                Lead.id.in_(lead_ids[i : i + 1000]), Lead.status == LeadStatus.OPEN
            )
        ):
            leads[lead_id] = (name, owner)
    reassign = cfg.missed_escalation_action == "reassign"
    return rules.missed_rule(
        nth,
        leads,
        n,
        ctx.team,
        reassign_to=(lambda owner: _reassign_target(ctx, owner)) if reassign else None,
    )


def _reassign_target(ctx: _Ctx, owner: int | None) -> int | None:
    """The available rep (not the current owner) with the fewest open leads."""
    if ctx.loads is None:
        rows: Sequence[Any] = ctx.session.execute(
            select(Lead.owner_id, func.count())
            .where(Lead.status == LeadStatus.OPEN, Lead.owner_id.is_not(None))
            .group_by(Lead.owner_id)
        ).all()
        ctx.loads = {owner: count for owner, count in rows}
    return rules.reassign_target(ctx.reps, ctx.loads, owner)


def _dormant_rule(ctx: _Ctx) -> list[_Candidate]:
    days = ctx.cfg.dormant_days
    touch = func.coalesce(Lead.last_touch_at, Lead.captured_at)
    query = select(Lead.id, Lead.display_name, touch, Lead.owner_id).where(
        _open_scan(),
        Lead.owner_id.is_not(None),
        touch <= ctx.now - timedelta(days=days),
        ~_planned_ahead(ctx.now),
        ~_alerted_since("reengage", touch),
    )
    if ctx.since is None:
        rows: Sequence[Any] = ctx.session.execute(query).all()
    else:
        # Incremental: the last touch (or capture) turned `days` old in (since, now], or
        # the lead's last planned follow-up fell due since the last sweep.
        lo, hi = ctx.since - timedelta(days=days), ctx.now - timedelta(days=days)
        aged = or_(
            and_(Lead.last_touch_at > lo, Lead.last_touch_at <= hi),
            and_(Lead.last_touch_at.is_(None), Lead.captured_at > lo, Lead.captured_at <= hi),
        )
        ids = set(ctx.session.scalars(select(Lead.id).where(aged))) | _lapsed(ctx)
        rows = _in_chunks(ctx.session, query, sorted(ids))
    facts = [rules.QuietLead(*row) for row in rows]
    return rules.dormant_rule(facts, ctx.now, days)


def _nurture_rule(ctx: _Ctx) -> list[_Candidate]:
    session, now = ctx.session, ctx.now
    last = (
        select(CadenceStep.cadence_id, func.max(CadenceStep.position).label("pos"))
        .group_by(CadenceStep.cadence_id)
        .subquery()
    )
    final_ids = list(
        session.scalars(
            select(CadenceStep.id).join(
                last,
                and_(
                    last.c.cadence_id == CadenceStep.cadence_id,
                    last.c.pos == CadenceStep.position,
                ),
            )
        )
    )
    if not final_ids:
        return []
    # First the finished last steps, through the cadence_step index (few rows), then the
    # per-lead conditions for those only.
    # Status and due date are checked here, not in SQL: given them, SQLite preferred the
    # (status, due_at) index, which covers nearly every activity.
    finished = [
        activity_id
        for activity_id, status, due in session.execute(
            select(Activity.id, Activity.status, Activity.due_at).where(
                Activity.cadence_step_id.in_(final_ids)
            )
        )
        if rules.finished(status, due, now, ctx.cfg.nurture_grace_days)
    ]
    if not finished:
        return []
    other = aliased(Activity)
    replied = exists().where(
        EngagementEvent.lead_id == Activity.lead_id,
        EngagementEvent.kind.in_(REPLY_KINDS),
        EngagementEvent.at >= Activity.created_at,
    )
    booked = exists().where(
        other.lead_id == Activity.lead_id,
        func.coalesce(other.status, "") == ActivityStatus.PLANNED,
        other.due_at >= now,
    )
    done = aliased(Activity)
    worked = exists().where(
        done.lead_id == Activity.lead_id,
        done.status == ActivityStatus.DONE,
        done.cadence_step_id.is_not(None),
        done.created_at >= Activity.created_at,
    )
    rows: list[Any] = []
    for i in range(0, len(finished), 1000):
        rows += session.execute(
            select(
                Activity.id,
                Activity.lead_id,
                Lead.display_name,
                Lead.owner_id,
                Activity.status,
                Activity.due_at,
                worked,
            )
            .join(Lead, Lead.id == Activity.lead_id)
            .where(
                Activity.id.in_(finished[i : i + 1000]),
                Lead.status == LeadStatus.OPEN,
                ~replied,
                ~booked,
                ~_alerted_since("nurture", Activity.created_at),
                ~_alerted_since("missed_cadence", Activity.created_at),
            )
        ).all()
    facts = [rules.FinalStep(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]
    return rules.nurture_rule(facts, now, ctx.cfg.nurture_grace_days, ctx.team)


def _revisit_rule(ctx: _Ctx) -> list[_Candidate]:
    rows: Sequence[Any] = ctx.session.execute(
        select(Lead.id, Lead.display_name, Lead.status, Lead.revisit_at, Lead.owner_id).where(
            Lead.status.in_(rules.REOPENABLE_STATUSES),
            Lead.revisit_at.is_not(None),
            Lead.revisit_at <= ctx.now,
        )
    ).all()
    facts = [rules.ParkedLead(*row) for row in rows]
    return rules.revisit_rule(facts, ctx.now, ctx.team)


def _qualify_rule(ctx: _Ctx) -> list[_Candidate]:
    """Leads still in a pipeline's first stage whose window ended (full sweeps only)."""
    if ctx.since is not None:
        return []
    from app.services.pipeline.gates import evaluate_criterion, facts_for_rows
    from app.services.pipeline.stages import list_stages

    firsts = _first_open_stages(ctx.session)
    stages = {
        s.id: s
        for pipeline_id in firsts
        for s in list_stages(ctx.session, pipeline_id)
        if s.id == firsts[pipeline_id]
    }
    if not stages:
        return []
    rows: list[Any] = list(
        ctx.session.execute(
            # Every column a gate may ask about; not the raw import row (large, never asked).
            select(*[c for c in Lead.__table__.columns if c.key != "raw_row"]).where(
                _open_scan(),
                Lead.stage_id.in_(list(stages)),
                ~_alerted_since("offer_nurture", Lead.stage_entered_at),
            )
        )
        .mappings()
        .all()
    )
    windows = ctx.windows
    facts: dict[int, Any] = {}
    for part in chunks(rows, 500):  # the activities of 500 leads per query
        facts.update(facts_for_rows(ctx.session, part, ctx.now))
    leads = []
    for row in rows:
        stage = stages[row["stage_id"]]
        start = response_start(row["captured_at"], row["created_at"])
        if start is None:
            continue
        due = windows.due(start, row["tier"], row["owner_id"]) or start + timedelta(
            hours=stage.stale_hours or 24
        )
        missing: list[str] = []
        for criterion in stage.criteria:
            if criterion["kind"] != "n_of_m":
                continue
            gap = evaluate_criterion(stage, criterion, facts[row["id"]])
            if gap is not None:
                missing += [c.label for c in gap.children]
        qualifiers = row["qualifiers"] or {}
        details = row["details"] or {}
        timing = str(qualifiers.get("timeframe") or details.get("timeline") or "").strip()
        stated = bool(timing) and timing.lower() not in NO_TIMING
        leads.append(
            rules.NewLead(row["id"], row["display_name"], row["owner_id"], due, missing, stated)
        )
    return rules.qualification_rule(leads, ctx.now, ctx.team)


# Answers that state no timing at all.
NO_TIMING = ("no timeline", "none", "unknown", "n/a", "-")


RULES: list[Callable[[_Ctx], list[_Candidate]]] = [
    _sla_rules,
    _stale_rule,
    _missed_rule,
    _dormant_rule,
    _nurture_rule,
    _revisit_rule,
    _qualify_rule,
]


def sweep(
    session: Session,
    now: datetime,
    *,
    settings: FollowupSettings | None = None,
    since: datetime | None = None,
    acts_for: int | None = None,
) -> SweepResult:
    """Run every timer rule as of `now`; returns what fired. The caller commits.

    `acts_for` (a rep's user id, on a team database where the server restricts their login)
    keeps the actions to the leads that login may change.

    `since` (the previous sweep's `now`) makes the stale rule incremental: it then only looks
    at leads whose threshold, or whose last planned follow-up, fell in (since, now]. A stale
    lead made so by an edit (a follow-up cancelled early) waits for the next full sweep
    (`since` None), which the timer thread runs every few minutes. On a team database
    `since` is the team's previous sweep, on whichever workstation (timers/team.py).
    """
    now = ensure_utc(now)
    ctx = _Ctx(
        session, now, settings or load_settings(session), ensure_utc(since) if since else None
    )
    candidates = rules.unique(cand for rule in RULES for cand in rule(ctx))
    fresh = rules.fresh(candidates, existing_keys(session, list(candidates)))
    held_back = 0
    if acts_for is not None:
        reachable = _within_reach(session, fresh, acts_for)
        held_back = len(fresh) - len(reachable)
        fresh = reachable
    inserted = fire_alerts(
        session,
        [
            {
                "key": c.key,
                "kind": c.kind,
                "lead_id": c.lead_id,
                "user_id": c.user_id,
                "level": c.level,
                "message": c.message,
                "fired_at": now,
            }
            for c in fresh
        ],
    )
    won = sorted((c for c in fresh if c.key in inserted), key=lambda c: c.key)
    result = SweepResult(now=now, since=ctx.since, held_back=held_back)
    result.fired = [
        FiredAlert(c.key, c.kind, c.lead_id, c.user_id, c.level, c.message) for c in won
    ]
    by_action = rules.by_action(won)
    if "reassign" in by_action:
        result.reassigned = _reassign(ctx, by_action["reassign"])
    if "nurture" in by_action:
        result.nurtured = _to_nurture(ctx, [c.lead_id for c in by_action["nurture"] if c.lead_id])
    if "reopen" in by_action:
        result.reopened = _reopen(ctx, [c.lead_id for c in by_action["reopen"] if c.lead_id])
        result.rescored = _rescore(session, now, result.reopened)
    if "reengage" in by_action:
        cadence = cadence_by_name(session, REENGAGEMENT)
        if cadence is not None:
            ids = [c.lead_id for c in by_action["reengage"] if c.lead_id]
            runs = start_cadences(session, now, ids, cadence_id=cadence.id)
            result.reengaged = sorted(r.lead_id for r in runs)
    # The hourly decay marker was already claimed or seen by this workstation's previous sweep
    # when that one ran in the same hour: an incremental sweep skips the round trip.
    same_hour = since is not None and _hour(ensure_utc(since)) == _hour(now)
    result.decay_refreshed = False if same_hour else _decay(session, now)
    session.flush()
    # Keep the Reports' per-lead facts current between dashboards (changed leads only).
    refresh_journeys(session, allow_full=False)
    return result


def _within_reach(session: Session, cands: list[_Candidate], user_id: int) -> list[_Candidate]:
    """A rep's workstation on a team database acts (reassign, nurture, reopen, re-engage)
    only on leads its login may change, their own or unassigned ones: the server refuses the
    rest, which the owner's workstation or a manager's (or `timers sweep` as the admin) does.
    Those candidates are left unfired, so that sweep still fires them."""
    ids = [c.lead_id for c in cands if c.action and c.lead_id is not None]
    owners: dict[int, int | None] = {}
    for part in range(0, len(ids), 5000):
        chunk = ids[part : part + 5000]
        owners.update(
            {
                i: o
                for i, o in session.execute(
                    select(Lead.id, Lead.owner_id).where(Lead.id.in_(chunk))
                )
            }
        )
    return [
        c
        for c in cands
        if not c.action or c.lead_id is None or owners.get(c.lead_id) in (None, user_id)
    ]


def _bump(lead_ids: list[int], now: datetime, **values: Any) -> Any:
    # Core updates for speed; the version column moves like the ORM would move it, so another
    # workstation holding the lead sees a conflict instead of overwriting.
    return (
        update(Lead)
        .where(Lead.id.in_(lead_ids))
        .values(version=Lead.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )


def _reassign(ctx: _Ctx, cands: list[_Candidate]) -> list[dict[str, int]]:
    out = []
    for c in cands:
        assert c.lead_id is not None
        old, new = c.data["from"], c.data["to"]
        ctx.session.execute(_bump([c.lead_id], ctx.now, owner_id=new))
        move_open_steps(ctx.session, c.lead_id, new)
        audit.record(
            ctx.session,
            at=ctx.now,
            entity="lead",
            entity_id=c.lead_id,
            action="reassigned",
            data={"from": old, "to": new, "reason": "missed_followups"},
        )
        out.append({"lead_id": c.lead_id, "from": old, "to": new})
    return out


def _exit_stages(session: Session) -> dict[tuple[int, str], int]:
    rows: Sequence[Any] = session.execute(
        select(Stage.pipeline_id, Stage.exit_status, Stage.id).where(Stage.exit_status.is_not(None))
    ).all()
    return {(p, s): i for p, s, i in rows}


def _first_open_stages(session: Session) -> dict[int, int]:
    rows: Sequence[Any] = session.execute(
        select(Stage.pipeline_id, Stage.id)
        .where(Stage.kind == StageKind.OPEN)
        .order_by(Stage.pipeline_id, Stage.position)
    ).all()
    first: dict[int, int] = {}
    for pipeline_id, stage_id in rows:
        first.setdefault(pipeline_id, stage_id)
    return first


def _lead_stages(session: Session, lead_ids: list[int]) -> list[tuple[int, int | None, int | None]]:
    return [
        tuple(r)  # type: ignore[misc]
        for r in session.execute(
            select(Lead.id, Lead.pipeline_id, Lead.stage_id).where(Lead.id.in_(lead_ids))
        ).all()
    ]


def _default_pipeline_id(session: Session) -> int | None:
    from app.services.pipeline.stages import default_pipeline

    pipeline = default_pipeline(session)
    return pipeline.id if pipeline else None


def _to_nurture(ctx: _Ctx, lead_ids: list[int]) -> list[int]:
    session, now = ctx.session, ctx.now
    exits = _exit_stages(session)
    default_pid = _default_pipeline_id(session)
    revisit = now + timedelta(days=ctx.cfg.nurture_revisit_days)
    planned = [
        PlannedTransition(
            state,
            Transition(
                exits.get((state.pipeline_id or default_pid or 0, LeadStatus.NURTURE)),
                LeadStatus.NURTURE,
                TransitionKind.EXIT,
                reason_code="went_cold",
                note="No reply after the cadence (timer sweep)",
                disqualify_reason="went_cold",
                revisit_at=revisit,
            ),
        )
        for state in lead_states(session, lead_ids)
    ]
    # A lead someone changed since the sweep read it is left for the next sweep.
    # The move itself stops the cadence's open steps (transitions.follow_status_changes).
    moved = apply_transitions(session, planned, now=now, by_user_id=None).applied
    return sorted(moved)


def _reopen(ctx: _Ctx, lead_ids: list[int]) -> list[int]:
    session, now = ctx.session, ctx.now
    first = _first_open_stages(session)
    default_pid = _default_pipeline_id(session)
    planned = []
    for state in lead_states(session, lead_ids):
        pid = state.pipeline_id or default_pid
        planned.append(
            PlannedTransition(
                state,
                Transition(
                    first.get(pid or 0),
                    LeadStatus.OPEN,
                    TransitionKind.REOPEN,
                    reason_code="revisit",
                    note="Revisit date reached (timer sweep)",
                    disqualify_reason=None,
                    revisit_at=None,
                    pipeline_id=pid,
                ),
            )
        )
    # A reopened lead is worked again: the move starts its recycle sequence for its owner.
    reopened = apply_transitions(session, planned, now=now, by_user_id=None).applied
    return sorted(reopened)


def _rescore(session: Session, now: datetime, lead_ids: list[int]) -> int:
    if not lead_ids:
        return 0
    rescore_leads(session, SettableClock(now), lead_ids)
    return len(lead_ids)


def _hour(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


def _decay(session: Session, now: datetime) -> bool:
    """Once per hour across all workstations (an hourly marker key), refresh score decay.

    Old engagement fades: open leads are rescored as of `now`, so tiers, countdowns and
    reports follow decay even when nothing else touches the leads (and on a headless store).
    """
    marker = f"decay:{_hour(now)}"
    if not fire_alerts(
        session,
        [
            {
                "key": marker,
                "kind": "decay",
                "lead_id": None,
                "user_id": None,
                "level": "info",
                "message": "Score decay refreshed",
                "fired_at": now,
            }
        ],
    ):
        return False
    refresh_decay(session, now)
    return True


__all__ = ["RULES", "FiredAlert", "SweepResult", "sweep"]
