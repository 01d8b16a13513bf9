"""Routing decisions, the pure part: a lead's routing facts, the rules and the team's state in,
an owner and a reason out. No SQLAlchemy, no Qt: tested without a store.

The chain: the account owner keeps the relationship; else the first matching rule whose
target (one rep, or a pool rotated round-robin) is available with capacity; else round-robin
over the whole team; else the manager's queue. Round-robin fairness is each rep's `seq`: the
eligible rep served longest ago (lowest seq, then lowest id) gets the next lead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NamedTuple

OPEN = "open"  # LeadStatus.OPEN: only open leads count against a rep's capacity
REP = "rep"  # Role.REP: the team pool for round-robin
# A rule's deal-value bounds (amounts, inclusive). A lead without a deal value matches neither.
DEAL_VALUE_CONDITIONS = ("min_deal_value", "max_deal_value")


@dataclass(frozen=True)
class RoutingDecision:
    lead_id: int
    owner_id: int | None
    owner: str | None
    step: str  # account_owner | rule | round_robin | manager_queue
    rule: str | None
    reason: str
    previous_owner_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "owner_id": self.owner_id,
            "owner": self.owner,
            "step": self.step,
            "rule": self.rule,
            "reason": self.reason,
            "previous_owner_id": self.previous_owner_id,
        }


@dataclass
class RepState:
    id: int
    name: str
    role: str
    available: bool
    capacity: int
    seq: int
    open_leads: int

    def eligible(self) -> bool:
        # capacity 0 means "no limit" for managers and owners who take overflow by hand.
        return self.available and (self.capacity <= 0 or self.open_leads < self.capacity)


class RuleSpec(NamedTuple):
    """One active routing rule, in order (a RoutingRule row, or made up in a test)."""

    name: str
    conditions: Mapping[str, Any]
    target_user_id: int | None = None
    target_pool: Sequence[int] | None = None


class RouteFacts(NamedTuple):
    """What routing reads from a lead (stored, or not stored yet: the import builds 100,000s
    of these, and a named tuple is cheap to make)."""

    id: int
    owner_id: int | None
    first_owner_id: int | None
    account_owner_id: int | None
    company: str | None
    country: str | None
    tier: str | None
    source: str | None
    industry: str | None
    headcount: int | None
    product: str | None
    status: str
    # Last, with a default: the import builds these positionally and has no deal value yet.
    deal_value: Decimal | float | None = None


def matches(cond: Mapping[str, Any], lead: Any, territory_of: Mapping[str, str]) -> bool:
    """All present conditions must hold. Lists match case-insensitively; the headcount and
    deal-value bounds are inclusive, and a lead without a deal value meets no deal-value bound."""

    def within(values: Any, actual: Any) -> bool:
        if actual is None:
            return False
        wanted = values if isinstance(values, list) else [values]
        return str(actual).lower() in {str(v).lower() for v in wanted}

    if "country" in cond and not within(cond["country"], lead.country):
        return False
    if "territory" in cond and not within(cond["territory"], territory_of.get(lead.country or "")):
        return False
    if "tier" in cond and not within(cond["tier"], lead.tier):
        return False
    if "source" in cond and not within(cond["source"], lead.source):
        return False
    if "industry" in cond and not within(cond["industry"], lead.industry):
        return False
    if "product" in cond and not within(cond["product"], lead.product):
        return False
    if "min_headcount" in cond and (lead.headcount or 0) < int(cond["min_headcount"]):
        return False
    if "max_headcount" in cond and (
        lead.headcount is None or lead.headcount > int(cond["max_headcount"])
    ):
        return False
    if "min_deal_value" in cond or "max_deal_value" in cond:
        value = getattr(lead, "deal_value", None)
        if value is None:
            return False
        if "min_deal_value" in cond and value < _amount(cond["min_deal_value"]):
            return False
        if "max_deal_value" in cond and value > _amount(cond["max_deal_value"]):
            return False
    return True


def _amount(value: Any) -> Decimal | float | int:
    # Decimal (the store's Numeric) compares exactly with int and float; a number saved as
    # text by hand is read as a Decimal.
    return value if isinstance(value, (int, float, Decimal)) else Decimal(str(value))


def _without_deal_value(cond: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in cond.items() if k not in DEAL_VALUE_CONDITIONS}


class RoutingEngine:
    """The routing chain over the team's state in memory. `decide` routes one lead and
    advances the rotation and the reps' loads, so a batch of leads is routed fairly."""

    def __init__(
        self,
        reps: Iterable[RepState],
        rules: Sequence[RuleSpec],
        territory_of: Mapping[str, str],
        pool: Sequence[int] | None = None,
    ) -> None:
        self.reps = {r.id: r for r in reps}
        # The round-robin pool: the members chosen on the Routing page, else every rep.
        self.team_pool = (
            [i for i in pool if i in self.reps]
            if pool
            else [r.id for r in self.reps.values() if r.role == REP]
        )
        self.seq = max((r.seq for r in self.reps.values()), default=0)
        self.rules = list(rules)
        self.territory_of = dict(territory_of)
        # Rules with a deal-value bound, by position: their other conditions, to tell a lead
        # without a deal value why such a rule passed it by.
        self._deal_free = {
            n: _without_deal_value(rule.conditions or {})
            for n, rule in enumerate(self.rules)
            if any(k in (rule.conditions or {}) for k in DEAL_VALUE_CONDITIONS)
        }

    def next_in(self, pool: Sequence[int]) -> RepState | None:
        reps = self.reps
        candidates = [reps[i] for i in pool if i in reps and reps[i].eligible()]
        if not candidates:
            return None
        return min(candidates, key=lambda r: (r.seq, r.id))

    def decide(self, lead: Any) -> RoutingDecision:
        """Route one lead (a RouteFacts-shaped object) and advance the rotation."""
        reps = self.reps
        decision: RoutingDecision | None = None
        rotated = False  # a round-robin turn was used: advance the rotation
        skipped: list[str] = []
        # 1. The account owner keeps the relationship (capacity does not apply to them).
        if lead.account_owner_id is not None:
            owner = reps.get(lead.account_owner_id)
            if owner is not None and owner.available:
                decision = RoutingDecision(
                    lead.id,
                    owner.id,
                    owner.name,
                    "account_owner",
                    None,
                    f"Account owner of {lead.company or 'the account'}",
                )
            elif owner is not None:
                skipped.append(f"account owner {owner.name} unavailable")
        # 2. Rules, in order; a rule whose reps are all unavailable or full falls through.
        if decision is None:
            for n, rule in enumerate(self.rules):
                if not matches(rule.conditions or {}, lead, self.territory_of):
                    other = self._deal_free.get(n)
                    if (
                        other is not None
                        and getattr(lead, "deal_value", None) is None
                        and matches(other, lead, self.territory_of)
                    ):
                        skipped.append(f"rule {rule.name}: the lead has no deal value")
                    continue
                if rule.target_user_id is not None:
                    rep = reps.get(rule.target_user_id)
                    if rep is not None and rep.eligible():
                        decision = RoutingDecision(
                            lead.id, rep.id, rep.name, "rule", rule.name, f"Rule: {rule.name}"
                        )
                        break
                    if rep is not None:
                        skipped.append(f"rule {rule.name}: {rep.name} {_why_not(rep)}")
                if rule.target_pool:
                    rep = self.next_in([int(x) for x in rule.target_pool])
                    if rep is not None:
                        rotated = True
                        decision = RoutingDecision(
                            lead.id,
                            rep.id,
                            rep.name,
                            "rule",
                            rule.name,
                            f"Rule: {rule.name} (round-robin in pool)",
                        )
                        break
                    skipped.append(f"rule {rule.name}: pool full or away")
        # 3. Round-robin over the whole team.
        if decision is None:
            rep = self.next_in(self.team_pool)
            if rep is not None:
                rotated = True
                decision = RoutingDecision(
                    lead.id, rep.id, rep.name, "round_robin", None, "Round-robin across the team"
                )
        # 4. Nobody can take it: the manager's queue (unassigned, visible to managers).
        if decision is None:
            decision = RoutingDecision(
                lead.id,
                None,
                None,
                "manager_queue",
                None,
                "Manager's queue: no available rep with capacity",
            )
        if skipped or lead.owner_id is not None:  # else the decision is already final
            decision = replace(
                decision,
                reason=f"{decision.reason} (skipped: {'; '.join(skipped)})"
                if skipped
                else decision.reason,
                previous_owner_id=lead.owner_id,
            )
        if decision.owner_id != lead.owner_id and lead.status == OPEN:
            if decision.owner_id in reps:
                reps[decision.owner_id].open_leads += 1
            if lead.owner_id in reps:
                reps[lead.owner_id].open_leads -= 1
        if decision.owner_id is not None:
            rep = reps[decision.owner_id]
            if rotated:
                self.seq += 1
                rep.seq = self.seq
        return decision


def _why_not(rep: RepState) -> str:
    return "unavailable" if not rep.available else "at capacity"
