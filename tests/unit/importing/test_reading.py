"""A big file is read and validated in a second process (issue 17): the import it gives is
the one reading in this process gives, Cancel stops that process, and when it fails the user
gets one line and an untouched store."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.clock import SettableClock
from app.models import Lead
from app.services.importing import ImportState, reading, run_import
from app.services.importing.detect import DetectError
from app.services.importing.synth import write_badge_csv
from app.store.db import Store
from tests.helpers import stores
from tests.unit.importing.helpers import (
    accounted,
    do_import,
    import_until_cancelled,
    samples_dir,
    snapshot,
)


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every worker-read source the imports open, whatever the file's size."""
    monkeypatch.setenv(reading.WORKER_ENV, "1")
    opened: list[Any] = []

    class Recorded(reading._WorkerRows):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            opened.append(self)

    monkeypatch.setattr(reading, "_WorkerRows", Recorded)
    return opened


@pytest.fixture
def sqlite_store_factory(sqlite_template: Path, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """Fresh SQLite stores, as many as asked for."""
    made: list[Store] = []

    def make() -> Store:
        made.append(stores.sqlite_store_from(sqlite_template, tmp_path))
        return made[-1]

    yield make
    for store in made:
        store.dispose()


def _stored(store: Store) -> list[tuple[Any, ...]]:
    with store.session() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    Lead.display_name, Lead.email_normalized, Lead.phone_normalized, Lead.company,
                    Lead.captured_at, Lead.headcount, Lead.qualifiers, Lead.raw_row,
                    Lead.incomplete, Lead.score, Lead.tier,
                ).order_by(Lead.id)
            )
        ]  # fmt: skip


def _import_both_ways(
    make_store: Any, clock: SettableClock, path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any]:
    outcomes = []
    for worker in ("0", "1"):
        monkeypatch.setenv(reading.WORKER_ENV, worker)
        store = make_store()
        result = do_import(store, clock, path, event="Expo")
        outcomes.append((result, _stored(store)))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(
    "name", ["messy_hostile.csv", "windows_tab_cp1252.txt", "european_semicolon_bom.csv", "big"]
)
def test_the_worker_imports_exactly_what_this_process_would(
    name: str,
    sqlite_store_factory: Any,
    clock: SettableClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rejected rows with their reasons, blanks, footers, repeats merged across chunks,
    conflicts, warnings, and every stored value: the same, whichever process reads."""
    if name == "big":
        path = write_badge_csv(tmp_path / "big.csv", 7000, seed=11)
        monkeypatch.setattr("app.services.importing.run.CHUNK", 500)  # many chunks
    else:
        path = samples_dir() / name
    (here, here_leads), (there, there_leads) = _import_both_ways(
        sqlite_store_factory, clock, path, monkeypatch
    )
    assert there.counts() == here.counts()
    assert accounted(there) == there.data_rows > 0
    assert [(r.row, r.reason, r.cells) for r in there.rejected_rows] == [
        (r.row, r.reason, r.cells) for r in here.rejected_rows
    ]
    assert there.warnings == here.warnings
    assert there.conflicts == here.conflicts
    assert there_leads == here_leads and there_leads


def test_cancel_stops_the_worker_and_keeps_nothing(
    store: Store, clock: SettableClock, tmp_path: Path, workers: list[Any]
) -> None:
    path = write_badge_csv(tmp_path / "big.csv", 9000, seed=3)
    before = snapshot(store)

    class CancelOnceRowsArrive(ImportState):
        def progress(self, done: int, total: int, text: str = "") -> None:
            if done > 0:
                self.cancel()

    import_until_cancelled(store, clock, path, CancelOnceRowsArrive())
    assert snapshot(store) == before
    assert len(workers) == 1
    assert workers[0]._proc.poll() is not None  # stopped, not left reading


def test_a_worker_that_dies_is_one_clear_error_and_nothing_is_kept(
    store: Store, clock: SettableClock, workers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        reading, "worker_command", lambda: [sys.executable, "-c", "raise SystemExit(3)"]
    )
    before = snapshot(store)
    with pytest.raises(reading.WorkerError, match=r"stopped unexpectedly \(exit code 3\)"):
        do_import(store, clock, samples_dir() / "standard_utf8.csv")
    assert snapshot(store) == before


def test_the_workers_own_error_reaches_the_import_as_itself(
    store: Store, clock: SettableClock, tmp_path: Path, workers: list[Any]
) -> None:
    """A file that went away between the wizard's detection and the import: the worker's
    error, raised here with its message."""
    path = tmp_path / "scans.csv"
    path.write_text("Email,Company\na@b.example,Acme\n", encoding="utf-8")
    det = reading.Detected(path=path, kind="xlsx", size=10, headers=["Email", "Company"])
    with store.session() as s, pytest.raises(DetectError, match="not a readable Excel workbook"):
        run_import(s, clock, path, detected=det)
    assert len(workers) == 1


def test_no_second_process_means_reading_here(
    sqlite_store: Store, clock: SettableClock, workers: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "worker_command", lambda: ["/nonexistent/leadgate-worker"])
    result = do_import(sqlite_store, clock, samples_dir() / "standard_utf8.csv")
    assert result.created > 0 and not workers


def test_only_a_big_file_is_worth_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(reading.WORKER_ENV, raising=False)
    monkeypatch.setattr(reading.os, "cpu_count", lambda: 2)
    small = reading.Detected(path=tmp_path / "a.csv", kind="csv", size=200_000)
    big = reading.Detected(path=tmp_path / "b.csv", kind="csv", size=reading.WORKER_MIN_BYTES)
    assert not reading._use_worker(small) and reading._use_worker(big)
    monkeypatch.setattr(reading.os, "cpu_count", lambda: 1)  # one core: nothing to gain
    assert not reading._use_worker(big)
    monkeypatch.setenv(reading.WORKER_ENV, "0")
    monkeypatch.setattr(reading.os, "cpu_count", lambda: 8)
    assert not reading._use_worker(big)
