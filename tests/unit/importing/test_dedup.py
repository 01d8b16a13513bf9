"""Fuzzy candidates are listed for review, never merged; exact e-mails merge."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Lead
from app.services.importing.dedup import DuplicateFinder, name_key
from tests.unit.importing.helpers import do_import


def test_possible_duplicates_against_store_and_within_file(store, clock, tmp_path):
    with store.session() as s:
        s.add(Lead(display_name="Jonathan Smith", first_name="Jonathan", last_name="Smith",
                   company="Acme Robotics", email="jon@acme.dev", email_normalized="jon@acme.dev",
                   phone_normalized="+14155550100", created_at=clock.now()))  # fmt: skip
        s.commit()
    path = tmp_path / "f.csv"
    path.write_text(
        "First Name,Last Name,Email,Company,Phone\r\n"
        "Jonathon,Smith,j.smith@acme.dev,Acme Robotics Inc,\r\n"  # similar name + company
        "Mia,Wong,mia@other.org,Other Org,+1 415 555 0100\r\n"  # same phone as the store lead
        "Ann,Lee,ann@lee.io,Lee Co,+44 20 7946 0000\r\n"
        "Anne,Lee,anne.lee@lee.io,Lee Co,\r\n"  # similar to the row above, in the same file
        "Zed,Kane,zed@kane.io,Kane Ltd,\r\n",
        encoding="utf-8",
    )
    result = do_import(store, clock, path)
    assert result.created == 5  # nothing merged: different e-mails
    pairs = {(d.name, d.other_name, d.reason) for d in result.possible_duplicates}
    assert ("Jonathon Smith", "Jonathan Smith", "similar name and company") in pairs
    assert ("Mia Wong", "Jonathan Smith", "same phone") in pairs
    assert any({"Ann Lee", "Anne Lee"} == {a, b} for a, b, _ in pairs)
    assert not any("Zed Kane" in (a, b) for a, b, _ in pairs)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 6


def test_blocks_never_compare_all_pairs(monkeypatch):
    from app.services.importing import dedup
    from app.services.importing.synth import badge_rows

    compared = []
    real = dedup._compare
    monkeypatch.setattr(dedup, "_compare", lambda a, b: compared.append(1) or real(a, b))
    finder = DuplicateFinder()
    rows = [r for r in badge_rows(3000, seed=4, dup_rate=0) if r[0].strip()]
    for i, r in enumerate(rows):
        finder.add_new(finder.entry(i + 1, i + 2, f"{r[0]} {r[1]}", r[3], None, r[2]))
    finder.find()
    all_pairs = len(rows) * (len(rows) - 1) // 2
    assert 0 < len(compared) < all_pairs / 100
    assert name_key("Jon Smith") == name_key("John Smith")


def _alike_finder(n: int) -> DuplicateFinder:
    """n alike rows (`First17 Last17`: one name block) at unalike companies, plus two true
    duplicates (same company), one differing in the surname and one in the first name."""

    def company(i: int) -> str:
        return f"Co{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}x"

    finder = DuplicateFinder()
    rows = [(f"First{i} Last{i}", company(i)) for i in range(n)]
    rows += [(f"First{n // 3} Lastt{n // 3}", company(n // 3)),
             (f"Firstt{n // 2} Last{n // 2}", company(n // 2))]  # fmt: skip
    for i, (name, company) in enumerate(rows):
        finder.add_new(finder.entry(i + 1, i + 2, name, company, None, None))
    return finder


def test_alike_names_are_compared_a_bounded_number_of_times_and_true_duplicates_found():
    from app.services.importing.dedup import BLOCK_LIMIT, WINDOW

    n = 4000
    assert n > BLOCK_LIMIT  # one block far too big for all pairs
    finder = _alike_finder(n)
    found = {(d.name, d.other_name) for d in finder.find()}
    assert {(f"first{n // 3} lastt{n // 3}", f"first{n // 3} last{n // 3}"),
            (f"first{n // 3} last{n // 3}", f"first{n // 3} lastt{n // 3}")} & found  # fmt: skip
    assert {(f"firstt{n // 2} last{n // 2}", f"first{n // 2} last{n // 2}"),
            (f"first{n // 2} last{n // 2}", f"firstt{n // 2} last{n // 2}")} & found  # fmt: skip
    # At most 4 * WINDOW candidates per row (two orders, WINDOW on either side), not n - 1.
    assert finder.comparisons <= 4 * WINDOW * (n + 2 + WINDOW)
    bigger = _alike_finder(2 * n)
    bigger.find()
    assert bigger.comparisons < 2.1 * finder.comparisons  # linear in the rows


def test_a_big_block_keeps_looking_at_cancel():
    """One block of 60,000 alike names: Cancel is noticed within it, not only after it."""
    finder = _alike_finder(60_000)
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) > 5:
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        finder.find(check)
