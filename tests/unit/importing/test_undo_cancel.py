"""Batches: undo restores the store, cancel leaves it untouched, merges fill only gaps."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import select

from app.models import ImportBatch, ImportChange, Lead
from app.services import collection
from app.services.importing import ImportOptions, ImportState, UndoError, run_import, undo_batch
from app.services.importing.synth import write_badge_csv
from tests.unit.importing.helpers import (
    accounted,
    do_import,
    import_until_cancelled,
    lead_count,
    samples_dir,
    snapshot,
)

DEFAULT_CACHE_SIZE = -2000  # SQLite's default: 2,000 KiB


@pytest.fixture
def automatic_gc():
    """Python's own automatic collection on, as in the CLI (the test session collects on the
    UI thread only, as the GUI does: `app.ui.collector`)."""
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _existing_lead(store, clock, **values):
    with store.session() as s:
        lead = Lead(
            display_name=values.pop("display_name", "Existing Person"),
            created_at=clock.now(),
            updated_at=clock.now(),
            **values,
        )
        s.add(lead)
        s.commit()
        return lead.id


def test_merge_into_store_fills_gaps_lists_conflicts_and_undo_reverts(store, clock):
    # Omar Brown is in the sample with title CEO and company Gringotts Fintech.
    lead_id = _existing_lead(
        store, clock, display_name="Omar Brown", email="omar.brown@gringotts.bank",
        email_normalized="omar.brown@gringotts.bank", company="Gringotts Ltd", title=None,
    )  # fmt: skip
    before = snapshot(store)
    result = do_import(store, clock, samples_dir() / "standard_utf8.csv", event="Expo")

    assert result.updated == 1
    with store.session() as s:
        lead = s.get(Lead, lead_id)
        assert lead.title == "CEO"  # the empty field was filled
        assert lead.company == "Gringotts Ltd"  # the non-empty one was not overwritten
        assert lead.version == 2
    conflict = next(c for c in result.conflicts if c.lead_id == lead_id)
    assert (conflict.field, conflict.existing, conflict.incoming) == (
        "company", "Gringotts Ltd", "Gringotts Fintech",
    )  # fmt: skip

    with store.session() as s:
        undo = undo_batch(s, clock, result.batch_id)
        s.commit()
    assert undo.deleted == result.created
    assert undo.reverted == 1
    assert undo.skipped == []
    after = snapshot(store)
    assert after["leads"] == before["leads"]
    assert after["events"] == before["events"]
    assert after["transitions"] == before["transitions"]


def test_undo_leaves_leads_changed_since_and_says_which(store, clock):
    filled_id = _existing_lead(
        store, clock, display_name="Omar Brown", email="omar.brown@gringotts.bank",
        email_normalized="omar.brown@gringotts.bank", company="Gringotts Fintech",
    )  # fmt: skip
    result = do_import(store, clock, samples_dir() / "standard_utf8.csv")
    with store.session() as s:
        created = s.scalars(
            select(Lead).where(Lead.import_batch_id == result.batch_id).order_by(Lead.id)
        ).first()
        created.title = "Edited after import"  # the ORM bumps the version
        s.get(Lead, filled_id).country = "Edited too"
        s.commit()
        edited_id = created.id

    with store.session() as s:
        undo = undo_batch(s, clock, result.batch_id)
        s.commit()
    assert sorted(undo.skipped) == sorted([edited_id, filled_id])
    assert undo.deleted == result.created - 1
    with store.session() as s:
        assert s.get(Lead, edited_id).title == "Edited after import"
        assert s.get(Lead, filled_id).title == "CEO"  # not reverted: changed since
        assert s.get(ImportBatch, result.batch_id).status == "undone"
        with pytest.raises(UndoError):
            undo_batch(s, clock, result.batch_id)


def test_cancel_midway_leaves_store_unchanged(store, clock, tmp_path, automatic_gc):
    path = write_badge_csv(tmp_path / "big.csv", 9000, seed=3)
    do_import(store, clock, samples_dir() / "windows_tab_cp1252.txt")  # something already there
    before = snapshot(store)

    class CancelAfter(ImportState):
        """Cancels once several chunks have been written inside the transaction."""

        checks = 0

        def check(self) -> None:
            self.checks += 1
            if self.checks == 25:  # 25 x 256 rows: three chunks of leads are in
                self.cancel()
            super().check()

    state = CancelAfter()
    import_until_cancelled(store, clock, path, state)
    assert state.checks == 25
    assert snapshot(store) == before
    # What the cancelled import held is freed on a helper thread, which then lets Python's
    # collector run again (paused during imports); the connection gets its usual cache back.
    assert gc.isenabled() and not collection.paused()
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == DEFAULT_CACHE_SIZE


def test_progress_is_reported_and_rows_all_accounted(store, clock, tmp_path):
    path = write_badge_csv(tmp_path / "big.csv", 5000, seed=5)
    seen: list[tuple[int, int]] = []
    state = ImportState(on_progress=lambda d, t, _text: seen.append((d, t)))
    with store.session() as s:
        result = run_import(s, clock, path, state=state)
        s.commit()
    assert accounted(result) == result.data_rows == 5000
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1]
    assert all(d <= t for d, t in seen)
    assert lead_count(store) == result.created


def test_dry_run_changes_nothing(store, clock):
    before = snapshot(store)
    with store.session() as s:
        result = run_import(
            s, clock, samples_dir() / "messy_hostile.csv", options=ImportOptions(dry_run=True)
        )
        s.commit()
    assert result.batch_id is None
    assert result.created == 57
    assert snapshot(store) == before


def test_changes_are_recorded_for_filled_leads_only(store, clock):
    _existing_lead(
        store, clock, display_name="Omar Brown", email_normalized="omar.brown@gringotts.bank",
    )  # fmt: skip
    result = do_import(store, clock, samples_dir() / "standard_utf8.csv")
    with store.session() as s:
        changes = s.execute(
            select(ImportChange.action, ImportChange.previous).where(
                ImportChange.batch_id == result.batch_id
            )
        ).all()
    assert len(changes) == 1
    action, previous = changes[0]
    assert action == "filled"
    assert previous["fields"]["company"] is None


def test_a_task_runners_own_cancel_is_an_import_cancel(store, clock, tmp_path, automatic_gc):
    """The app's task runner raises its own exception from check(); the import still stops as
    a cancel (nothing kept, the cancel path's clean-up runs) and says so with ImportCancelled."""

    class RunnerCancelled(Exception):
        pass

    class RunnerState:
        calls = 0

        def check(self) -> None:
            self.calls += 1
            if self.calls > 12:
                raise RunnerCancelled()

        def progress(self, done: int, total: int, text: str = "") -> None:
            pass

    path = write_badge_csv(tmp_path / "big.csv", 6000, seed=4)
    before = snapshot(store)
    import_until_cancelled(store, clock, path, RunnerState())  # not a RunnerCancelled
    assert snapshot(store) == before
    assert gc.isenabled() and not collection.paused()
