"""The sample exports give exactly their expected numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import EngagementEvent, Lead
from tests.unit.importing.helpers import accounted, do_import, expected, lead_count, samples_dir

SAMPLES = sorted(expected())


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_gives_expected_numbers(store, clock, name):
    exp = expected()[name]
    result = do_import(store, clock, samples_dir() / name, event="Expo 2026")

    assert result.data_rows == exp["rows"]
    assert result.skipped_blank == exp["blank"]
    assert result.rejected == exp["no_identity"]
    assert result.created == exp["created"]
    assert result.merged == exp["merged"]
    assert result.updated == 0
    assert result.incomplete == exp["incomplete"]
    assert result.detected["encoding"] == exp["encoding"]
    assert result.detected["delimiter"] == exp["delimiter"]
    assert accounted(result) == exp["rows"]
    with store.session() as s:
        leads = s.execute(
            select(Lead.email_normalized, Lead.display_name, Lead.incomplete, Lead.raw_row).where(
                Lead.import_batch_id == result.batch_id
            )
        ).all()
    assert len(leads) == exp["created"]
    assert sorted(e for e, *_ in leads if e) == sorted(exp["emails"])
    names = {n for _, n, _, _ in leads}
    for name_ in exp["names"]:
        assert name_ in names  # byte for byte: encoding and normalisation kept them intact
    assert sum(1 for *_, inc, _ in leads if inc) == exp["incomplete"]
    assert all(raw for *_, raw in leads)  # every lead keeps its source row


@pytest.mark.parametrize("name", SAMPLES)
def test_reimport_creates_nothing(store, clock, name):
    exp = expected()[name]
    first = do_import(store, clock, samples_dir() / name, event="Expo 2026")
    before = lead_count(store)
    again = do_import(store, clock, samples_dir() / name, event="Expo 2026")

    assert again.created == 0
    assert lead_count(store) == before == first.created
    assert again.updated == first.created
    assert accounted(again) == exp["rows"]


def test_formula_values_stored_verbatim(store, clock):
    result = do_import(store, clock, samples_dir() / "messy_hostile.csv")
    with store.session() as s:
        companies = set(
            s.scalars(select(Lead.company).where(Lead.import_batch_id == result.batch_id))
        )
    assert '=HYPERLINK("http://evil.example/x","click")' in companies
    assert "+SUM(1,2)" in companies


def test_repeat_rows_become_scan_events(store, clock):
    result = do_import(store, clock, samples_dir() / "standard_utf8.csv", event="Expo 2026")
    with store.session() as s:
        events = s.execute(
            select(EngagementEvent.kind, EngagementEvent.detail).where(
                EngagementEvent.import_batch_id == result.batch_id
            )
        ).all()
    # One scan event per row that became (part of) a lead: created and merged rows.
    assert len(events) == result.created + result.merged
    assert {k for k, _ in events} == {"badge_scan"}
    assert all(d["event"] == "Expo 2026" for _, d in events)
    # Each names the file row it came from, once (the header is row 1).
    assert all(set(d) == {"event", "source", "row"} for _, d in events)
    rows = [d["row"] for _, d in events]
    assert len(set(rows)) == len(rows) and all(isinstance(r, int) and r > 1 for r in rows)
