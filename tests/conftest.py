"""Shared fixtures: `store` runs a test on SQLite and on PostgreSQL; `clock` is settable."""

from __future__ import annotations

import contextlib
import gc
import os
import weakref
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from app.clock import SettableClock
from app.store.db import Store, make_engine, make_session_factory, upgrade
from tests.helpers import stores

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SKIP_PG = os.environ.get("LEADGATE_SKIP_PG") == "1"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a test does may touch the real user's store or preferences."""
    monkeypatch.setenv("LEADGATE_DATA_DIR", str(tmp_path / "leadgate-data"))
    monkeypatch.delenv("LEADGATE_DB", raising=False)


@pytest.fixture(scope="session")
def _ui_thread_collector(qapp: Any) -> Any:
    from app.ui.collector import collect_on_ui_thread

    return collect_on_ui_thread(qapp)


@pytest.fixture(autouse=True)
def _collect_on_ui_thread(_ui_thread_collector: Any) -> Iterator[None]:
    """The test session collects garbage as the GUI does: on the UI thread only
    (`app.ui.collector`). A collection that Python starts in a task-runner thread may free an
    earlier test's widgets from that thread; a worker crashed so mid-import in CI. Tests that
    run no event loop get their collection when they end (the timer's job in the app)."""
    yield
    _ui_thread_collector.check()


@pytest.fixture(autouse=True)
def _task_runners_drained(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every task runner a test made has finished its work before the test's objects are
    collected. Otherwise the collector may free them during a later test while one of their
    pool threads is still in the store: a worker process crashed so once (segmentation fault
    while "Garbage-collecting", pool threads in SQLite)."""
    from app.ui.workers import TaskRunner

    made: weakref.WeakSet[TaskRunner] = weakref.WeakSet()
    init = TaskRunner.__init__

    def tracked(self: TaskRunner, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.add(self)

    monkeypatch.setattr(TaskRunner, "__init__", tracked)
    yield
    if len(made):
        for runner in list(made):
            # A runner whose Qt object went with its parent: its pool waited then.
            with contextlib.suppress(RuntimeError):
                runner.wait(15000)
        gc.collect()


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stores.migrated_sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[URL]:
    """A fresh PostgreSQL database for this test session, migrated to head, dropped at the end."""
    if SKIP_PG:
        pytest.skip("LEADGATE_SKIP_PG=1: PostgreSQL tests deliberately skipped")
    try:
        url = stores.create_pg_database()
    except Exception as exc:  # fail loudly: PostgreSQL tests must run
        pytest.fail(
            f"PostgreSQL server unreachable at {stores.pg_admin_url().render_as_string()}: {exc}. "
            "Start it, point LEADGATE_TEST_PG_URL at one, or set LEADGATE_SKIP_PG=1 to skip "
            "deliberately.",
            pytrace=False,
        )
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    stores.drop_pg_database(url)


@pytest.fixture
def sqlite_store(sqlite_template: Path, tmp_path: Path) -> Iterator[Store]:
    store = stores.sqlite_store_from(sqlite_template, tmp_path)
    yield store
    store.dispose()


@pytest.fixture
def pg_store(pg_url: URL) -> Iterator[Store]:
    engine = make_engine(pg_url)
    store = Store(pg_url, engine, make_session_factory(engine))
    stores.truncate_all(store)
    yield store
    store.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """The same test on both stores."""
    name = "sqlite_store" if request.param == "sqlite" else "pg_store"
    return request.getfixturevalue(name)
