from __future__ import annotations

import pytest

from app.clock import SettableClock
from app.demo import generator as demo
from app.models import LeadStatus
from app.services.leads.queries import (
    LeadFilter,
    LeadSort,
    count_leads,
    lead_ids,
    list_leads,
    rows_by_ids,
)
from app.store.db import Store


@pytest.fixture
def demo_store(store: Store, clock: SettableClock) -> Store:
    with store.session() as s:
        demo.generate(s, clock, leads=250, seed=2, accounts=30)
        s.commit()
    return store


def test_sorting_happens_in_sql_and_is_stable(demo_store: Store) -> None:
    with demo_store.session() as s:
        by_name = list_leads(s, sort=LeadSort("name", descending=False), limit=50)
        names = [r.name for r in by_name]
        assert names == sorted(names)
        by_value = list_leads(s, sort=LeadSort("deal_value", descending=True), limit=50)
        values = [r.deal_value for r in by_value]
        assert values == sorted(values, reverse=True)
        page1 = lead_ids(s, sort=LeadSort("stage", False), limit=100)
        page2 = lead_ids(s, sort=LeadSort("stage", False), offset=100, limit=100)
        assert not set(page1) & set(page2)
        assert [r.id for r in rows_by_ids(s, page1[:10])] == page1[:10]


def test_filters_combine(demo_store: Store) -> None:
    with demo_store.session() as s:
        total = count_leads(s)
        open_only = count_leads(s, LeadFilter(status=LeadStatus.OPEN))
        assert 0 < open_only < total
        sample = list_leads(s, limit=1)[0]
        word = sample.company.split()[0].lower()
        found = list_leads(s, LeadFilter(text=word.upper()))
        assert found and all(
            word in (r.company or "").lower()
            or word in r.name.lower()
            or word in (r.email or "").lower()
            or word in (r.title or "").lower()
            for r in found
        )
        unassigned = list_leads(s, LeadFilter(unassigned=True))
        assert all(r.owner_id is None for r in unassigned)


def test_unknown_sort_key_is_a_clear_error(demo_store: Store) -> None:
    with demo_store.session() as s, pytest.raises(ValueError, match="Cannot sort leads by 'bogus'"):
        list_leads(s, sort=LeadSort("bogus"))
