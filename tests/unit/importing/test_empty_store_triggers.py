"""An import into an empty SQLite store fills the search index and the reports' queue in one
statement each instead of per-row triggers; the triggers are back afterwards."""

from __future__ import annotations

from sqlalchemy import text

from app.clock import SettableClock
from app.db import Store
from app.services.importing.load import DEFERRABLE_TRIGGERS
from app.services.leads import LeadFilter, count_leads
from tests.unit.importing.helpers import do_import, samples_dir


def _triggers(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {
            r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
        }


SCAN = (
    "SELECT count(*) FROM leads WHERE lower(display_name) LIKE :p OR lower(company) LIKE :p "
    "OR email_normalized LIKE :p OR lower(title) LIKE :p"
)


def _scan_count(session, word: str) -> int:  # type: ignore[no-untyped-def]
    return int(session.execute(text(SCAN), {"p": f"%{word}%"}).scalar_one())


def test_first_import_is_searchable_queued_for_reports_and_triggers_return(
    sqlite_store: Store, clock: SettableClock
) -> None:
    before = _triggers(sqlite_store)
    assert set(DEFERRABLE_TRIGGERS) <= before
    result = do_import(sqlite_store, clock, samples_dir() / "standard_utf8.csv")
    assert result.created == 127
    assert _triggers(sqlite_store) == before
    with sqlite_store.session() as s:
        assert count_leads(s, LeadFilter(text="piedpiper")) == _scan_count(s, "piedpiper") > 0
        queued = s.execute(text("SELECT count(DISTINCT lead_id) FROM report_journey_queue"))
        assert queued.scalar_one() == count_leads(s)
    # The next import goes through the triggers again (the store is not empty any more).
    second = do_import(sqlite_store, clock, samples_dir() / "european_semicolon_bom.csv")
    assert second.created > 0
    with sqlite_store.session() as s:
        assert count_leads(s, LeadFilter(text="piedpiper")) == _scan_count(s, "piedpiper")
        indexed = s.execute(text("SELECT count(*) FROM lead_search_docsize")).scalar_one()
        assert indexed == count_leads(s)
