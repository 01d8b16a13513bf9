"""The pure routing engine, without a store: round-robin stays even, capacity and availability
hold, and the chain's order (account owner, rules in order, round-robin, queue)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from app.services.routing.engine import RepState, RouteFacts, RoutingEngine, RuleSpec


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
