"""Substring search over name, company, e-mail and title, through the trigram index."""

from __future__ import annotations

import pytest

from app.clock import SettableClock
from app.models import Lead
from app.services.leads.queries import LeadFilter, count_leads, list_leads
from app.store.db import Store


def _names(store: Store, text: str) -> set[str]:
    with store.session() as s:
        rows = list_leads(s, LeadFilter(text=text))
        assert count_leads(s, LeadFilter(text=text)) == len(rows)
        return {r.name for r in rows}


@pytest.fixture
def people(store: Store, clock: SettableClock) -> Store:
    with store.session() as s:
        s.add_all(
            [
                Lead(
                    display_name="Ada Lovelace",
                    company="Analytical Engines",
                    title="CTO",
                    email="Ada@Engines.example",
                    email_normalized="ada@engines.example",
                ),
                Lead(
                    display_name="Grace Hopper",
                    company="Navy Labs",
                    title="Rear Admiral",
                    email_normalized="grace@navy.example",
                ),
                Lead(
                    display_name="Zoë Ångström",
                    company="Nordlys AB",
                    title="Head of IT",
                    email_normalized="zoe@nordlys.example",
                ),
                Lead(
                    display_name="Percy 100% Sure",
                    company="Per_cent Ltd",
                    title="CEO",
                    email_normalized='percy"q@example.com',
                ),
            ]
        )
        s.commit()
    return store


def test_finds_a_substring_in_any_field_whatever_the_case(people: Store) -> None:
    assert _names(people, "OVEL") == {"Ada Lovelace"}
    assert _names(people, "navy") == {"Grace Hopper"}  # company and e-mail
    assert _names(people, "admiral") == {"Grace Hopper"}  # title
    assert _names(people, "ngström") == {"Zoë Ångström"}
    assert _names(people, "engines.exam") == {"Ada Lovelace"}


def test_short_and_special_texts_are_searched_literally(people: Store) -> None:
    assert _names(people, "ad") == {"Ada Lovelace", "Grace Hopper", "Zoë Ångström"}
    assert _names(people, "100%") == {"Percy 100% Sure"}
    assert _names(people, "r_c") == {"Percy 100% Sure"}
    assert _names(people, 'y"q') == {"Percy 100% Sure"}
    assert _names(people, "zzz") == set()


def test_the_index_follows_edits_and_deletes(people: Store) -> None:
    with people.session() as s:
        grace = s.query(Lead).filter_by(display_name="Grace Hopper").one()
        grace.display_name = "Grace Brewster Murray"
        grace.company = "Harvard Computation Lab"
        s.delete(s.query(Lead).filter_by(display_name="Ada Lovelace").one())
        s.commit()
    assert _names(people, "hopper") == set()
    assert _names(people, "brewster") == {"Grace Brewster Murray"}
    assert _names(people, "harvard") == {"Grace Brewster Murray"}
    assert _names(people, "lovelace") == set()
