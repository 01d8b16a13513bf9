"""The pure routing engine, without a store: round-robin stays even, capacity and availability
hold, the chain's order (account owner, rules in order, round-robin, queue), and deal-value
bounds (inclusive; a lead without a deal value meets none, and is told why)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.routing.engine import RepState, RouteFacts, RoutingEngine, RuleSpec, matches


def _lead(i: int, **values: object) -> RouteFacts:
    base: dict[str, object] = dict(
        id=i,
        owner_id=None,
        first_owner_id=None,
        account_owner_id=None,
        company=None,
        country=None,
        tier=None,
        source=None,
        industry=None,
        headcount=None,
        product=None,
        status="open",
    )
    base.update(values)
    return RouteFacts(**base)  # type: ignore[arg-type]


def _rep(i: int, *, seq: int = 0, available: bool = True, capacity: int = 100, load: int = 0,
         role: str = "rep") -> RepState:  # fmt: skip
    return RepState(i, f"Rep {i}", role, available, capacity, seq, load)


@given(
    n=st.integers(0, 200),
    seqs=st.lists(st.integers(0, 50), min_size=1, max_size=8),
    away=st.integers(0, 3),
)
def test_round_robin_stays_even(n: int, seqs: list[int], away: int) -> None:
    reps = [_rep(i + 1, seq=s, capacity=n + 1) for i, s in enumerate(seqs)]
    reps += [_rep(100 + i, available=False) for i in range(away)]
    reps.append(_rep(999, role="manager", capacity=0))  # managers are not in the rotation
    engine = RoutingEngine(reps, [], {})
    decisions = [engine.decide(_lead(i)) for i in range(n)]
    counts = Counter(d.owner_id for d in decisions)
    per_rep = [counts.get(i + 1, 0) for i in range(len(seqs))]
    assert sum(per_rep) == n  # nobody away, no manager, no queue
    assert max(per_rep) - min(per_rep) <= 1
    assert all(d.step == "round_robin" for d in decisions)


@given(
    capacities=st.lists(st.tuples(st.integers(1, 10), st.integers(0, 10)), min_size=1, max_size=6),
    n=st.integers(0, 80),
)
def test_capacity_holds_and_overflow_goes_to_the_managers_queue(
    capacities: list[tuple[int, int]], n: int
) -> None:
    reps = [_rep(i + 1, capacity=c, load=min(load, c)) for i, (c, load) in enumerate(capacities)]
    room = {r.id: r.capacity - r.open_leads for r in reps}
    engine = RoutingEngine(reps, [], {})
    decisions = [engine.decide(_lead(i)) for i in range(n)]
    counts = Counter(d.owner_id for d in decisions if d.owner_id is not None)
    assert all(counts[i] <= room[i] for i in room)
    queued = [d for d in decisions if d.owner_id is None]
    assert len(queued) == max(0, n - sum(room.values()))
    assert all(d.step == "manager_queue" for d in queued)


def test_account_owner_then_rules_in_order_then_round_robin() -> None:
    reps = [_rep(1), _rep(2), _rep(3, available=False), _rep(4, capacity=1, load=1)]
    rules = [
        RuleSpec("Full rep", {"country": ["Germany"]}, target_user_id=4),
        RuleSpec("DACH pool", {"territory": "DACH"}, target_pool=[2]),
    ]
    engine = RoutingEngine(reps, rules, {"Germany": "DACH"})
    kept = engine.decide(_lead(1, account_owner_id=1, company="Acme", country="Germany"))
    assert (kept.owner_id, kept.step, kept.reason) == (1, "account_owner", "Account owner of Acme")
    ruled = engine.decide(_lead(2, country="Germany"))
    assert (ruled.owner_id, ruled.rule) == (2, "DACH pool")
    assert (
        ruled.reason
        == "Rule: DACH pool (round-robin in pool) (skipped: rule Full rep: Rep 4 at capacity)"
    )
    away = engine.decide(_lead(3, account_owner_id=3, company="Away Inc"))
    assert away.step == "round_robin" and away.owner_id in (1, 2)
    assert "account owner Rep 3 unavailable" in away.reason


DEALS = {"min_deal_value": 25_000, "max_deal_value": 100_000}


@pytest.mark.parametrize(
    ("value", "matched"),
    [
        (None, False),  # no deal value: a rule that asks for one never takes the lead
        (Decimal("24999.99"), False),
        (Decimal("25000.00"), True),  # both bounds are inclusive
        (Decimal("60000"), True),
        (Decimal("100000.00"), True),
        (Decimal("100000.01"), False),
        (0, False),
    ],
)
def test_a_deal_value_range_is_inclusive_and_needs_a_deal_value(
    value: Decimal | None, matched: bool
) -> None:
    assert matches(DEALS, _lead(1, deal_value=value), {}) is matched


def test_one_sided_deal_value_bounds_and_amounts_with_cents() -> None:
    assert matches({"min_deal_value": 0}, _lead(1, deal_value=Decimal("0.00")), {})
    assert not matches({"min_deal_value": 0}, _lead(1, deal_value=None), {})
    assert matches({"max_deal_value": 999.5}, _lead(1, deal_value=Decimal("999.50")), {})
    assert not matches({"max_deal_value": 999.5}, _lead(1, deal_value=Decimal("999.51")), {})
    # A lead routed from the import (12 facts, no deal value yet) meets no deal-value bound.
    imported = RouteFacts(
        1, None, None, None, None, "Spain", "High", None, None, None, None, "open"
    )
    assert imported.deal_value is None
    assert not matches({"max_deal_value": 10}, imported, {})
    # Deal value and the other conditions must all hold.
    both = {"country": ["Spain"], "min_deal_value": 1000}
    assert matches(both, _lead(1, country="Spain", deal_value=Decimal(1000)), {})
    assert not matches(both, _lead(1, country="Italy", deal_value=Decimal(1000)), {})


def test_big_deals_go_to_their_rep_and_a_lead_without_a_value_is_told_why() -> None:
    reps = [_rep(1), _rep(2)]
    rules = [
        RuleSpec("Big deals", {"tier": ["Urgent"], "min_deal_value": 50_000}, target_user_id=1),
        RuleSpec("Everyone else", {}, target_user_id=2),
    ]
    engine = RoutingEngine(reps, rules, {})
    big = engine.decide(_lead(1, tier="Urgent", deal_value=Decimal("50000.00")))
    assert (big.owner_id, big.rule, big.reason) == (1, "Big deals", "Rule: Big deals")
    small = engine.decide(_lead(2, tier="Urgent", deal_value=Decimal("49999.99")))
    assert (small.owner_id, small.reason) == (2, "Rule: Everyone else")  # simply not a match
    unknown = engine.decide(_lead(3, tier="Urgent", deal_value=None))
    assert unknown.owner_id == 2
    assert unknown.reason == (
        "Rule: Everyone else (skipped: rule Big deals: the lead has no deal value)"
    )
    # A lead the rule would not take anyway is not told about its deal value.
    low_tier = engine.decide(_lead(4, tier="Low", deal_value=None))
    assert low_tier.reason == "Rule: Everyone else"
