"""Scoring on both stores, driven by the settable clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Lead, LeadStatus
from app.services.leads.detail import lead_history
from app.services.scoring import core as scoring
from app.store.db import Store, unit_of_work
from tests.helpers.inbox_data import add_event, add_lead, only_rules


def _stored(store: Store, lead_id: int) -> Lead:
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        s.expunge(lead)
        return lead


def test_engagement_halves_at_the_half_life(store: Store, clock: SettableClock) -> None:
    rules = only_rules(intent={"events": {"demo_request": 40}}, half_life_days=14)
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        lead = add_lead(s, clock.now())
        add_event(s, lead, "demo_request", clock.now())
        lead_id = lead.id
    with unit_of_work(store.session_factory) as s:
        scoring.rescore_leads(s, clock)
    assert _stored(store, lead_id).intent == 40

    clock.advance(days=14)
    with unit_of_work(store.session_factory) as s:
        scoring.rescore_leads(s, clock)
        explained = scoring.explain(s, clock, lead_id)
    assert _stored(store, lead_id).intent == 20
    assert explained is not None
    (demo,) = explained.group("intent")
    assert demo.value == pytest.approx(20.0)
    assert demo.base == 40

    clock.advance(days=14)
    with unit_of_work(store.session_factory) as s:
        scoring.rescore_leads(s, clock)
    assert _stored(store, lead_id).intent == 10

    # Eighteen months on, the same demo request counts for nothing.
    clock.advance(days=520)
    with unit_of_work(store.session_factory) as s:
        scoring.rescore_leads(s, clock)
    assert _stored(store, lead_id).intent == 0


@pytest.mark.parametrize(
    ("points", "tier"),
    [(39, "Low"), (40, "Medium"), (59, "Medium"), (60, "High"), (79, "High"), (80, "Urgent")],
)
def test_tiers_at_their_exact_boundaries(
    store: Store, clock: SettableClock, points: int, tier: str
) -> None:
    rules = only_rules(authority={"points": {"decision_maker": points}}, caps={"authority": 100})
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        lead_id = add_lead(s, clock.now(), title="CEO").id
        scoring.rescore_leads(s, clock)
    lead = _stored(store, lead_id)
    assert (lead.score, lead.tier) == (points, tier)


def test_thresholds_are_configurable(store: Store, clock: SettableClock) -> None:
    rules = only_rules(
        authority={"points": {"decision_maker": 70}},
        caps={"authority": 100},
        thresholds={"Urgent": 70, "High": 50, "Medium": 30},
    )
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        lead_id = add_lead(s, clock.now(), title="Chief Revenue Officer").id
        scoring.rescore_leads(s, clock)
    assert _stored(store, lead_id).tier == "Urgent"


def test_explanation_sums_exactly_to_the_score(store: Store, clock: SettableClock) -> None:
    from app.demo import generator as demo

    with unit_of_work(store.session_factory) as s:
        demo.generate(s, clock, leads=250, accounts=40)
    clock.advance(days=3, hours=5)  # decayed values now have fractions to round
    with unit_of_work(store.session_factory) as s:
        scoring.rescore_leads(s, clock)
        rows = s.execute(select(Lead.id, Lead.score, Lead.fit, Lead.intent)).all()
        fractional = 0
        for lead_id, score, fit, intent in rows:
            e = scoring.explain(s, clock, lead_id)
            assert e is not None
            assert sum(c.points for c in e.contributions) == score == e.score
            assert sum(c.points for c in e.group("fit")) == fit
            assert sum(c.points for c in e.group("intent")) == intent
            fractional += any(c.value != int(c.value) for c in e.contributions)
    assert fractional > 50  # the test really exercised rounding


def test_capped_scores_explain_the_cap(store: Store, clock: SettableClock) -> None:
    rules = only_rules(
        intent={"events": {"demo_request": 30, "pricing_visit": 30}},
        authority={"points": {"decision_maker": 20}},
        timing={"budget": {"Approved": 20}},
        fit={"industry": {"Software": 30}},
        caps={"intent": 40},
    )
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        lead = add_lead(
            s, clock.now(), title="CTO", industry="Software", qualifiers={"budget": "Approved"}
        )
        add_event(s, lead, "demo_request", clock.now())
        add_event(s, lead, "pricing_visit", clock.now())
        scoring.rescore_leads(s, clock)
        e = scoring.explain(s, clock, lead.id)
    assert e is not None
    assert e.sub_scores == {"fit": 30, "intent": 40, "authority": 20, "timing": 20}
    assert e.score == 100
    rules_seen = [c.rule for c in e.contributions]
    assert "Intent capped at 40" in rules_seen
    assert "Score capped at 100" in rules_seen
    assert sum(c.points for c in e.contributions) == 100


def test_tier_crossing_is_recorded_with_why(store: Store, clock: SettableClock) -> None:
    rules = only_rules(
        intent={"events": {"demo_request": 40}},
        authority={"points": {"decision_maker": 20}},
        timing={"budget": {"Approved": 20}},
    )
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        lead = add_lead(s, clock.now(), title="CEO", qualifiers={"budget": "Approved"})
        add_event(s, lead, "demo_request", clock.now())
        lead_id = lead.id
        first = scoring.rescore_leads(s, clock)
    assert first.tier_changes == 0  # a first scoring is not a crossing
    assert _stored(store, lead_id).tier == "Urgent"

    clock.advance(days=14)  # intent 40 -> 20: score 80 -> 60
    with unit_of_work(store.session_factory) as s:
        result = scoring.rescore_leads(s, clock)
    assert result.by_transition == {"Urgent → High": 1}
    with store.session() as s:
        history = lead_history(s, lead_id)
        e = scoring.explain(s, clock, lead_id)
    crossing = next(h for h in history if h.kind == "tier_changed")
    assert crossing.text == "Tier Urgent → High"
    assert crossing.detail is not None and "intent -20" in crossing.detail
    assert e is not None and e.tier_changes[0]["text"] == "Tier Urgent → High"


def test_preview_counts_tier_changes_without_writing(store: Store, clock: SettableClock) -> None:
    from app.demo import generator as demo

    with unit_of_work(store.session_factory) as s:
        demo.generate(s, clock, leads=300, accounts=40)
    with store.session() as s:
        before = dict(s.execute(select(Lead.id, Lead.tier)).all())
        stricter = scoring.load_rules(s)
        stricter["thresholds"] = {"Urgent": 90, "High": 70, "Medium": 50}
        preview = scoring.preview_rules(s, clock, stricter)
        assert dict(s.execute(select(Lead.id, Lead.tier)).all()) == before
    assert preview.changes > 0
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, stricter)
        applied = scoring.rescore_leads(s, clock)
    assert applied.tier_changes == preview.changes
    assert applied.by_transition == preview.by_transition


def test_rules_round_trip_and_validation(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        rules = scoring.load_rules(s)
        rules["half_life_days"] = 30
        rules["intent"]["events"]["webinar"] = 9
        scoring.save_rules(s, clock, rules)
    with store.session() as s:
        loaded = scoring.load_rules(s)
        assert loaded["half_life_days"] == 30
        assert loaded["intent"]["events"]["webinar"] == 9
        bad = scoring.load_rules(s)
        bad["thresholds"] = {"Urgent": 50, "High": 60, "Medium": 40}
        with pytest.raises(ValueError, match="rise"):
            scoring.save_rules(s, clock, bad)


def test_source_quality_suggests_more_weight_for_better_sources(
    store: Store, clock: SettableClock
) -> None:
    with unit_of_work(store.session_factory) as s:
        recent = clock.now() - timedelta(days=10)
        for source, won, lost in (("Referral", 30, 10), ("LinkedIn", 4, 36)):
            for i in range(won + lost):
                add_lead(
                    s,
                    recent,
                    source=source,
                    status=LeadStatus.WON if i < won else LeadStatus.LOST,
                    stage_entered_at=recent,
                )
        # Closed long ago: outside the trailing 90 days.
        add_lead(
            s,
            recent,
            source="LinkedIn",
            status=LeadStatus.WON,
            stage_entered_at=clock.now() - timedelta(days=200),
        )
        quality = {q.source: q for q in scoring.source_quality(s, clock)}
    assert quality["Referral"].close_rate == pytest.approx(0.75)
    assert quality["LinkedIn"].closed == 40
    assert quality["Referral"].suggested_weight > quality["Referral"].weight
    assert quality["LinkedIn"].suggested_weight <= quality["LinkedIn"].weight
    with unit_of_work(store.session_factory) as s:
        scoring.apply_source_weights(s, clock, {"Referral": quality["Referral"].suggested_weight})
    with store.session() as s:
        assert (
            scoring.load_rules(s)["fit"]["source"]["Referral"]
            == quality["Referral"].suggested_weight
        )


def test_first_response_due_follows_the_tier(store: Store, clock: SettableClock) -> None:
    from app.services.leads.queries import get_lead_row

    rules = only_rules(authority={"points": {"decision_maker": 85}}, caps={"authority": 100})
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        urgent = add_lead(s, clock.now(), title="CEO").id
        low = add_lead(s, clock.now(), title="Intern").id
        scoring.rescore_leads(s, clock)
    with store.session() as s:
        u, lo = get_lead_row(s, urgent), get_lead_row(s, low)
    assert u is not None and lo is not None
    assert u.first_response_due == clock.now() + timedelta(minutes=5)
    assert lo.tier == "Low" and lo.first_response_due is None


def test_an_edited_lead_is_rescored_through_the_hook(store: Store, clock: SettableClock) -> None:
    from app.services.leads import hooks as lead_hooks

    rules = only_rules(authority={"points": {"decision_maker": 65, "evaluator": 10}})
    rules["caps"]["authority"] = 100
    with unit_of_work(store.session_factory) as s:
        scoring.save_rules(s, clock, rules)
        lead = add_lead(s, clock.now(), title="Data Analyst")
        lead_hooks.on_leads_created(s, clock, [lead.id], route=False)
        lead_id = lead.id
    assert _stored(store, lead_id).tier == "Low"
    with unit_of_work(store.session_factory) as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        lead.title = "Chief Data Officer"  # promoted: now a decision maker
        s.flush()
        lead_hooks.on_leads_changed(s, clock, [lead_id])
    with store.session() as s:
        assert (s.get(Lead, lead_id).score, s.get(Lead, lead_id).tier) == (65, "High")  # type: ignore[union-attr]
        assert any(h.text == "Tier Low → High" for h in lead_history(s, lead_id))
