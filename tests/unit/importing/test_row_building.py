"""The import's row building gives exactly what the plain library calls would (issue 17):
the row's JSON text is json.dumps's, and the duplicate finder finds the same whenever it
takes the leads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.clock import SettableClock
from app.models import EngagementEvent, Lead
from app.services.importing import ImportOptions, loader, run, run_import, validate
from app.services.importing.dedup import FILLABLE
from app.services.importing.synth import write_badge_csv
from app.store.db import Store

_text = st.text(st.characters(codec="utf-8"), max_size=40)
_values = st.one_of(st.none(), _text, st.integers(-(2**70), 2**70), st.booleans())


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(_text, _values | st.dictionaries(_text, _values, max_size=3), max_size=12))
def test_the_row_json_is_json_dumps(value: dict[str, Any]) -> None:
    assert validate.to_json(value) == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("deferred", [0, 1, 37])
def test_possible_duplicates_do_not_depend_on_when_the_finder_takes_the_leads(
    sqlite_store: Store,
    clock: SettableClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    deferred: int,
) -> None:
    """The duplicate finder takes the new leads chunk by chunk past DEFER_DUPS, the rest
    after the last chunk: the same candidates, in the same order, either way."""
    path = tmp_path / "scans.csv"
    write_badge_csv(path, 3000, seed=7)

    def candidates() -> list[dict[str, Any]]:
        with sqlite_store.session() as session:
            options = ImportOptions(dry_run=True)
            result = run_import(session, clock, path, options=options)
        return [d.to_dict() for d in result.possible_duplicates]

    everything_at_the_end = candidates()
    assert everything_at_the_end  # the file has some to find
    monkeypatch.setattr(loader, "DEFER_DUPS", deferred)
    monkeypatch.setattr(run, "CHUNK", 100)  # many chunks, so most leads are fed on the way
    assert candidates() == everything_at_the_end


@pytest.mark.parametrize("hold", [0, 25])
def test_repeat_scans_fill_the_same_whether_they_wait_for_the_end_or_not(
    sqlite_store: Store,
    clock: SettableClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    hold: int,
) -> None:
    """Into an empty store, repeat scans of leads earlier chunks wrote wait for the end of
    the import (at most HOLD_REPEATS rows; 0: applied at every chunk, as into a store with
    leads): the leads, their fill-ins and their scan events come out the same."""
    path = tmp_path / "scans.csv"
    write_badge_csv(path, 3000, seed=7)
    monkeypatch.setattr(run, "CHUNK", 100)  # repeats of leads written chunks before

    def imported() -> tuple[dict[str, int], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        with sqlite_store.session() as session:
            result = run_import(session, clock, path)
            leads = session.execute(
                select(Lead.id, *[getattr(Lead, f) for f in FILLABLE], Lead.qualifiers,
                       Lead.incomplete).order_by(Lead.id)
            ).all()  # fmt: skip
            events = session.execute(
                select(EngagementEvent.lead_id, EngagementEvent.detail).order_by(
                    EngagementEvent.lead_id, EngagementEvent.detail
                )
            ).all()
            session.rollback()
        return result.counts(), [tuple(r) for r in leads], [tuple(r) for r in events]

    at_the_end = imported()
    assert at_the_end[0]["merged"] > 25  # repeats to hold, more than `hold` of them
    monkeypatch.setattr(loader, "HOLD_REPEATS", hold)
    assert imported() == at_the_end
