"""The timer rules as pure functions: plain facts and `now` in, alert candidates out.

No SQLAlchemy and no Qt here. The sweep (sweep.py) gathers the facts from the store (with
pre-filters for speed), asks these rules what is due, fires each candidate's alert once through
its deterministic key, and applies the action of the ones it fired.

Rules
- sla: open lead never contacted past its tier's first-response window (windows.py: from when
  it entered Leadgate) -> owner; sla_escalation: still not contacted after a second window ->
  manager. Low leads have no window (automated nurture).
- stale: open lead in its stage longer than the stage's stale_hours (New 24 h, mid-funnel 48 h
  by default), nothing booked ahead (a cadence's automatic steps do not count).
- missed: N planned follow-ups overdue by more than the missed window -> manager (or the lead
  is reassigned to the least-loaded available rep, when settings say so).
- reengage: no touch for `dormant_days` and nothing planned -> re-engagement cadence.
- nurture: a worked cadence's last step came and went with no reply -> nurture (went cold);
  nobody worked it -> missed_cadence escalation to the manager.
- offer_nurture: a lead in the first stage that fails 3 of 4 fit signals, or states no
  timing, by the end of its window -> offered to nurture (one click).
- reopen: lost/disqualified/nurture lead whose revisit date arrived -> back into the pipeline
  (its recycle sequence starts: transitions.follow_status_changes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.services.timers.windows import ResponseWindows, response_start

# Statuses of a cadence's last step that count as "the cadence came and went".
FINISHED_STEP_STATUSES = ("planned", "done", "skipped")
REOPENABLE_STATUSES = ("disqualified", "nurture", "lost")


@dataclass
class Candidate:
    """An alert a rule wants fired (at most once: `key` is unique in the store)."""

    key: str
    kind: str
    lead_id: int | None
    user_id: int | None
    level: str
    message: str
    action: str | None = None  # reengage / nurture / reopen / reassign
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamFacts:
    names: Mapping[int, str]
    manager_id: int | None  # who escalations go to (the first manager, else the owner)
    reps: Sequence[int]  # available reps, for reassignment

    def name(self, user_id: int | None) -> str:
        return self.names.get(user_id, "nobody") if user_id else "nobody"


def iso(value: datetime) -> str:
    """An instant as it appears in alert keys (UTC, to the second)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def span(delta: timedelta) -> str:
    """A duration as people say it: 12 min, 3 h 5 min, 30 h, 4 days."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes and hours < 10 else f"{hours} h"
    return f"{hours // 24} days"


# -- sla ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncontactedLead:
    """An open lead never contacted (and not escalated yet)."""

    lead_id: int
    name: str
    tier: str | None
    captured_at: datetime | None
    owner_id: int | None
    created_at: datetime | None = None  # when it entered Leadgate: the response clock starts


def sla_rule(
    leads: Iterable[UncontactedLead],
    now: datetime,
    windows: ResponseWindows,
    team: TeamFacts,
) -> list[Candidate]:
    out = []
    for lead in leads:
        start = response_start(lead.captured_at, lead.created_at)
        due = windows.due(start, lead.tier, lead.owner_id)
        if start is None or due is None or due > now:
            continue
        tier_word = lead.tier or "Unscored"
        waited = span(now - start)
        out.append(
            Candidate(
                f"sla:{lead.lead_id}:{iso(due)}",
                "sla",
                lead.lead_id,
                lead.owner_id or team.manager_id,
                "warning",
                f"First response overdue: {lead.name} ({tier_word}) has waited {waited} "
                f"without contact; the {tier_word} window is {windows.describe(lead.tier)}.",
            )
        )
        second = windows.escalation_due(start, lead.tier, lead.owner_id)
        if second is not None and second <= now:
            out.append(
                Candidate(
                    f"sla_escalation:{lead.lead_id}:{iso(second)}",
                    "sla_escalation",
                    lead.lead_id,
                    team.manager_id,
                    "danger",
                    f"Escalation: {lead.name} ({tier_word}) still not contacted after "
                    f"{waited}; owner {team.name(lead.owner_id)}.",
                )
            )
    return out


# -- stale -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageStay:
    """An open lead in a stage that goes stale, with nothing planned from now on."""

    lead_id: int
    name: str
    stage: str
    stale_hours: float
    entered_at: datetime
    owner_id: int | None
    planned_ahead: bool = False


def stale_rule(leads: Iterable[StageStay], now: datetime, team: TeamFacts) -> list[Candidate]:
    return [
        Candidate(
            f"stale:{lead.lead_id}:{iso(lead.entered_at)}",
            "stale",
            lead.lead_id,
            lead.owner_id or team.manager_id,
            "warning",
            f"{lead.name} has sat in {lead.stage} for {span(now - lead.entered_at)} with "
            "nothing booked by a rep.",
        )
        for lead in leads
        if not lead.planned_ahead and lead.entered_at + timedelta(hours=lead.stale_hours) <= now
    ]


# -- missed ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueStep:
    """A planned follow-up of an open lead, with its due time."""

    lead_id: int
    activity_id: int
    due_at: datetime


def nth_missed(
    steps: Iterable[OverdueStep], now: datetime, window_hours: float, count: int
) -> dict[int, int]:
    """Per lead with at least `count` follow-ups missed (overdue by more than the window): the
    `count`-th missed one (by due time), whose id makes the alert key."""
    n = max(count, 1)
    cutoff = now - timedelta(hours=window_hours)
    per_lead: dict[int, list[tuple[datetime, int]]] = {}
    for step in steps:
        if step.due_at <= cutoff:
            per_lead.setdefault(step.lead_id, []).append((step.due_at, step.activity_id))
    return {lead: sorted(items)[n - 1][1] for lead, items in per_lead.items() if len(items) >= n}


def reassign_target(reps: Sequence[int], loads: dict[int, int], owner: int | None) -> int | None:
    """The available rep (not the current owner) with the fewest open leads; counts the lead
    in `loads` so a batch of reassignments spreads."""
    choices = [r for r in reps if r != owner]
    if not choices:
        return None
    target = min(choices, key=lambda r: (loads.get(r, 0), r))
    loads[target] = loads.get(target, 0) + 1
    return target


def missed_rule(
    nth: Mapping[int, int],
    leads: Mapping[int, tuple[str, int | None]],
    count: int,
    team: TeamFacts,
    *,
    reassign_to: Callable[[int | None], int | None] | None = None,
) -> list[Candidate]:
    """`nth` from nth_missed; `leads` the open ones among them: id -> (name, owner).

    With `reassign_to` (settings say "reassign"), each lead goes to the rep it picks.
    """
    n = max(count, 1)
    out = []
    for lead_id in sorted(nth):
        if lead_id not in leads:
            continue
        name, owner = leads[lead_id]
        target = reassign_to(owner) if reassign_to is not None else None
        message = f"{name}: {n} follow-ups missed by {team.name(owner)}."
        if target is not None:
            message += f" Reassigned to {team.name(target)}."
        out.append(
            Candidate(
                f"missed:{lead_id}:{nth[lead_id]}",
                "missed",
                lead_id,
                team.manager_id,
                "danger",
                message,
                action="reassign" if target is not None else None,
                data={"from": owner, "to": target},
            )
        )
    return out


# -- dormant -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuietLead:
    """An open, owned lead and its last touch (or capture), with nothing planned ahead."""

    lead_id: int
    name: str
    touched_at: datetime
    owner_id: int | None
    planned_ahead: bool = False


def dormant_rule(leads: Iterable[QuietLead], now: datetime, days: int) -> list[Candidate]:
    return [
        Candidate(
            f"reengage:{lead.lead_id}:{iso(lead.touched_at)}",
            "reengage",
            lead.lead_id,
            lead.owner_id,
            "info",
            f"{lead.name}: no touch for {span(now - lead.touched_at)}; re-engagement cadence "
            "started.",
            action="reengage",
        )
        for lead in leads
        if lead.owner_id is not None
        and not lead.planned_ahead
        and lead.touched_at <= now - timedelta(days=days)
    ]


# -- nurture -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalStep:
    """The last step of a lead's cadence (the lead open, no reply since, nothing booked)."""

    activity_id: int
    lead_id: int
    name: str
    owner_id: int | None
    status: str
    due_at: datetime | None
    worked: bool = True  # a rep did at least one of the cadence's steps


def finished(step_status: str, due_at: datetime | None, now: datetime, grace_days: float) -> bool:
    """Whether a cadence's last step came and went more than the grace period ago."""
    return (
        step_status in FINISHED_STEP_STATUSES
        and due_at is not None
        and due_at <= now - timedelta(days=grace_days)
    )


def nurture_rule(
    steps: Iterable[FinalStep], now: datetime, grace_days: float, team: TeamFacts | None = None
) -> list[Candidate]:
    """A worked cadence that ended with no reply goes to nurture (went cold); one nobody
    worked is a missed cadence: the manager hears of it and the lead stays."""
    out = []
    for step in steps:
        if not finished(step.status, step.due_at, now, grace_days):
            continue
        if step.worked:
            out.append(
                Candidate(
                    f"nurture:{step.lead_id}:{step.activity_id}",
                    "nurture",
                    step.lead_id,
                    step.owner_id,
                    "info",
                    f"{step.name}: no reply after the cadence ended; moved to Nurture.",
                    action="nurture",
                )
            )
            continue
        owner = team.name(step.owner_id) if team else "its owner"
        out.append(
            Candidate(
                f"missed_cadence:{step.lead_id}:{step.activity_id}",
                "missed_cadence",
                step.lead_id,
                team.manager_id if team else step.owner_id,
                "danger",
                f"{step.name}: the cadence ended with none of its steps worked by {owner}; "
                "not moved to nurture.",
            )
        )
    return out


# -- qualification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewLead:
    """An open lead still in the first stage, with what its qualification lacks."""

    lead_id: int
    name: str
    owner_id: int | None
    due: datetime  # the end of its window: first response due, else the stage's stale limit
    missing_fit: Sequence[str]  # the fit signals it fails (when it fails the n-of-m gate)
    timing_stated: bool


def qualification_rule(leads: Iterable[NewLead], now: datetime, team: TeamFacts) -> list[Candidate]:
    """A lead that, by the end of its window, fails the fit signals (3 of 4) or states no
    timing is offered to nurture (one click, `leads.api.nurture_lead`), not left in New."""
    out = []
    for lead in leads:
        if lead.due > now or (not lead.missing_fit and lead.timing_stated):
            continue
        why = []
        if lead.missing_fit:
            why.append("fails the fit signals (" + "; ".join(lead.missing_fit) + ")")
        if not lead.timing_stated:
            why.append("states no timing")
        reason = "no_fit" if lead.missing_fit else "no_timing"
        out.append(
            Candidate(
                # The reason rides in the key: the alert's one-click "Move to Nurture" uses it.
                f"offer_nurture:{lead.lead_id}:{iso(lead.due)}:{reason}",
                "offer_nurture",
                lead.lead_id,
                lead.owner_id or team.manager_id,
                "info",
                f"{lead.name} {' and '.join(why)}: offer it to nurture.",
                data={"reason": reason},
            )
        )
    return out


# -- revisit -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParkedLead:
    """A disqualified or nurtured lead with a revisit date."""

    lead_id: int
    name: str
    status: str
    revisit_at: datetime
    owner_id: int | None


def revisit_rule(leads: Iterable[ParkedLead], now: datetime, team: TeamFacts) -> list[Candidate]:
    return [
        Candidate(
            f"reopen:{lead.lead_id}:{iso(lead.revisit_at)}",
            "reopen",
            lead.lead_id,
            lead.owner_id or team.manager_id,
            "info",
            f"{lead.name}: revisit date reached; reopened from {lead.status} into the pipeline.",
            action="reopen",
        )
        for lead in leads
        if lead.status in REOPENABLE_STATUSES and lead.revisit_at <= now
    ]


# -- firing ------------------------------------------------------------------------------------


def unique(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """One candidate per key (the first rule to name a key wins)."""
    out: dict[str, Candidate] = {}
    for cand in candidates:
        out.setdefault(cand.key, cand)
    return out


def fresh(candidates: Mapping[str, Candidate], fired_keys: Iterable[str]) -> list[Candidate]:
    """The candidates whose alert has not fired yet (their key is not in the store)."""
    known = set(fired_keys)
    return [c for key, c in candidates.items() if key not in known]


def by_action(won: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    """The fired candidates that carry an action, grouped by it."""
    out: dict[str, list[Candidate]] = {}
    for cand in won:
        if cand.action:
            out.setdefault(cand.action, []).append(cand)
    return out
