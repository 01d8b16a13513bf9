"""Inbox support services on both stores: chip counts and the disqualify quick action."""

from __future__ import annotations

from sqlalchemy import select

from app.clock import SettableClock
from app.demo import generator as demo
from app.models import Lead, LeadStatus, StageTransition
from app.services.leads.inbox import chip_counts, disqualify_lead, lead_filter_from
from app.services.leads.queries import LeadFilter, count_leads
from app.store.db import Store, unit_of_work


def test_chip_counts_match_the_filtered_lists(store: Store, clock: SettableClock) -> None:
    with unit_of_work(store.session_factory) as s:
        demo.generate(s, clock, leads=200, accounts=30)
    with store.session() as s:
        base = LeadFilter(status="open", tiers=("Urgent",), unassigned=True)
        counts = chip_counts(s, base, user_id=3)
        open_ = LeadFilter(status="open")
        assert counts["mine"] == count_leads(s, LeadFilter(status="open", owner_id=3))
        assert counts["unassigned"] == count_leads(s, LeadFilter(status="open", unassigned=True))
        for tier in ("Urgent", "High", "Medium", "Low"):
            assert counts[tier] == count_leads(s, LeadFilter(status="open", tiers=(tier,)))
        assert sum(counts[t] for t in ("Urgent", "High", "Medium", "Low")) == count_leads(s, open_)


def test_disqualify_moves_the_lead_to_the_exit_with_its_reason(
    store: Store, clock: SettableClock
) -> None:
    with unit_of_work(store.session_factory) as s:
        demo.generate(s, clock, leads=30, accounts=10)
        lead_id = s.scalar(select(Lead.id).where(Lead.status == LeadStatus.OPEN).limit(1))
        assert lead_id is not None
        disqualify_lead(s, clock, lead_id, "no_budget", by_user_id=None)
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        assert lead.status == LeadStatus.DISQUALIFIED and lead.disqualify_reason == "no_budget"
        last = s.scalars(
            select(StageTransition)
            .where(StageTransition.lead_id == lead_id)
            .order_by(StageTransition.id.desc())
        ).first()
        assert last is not None and last.kind == "exit" and last.reason_code == "no_budget"
        assert last.to_stage_id == lead.stage_id


def test_show_leads_payload_becomes_a_filter() -> None:
    flt, title = lead_filter_from({"tiers": ["Urgent"], "source": "Referral", "title": "Hot"})
    assert flt == LeadFilter(tiers=("Urgent",), source="Referral")
    assert title == "Hot"
