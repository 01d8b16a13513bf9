"""Word-prefix search over name, company, e-mail and title: folded, ranked, same on both stores."""

from __future__ import annotations

import pytest

from app.models import Lead
from app.services.leads.queries import LeadFilter, LeadSort, count_leads, list_leads
from app.store.db import Store

PEOPLE = [
    # (name, company, e-mail, title, score)
    ("Ada Lovelace", "Analytical Engines", "ada@engines.example", "CTO", 50),
    ("Grace Hopper", "Navy Labs", "grace@navy.example", "Rear Admiral", 40),
    ("Zoë Ångström", "Nordlys AB", "zoe@nordlys.example", "Head of IT", 30),
    ("Percy 100% Sure", "Per_cent Ltd", 'percy"q@example.com', "CEO", 20),
    ("Kenji Tanaka", "Iberia Foods", "kenji@iberia.example", "Buyer", 60),
    ("Hana Tanaka", "Osaka Steel", "hana@osaka.example", "CFO", 70),
    ("Maria Iberia", "Tanaka Trading", "maria@tt.example", "Owner", 10),
    ("İlker Şahin", "Ankara Yazılım", "ilker@ankara.example", "CEO", 35),
    ("Inés García", "Sevilla Datos", "ines@sevilla.example", "CIO", 25),
    ("Tom Busch", "Business Partners", "tom@bp.example", "Business Analyst", 90),
    ("Jörg Müller", "Müller & Söhne", "jm@mueller.example", "Einkauf", 45),
    ("Søren Ødegaard", "Æble ApS", "soren@aeble.example", "CEO", 15),
    ("Дмитрий Иванов", "Сибирь", "dmitry@sib.example", "CTO", 55),
    ("Ana Ines", "Inesco", "ana.ines@inesco.example", "COO", 5),
]
# PostgreSQL joins the folded fields with '|' and cuts them back out for the rank.
PIPES = ("Pipe | Dream", "Ana|Inesco", "pipe@dream.example", "CEO|Owner", 65)

PARITY_QUERIES = [
    "tanaka iberia",
    "tanaka",
    "iberia",
    "ilker",
    "İLKER",
    "şa",
    "ög",
    "zo",
    "ångström",
    "angst",
    "ines",
    "Inés",
    "müller",
    "muller söhne",
    "ad",
    "engines.exam",
    "100%",
    "per_cent",
    'y"q',
    "дм",
    "ИВАНОВ",
    "søren",
    "o'brien",
    "zzz",
    "  ",
    "business",
    # words across fields, and a query that starts the name but runs on into the company
    # (PostgreSQL ranks on each field cut back out of the stored search text)
    "tanaka osaka",
    "hana tanaka osaka",
    "hana tanaka",
    "pipe",
    "ceo",
    "inesco ana",
]


@pytest.fixture
def people(store: Store) -> Store:
    _add_people(store)
    return store


def _add_people(store: Store, *more: tuple[str, str, str, str, int]) -> None:
    with store.session() as s:
        for name, company, email, title, score in (*PEOPLE, *more):
            s.add(
                Lead(
                    display_name=name,
                    company=company,
                    email=email,
                    email_normalized=email,
                    title=title,
                    score=score,
                )
            )
        s.commit()


def _ranked(store: Store, text: str) -> list[str]:
    with store.session() as s:
        rows = list_leads(s, LeadFilter(text=text), LeadSort("relevance"))
        assert count_leads(s, LeadFilter(text=text)) == len(rows)
        return [r.name for r in rows]


def _names(store: Store, text: str) -> set[str]:
    return set(_ranked(store, text))


def test_every_word_starts_a_word_of_some_field(people: Store) -> None:
    assert _names(people, "tanaka iberia") == {"Kenji Tanaka", "Maria Iberia"}
    assert _names(people, "engines.exam") == {"Ada Lovelace"}
    assert _names(people, "admiral") == {"Grace Hopper"}  # title
    assert _names(people, "navy") == {"Grace Hopper"}  # company and e-mail
    assert _names(people, "OVEL") == set()  # inside a word is not a word start


def test_ines_finds_ines_not_a_business_analyst(people: Store) -> None:
    assert _names(people, "ines") == {"Inés García", "Ana Ines"}
    assert "Tom Busch" not in _names(people, "ines")


def test_case_and_accents_are_folded(people: Store) -> None:
    assert _names(people, "ilker") == {"İlker Şahin"}
    assert _names(people, "İLKER") == {"İlker Şahin"}
    assert _names(people, "angstrom") == {"Zoë Ångström"}
    assert _names(people, "sa") == {"İlker Şahin"}  # Şahin
    assert _names(people, "se") == {"Inés García"}  # Sevilla
    assert _names(people, "ИВАНОВ") == {"Дмитрий Иванов"}


def test_special_characters_are_searched_literally(people: Store) -> None:
    assert _names(people, "100%") == {"Percy 100% Sure"}
    assert _names(people, "per_cent") == {"Percy 100% Sure"}
    assert _names(people, 'y"q') == set()
    assert _names(people, "zzz") == set()
    assert _names(people, "--") == set()
    assert len(_names(people, "   ")) == len(PEOPLE)  # no text: no filter


def test_best_matches_first_then_score(people: Store) -> None:
    # Name first (both Tanakas, by score), then the company, then nothing else.
    assert _ranked(people, "tanaka") == ["Hana Tanaka", "Kenji Tanaka", "Maria Iberia"]
    # The name starting with the query beats a later word of a name, which beats a company.
    assert _ranked(people, "ines") == ["Inés García", "Ana Ines"]
    # Then the company, then the e-mail, then the title.
    assert _ranked(people, "ana") == ["Ana Ines", "Ada Lovelace", "Tom Busch"]
    assert _ranked(people, "hana") == ["Hana Tanaka"]


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


@pytest.mark.postgres
def test_sqlite_and_postgresql_find_the_same_leads_in_the_same_order(
    sqlite_store: Store, pg_store: Store
) -> None:
    _add_people(sqlite_store, PIPES)
    _add_people(pg_store, PIPES)
    differ = {
        q: (_ranked(sqlite_store, q), _ranked(pg_store, q))
        for q in PARITY_QUERIES
        if _ranked(sqlite_store, q) != _ranked(pg_store, q)
    }
    assert differ == {}
    assert sum(bool(_ranked(sqlite_store, q)) for q in PARITY_QUERIES) >= 18
