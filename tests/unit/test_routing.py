"""Routing on both stores: the chain, capacity, availability and round-robin fairness."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Activity, AuditEvent, Lead, LeadStatus, RoutingRule, User
from app.services.leads import hooks as lead_hooks
from app.services.routing import core as routing
from app.store.db import Store, unit_of_work
from tests.helpers.inbox_data import add_account, add_lead, add_user


def _new_leads(store: Store, clock: SettableClock, n: int, **values: object) -> list[int]:
    with unit_of_work(store.session_factory) as s:
        return [add_lead(s, clock.now(), **values).id for _ in range(n)]


def _route(store: Store, clock: SettableClock, ids: list[int]) -> list[routing.RoutingDecision]:
    with unit_of_work(store.session_factory) as s:
        return routing.route_leads(s, clock, ids)


def test_account_owner_wins_over_rules(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        owner = add_user(s, "Ada Owner")
        ruled = add_user(s, "Rita Rule")
        account = add_account(s, "Acme", owner)
        s.add(
            RoutingRule(
                position=0,
                name="Germany",
                conditions={"country": ["Germany"]},
                target_user_id=ruled.id,
            )
        )
        with_account = add_lead(s, clock.now(), country="Germany", account_id=account.id).id
        without = add_lead(s, clock.now(), country="Germany").id
        owner_id, ruled_id = owner.id, ruled.id
    decisions = {d.lead_id: d for d in _route(store, clock, [with_account, without])}
    assert decisions[with_account].owner_id == owner_id
    assert decisions[with_account].step == "account_owner"
    assert decisions[without].owner_id == ruled_id
    assert decisions[without].reason == "Rule: Germany"
    with store.session() as s:
        lead = s.get(Lead, with_account)
        assert lead is not None
        assert lead.routing_reason == "Account owner of Acme"
        assert lead.first_owner_id == owner_id


def test_rules_match_territory_tier_and_size(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        big = add_user(s, "Enterprise Ed")
        dach = add_user(s, "Dach Dora")
        s.add_all(
            [
                RoutingRule(
                    position=0,
                    name="Enterprise urgent",
                    conditions={"tier": ["Urgent"], "min_headcount": 1000},
                    target_user_id=big.id,
                ),
                RoutingRule(
                    position=1,
                    name="DACH",
                    conditions={"territory": ["DACH"]},
                    target_user_id=dach.id,
                ),
            ]
        )
        enterprise = add_lead(s, clock.now(), country="Austria", tier="Urgent", headcount=5000).id
        small = add_lead(s, clock.now(), country="Austria", tier="Urgent", headcount=50).id
        ids = {"big": big.id, "dach": dach.id}
    decisions = {d.lead_id: d for d in _route(store, clock, [enterprise, small])}
    assert decisions[enterprise].owner_id == ids["big"]
    assert decisions[small].owner_id == ids["dach"]


def test_capacity_and_availability_are_respected(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        away = add_user(s, "Away Amy", available=False)
        full = add_user(s, "Full Fred", capacity=2)
        free = add_user(s, "Free Fay", capacity=3)
        for _ in range(2):
            add_lead(s, clock.now(), owner_id=full.id)
        # Closed leads do not count against capacity.
        add_lead(s, clock.now(), owner_id=free.id, status=LeadStatus.WON)
        s.add(RoutingRule(position=0, name="To Fred", conditions={}, target_user_id=full.id))
        names = {away.id: "away", full.id: "full", free.id: "free"}
    ids = _new_leads(store, clock, 5)
    decisions = _route(store, clock, ids)
    owners = [names.get(d.owner_id) if d.owner_id else None for d in decisions]
    # Fred is full, so his rule falls through; Fay takes three, then nobody can.
    assert owners == ["free", "free", "free", None, None]
    assert "skipped: rule To Fred: Full Fred at capacity" in decisions[0].reason
    assert decisions[-1].step == "manager_queue"
    with store.session() as s:
        queued = s.get(Lead, ids[-1])
        assert queued is not None and queued.owner_id is None
        assert queued.routing_reason is not None and "Manager's queue" in queued.routing_reason


def test_round_robin_stays_even_as_reps_join_and_leave(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        reps = [add_user(s, f"Rep {n}", capacity=10_000) for n in range(3)]
        rep_ids = [r.id for r in reps]
    ids = _new_leads(store, clock, 1000)
    counts: Counter[int] = Counter()
    late_id = None
    for start in range(0, 1000, 50):
        batch = ids[start : start + 50]
        if start == 300:  # a new rep joins: nobody else's turn resets
            with unit_of_work(store.session_factory) as s:
                late_id = add_user(s, "Late Lou", capacity=10_000).id
        if start == 600:  # Rep 0 goes on holiday
            with unit_of_work(store.session_factory) as s:
                rep = s.get(User, rep_ids[0])
                assert rep is not None
                rep.available = False
        if start == 800:
            with unit_of_work(store.session_factory) as s:
                rep = s.get(User, rep_ids[0])
                assert rep is not None
                rep.available = True
        window: Counter[int] = Counter()
        for d in _route(store, clock, batch):
            assert d.step == "round_robin"
            window[d.owner_id or 0] += 1
        counts.update(window)
        # Within every batch the rotation is even among those who were present throughout.
        assert max(window.values()) - min(window.values()) <= 1
        if 600 <= start < 800:
            assert rep_ids[0] not in window
    assert late_id is not None
    always = [counts[rep_ids[1]], counts[rep_ids[2]]]
    assert max(always) - min(always) <= 1
    # The late joiner got about its share of the 700 leads after joining (4 reps, then 3).
    assert abs(counts[late_id] - (300 / 4 + 200 / 3 + 200 / 4)) <= 2
    assert sum(counts.values()) == 1000


def test_reassignment_is_audited_and_accuracy_counts_first_owners(
    store: Store, clock: SettableClock
) -> None:
    with unit_of_work(store.session_factory) as s:
        a = add_user(s, "Ann")
        b = add_user(s, "Ben")
        a_id, b_id = a.id, b.id
    ids = _new_leads(store, clock, 4)
    _route(store, clock, ids)
    with unit_of_work(store.session_factory) as s:
        first = {lid: s.get(Lead, lid).owner_id for lid in ids}  # type: ignore[union-attr]
        target = ids[0]
        new_owner = b_id if first[target] == a_id else a_id
        assert routing.assign_leads(s, clock, [target], new_owner, by_user_id=a_id) == 1
    with store.session() as s:
        lead = s.get(Lead, target)
        assert lead is not None
        assert lead.owner_id == new_owner and lead.first_owner_id == first[target]
        assert lead.routing_reason == "Assigned by Ann"
        audits = s.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_id == target, AuditEvent.action == "reassigned"
            )
        ).all()
        assert len(audits) == 1 and audits[0].data["to"] == new_owner
        assert routing.routing_accuracy(s)["accuracy"] == 0.75


def test_new_leads_are_scored_then_routed(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        rep = add_user(s, "Rae")
        owned_by = add_user(s, "Keeper")
        fresh = add_lead(s, clock.now(), title="CEO", qualifiers={"budget": "Approved"})
        kept = add_lead(s, clock.now(), owner_id=owned_by.id)
        lead_hooks.on_leads_created(s, clock, [fresh.id, kept.id])
        s.refresh(fresh)
        s.refresh(kept)
        assert fresh.owner_id == rep.id and fresh.tier is not None and fresh.score > 0
        assert kept.owner_id == owned_by.id  # an owner given at creation is kept


def test_log_contact_sets_first_contact_once(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        rep = add_user(s, "Caller")
        lead_id = add_lead(s, clock.now(), owner_id=rep.id).id
    clock.advance(minutes=4)
    with unit_of_work(store.session_factory) as s:
        first = routing.log_contact(s, clock, lead_id, "call", rep.id)
    first_at = clock.now()
    clock.advance(hours=2)
    with unit_of_work(store.session_factory) as s:
        second = routing.log_contact(s, clock, lead_id, "email", rep.id)
    assert first.first_contact and first.minutes_to_first_contact == 4
    assert not second.first_contact
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        assert lead.first_contacted_at == first_at
        assert lead.last_touch_at == first_at + timedelta(hours=2)
        kinds = s.scalars(select(Activity.type).where(Activity.lead_id == lead_id)).all()
        assert sorted(kinds) == ["call", "email"]


def test_a_store_without_users_queues_new_leads_for_a_manager(
    store: Store, clock: SettableClock
) -> None:
    ids = _new_leads(store, clock, 2)
    decisions = _route(store, clock, ids)
    assert [d.step for d in decisions] == ["manager_queue", "manager_queue"]
    assert all(d.owner_id is None for d in decisions)


def test_deal_value_rules_route_stored_leads_and_preview_them(
    store: Store, clock: SettableClock
) -> None:
    from decimal import Decimal

    from app.services.routing.config import load_config, parse_config, preview

    with unit_of_work(store.session_factory) as s:
        big = add_user(s, "Big Bea")
        rest = add_user(s, "Rest Rob")
        s.add_all(
            [
                RoutingRule(
                    position=0,
                    name="Big deals",
                    conditions={"min_deal_value": 50_000, "max_deal_value": 250_000.5},
                    target_user_id=big.id,
                ),
                RoutingRule(position=1, name="Rest", conditions={}, target_user_id=rest.id),
            ]
        )
        values = [Decimal("49999.99"), Decimal("50000.00"), Decimal("250000.50"), None]
        ids = [add_lead(s, clock.now(), deal_value=v).id for v in values]
        bea, rob = big.id, rest.id
    decisions = {d.lead_id: d for d in _route(store, clock, ids)}
    assert [decisions[i].owner_id for i in ids] == [rob, bea, bea, rob]
    assert "Big deals: the lead has no deal value" in (decisions[ids[3]].reason or "")
    with store.session() as s:
        saved = load_config(s)
        assert saved.rules[0].sentence(saved.names) == (
            "Deal value ≥ 50,000 and deal value ≤ 250,000.50 → Big Bea"
        )
        # The preview under a draft that lowers the bound moves the 49,999.99 lead to Bea.
        draft = saved.to_dict()
        draft["rules"][0]["conditions"]["min_deal_value"] = 40_000
        rows = {r.lead_id: r for r in preview(s, parse_config(draft, {bea: True, rob: True}),
                                              clock.now().date())}  # fmt: skip
        assert rows[ids[0]].owner_then == "Big Bea" and rows[ids[0]].changed
        assert rows[ids[3]].owner_then == "Rest Rob" and not rows[ids[3]].changed
        assert rows[ids[1]].owner_then == "Big Bea" and not rows[ids[1]].changed


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({"min_deal_value": -1}, "min_deal_value must be an amount from 0"),
        ({"max_deal_value": "lots"}, "max_deal_value must be an amount"),
        ({"max_deal_value": True}, "max_deal_value must be an amount"),
        ({"min_deal_value": 10.005}, "at most two decimals"),
        ({"min_deal_value": 10**13}, "must be an amount from 0 to 1,000,000,000,000"),
        (
            {"min_deal_value": 5000, "max_deal_value": 1000},
            "rule 1: the minimum deal value (5,000) is above the maximum (1,000).",
        ),
        (
            {"min_headcount": 500, "max_headcount": 50},
            "rule 1: the minimum headcount (500) is above the maximum (50).",
        ),
    ],
)
def test_bad_deal_value_bounds_are_refused_in_one_line(
    conditions: dict[str, object], message: str
) -> None:
    from app.services.routing.config import parse_config

    rule = {"name": "Odd", "conditions": conditions, "target_user_id": 1}
    with pytest.raises(ValueError, match=r"^rule 1: ") as refused:
        parse_config({"rules": [rule]}, {1: True})
    assert message in str(refused.value) and "\n" not in str(refused.value)
