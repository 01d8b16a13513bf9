"""Hostile files: generated junk never crashes the importer, every row gets an outcome, and a
process killed mid-import leaves the store as it was."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from app.clock import SettableClock
from app.models import Lead
from app.services.importing import DetectError, ImportOptions, run_import
from app.services.importing.synth import write_badge_csv
from app.store.db import make_engine, make_session_factory, upgrade
from tests.unit.importing.helpers import REPO, accounted, lead_count, snapshot

CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "  ", "=1+1", "@SUM(A1)", "a@b.co", "NOT@AN@EMAIL", "+1 555 010 9999",
                     "Total", "\x00", '"', "\r\n", "Ünïcödé", "x" * 2000]),
)  # fmt: skip
ROWS = st.lists(st.lists(CELL, min_size=0, max_size=8), min_size=1, max_size=25)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=ROWS,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
    header=st.booleans(),
)
def test_generated_hostile_files(tmp_path_factory, rows, delimiter, encoding, header):
    tmp = tmp_path_factory.mktemp("hostile")
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    if header:
        writer.writerow(["First Name", "Email", "Company", "Phone"])
    writer.writerows(rows)
    path = tmp / "hostile.csv"
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))
    engine = _engine()
    with make_session_factory(engine)() as session:
        try:
            result = run_import(session, CLOCK, path, options=ImportOptions(dry_run=True))
        except DetectError:
            return  # an empty or header-less file is reported, not crashed on
        assert accounted(result) == result.data_rows
        # A record spans at least one physical line: never more rows than lines.
        assert result.data_rows <= buf.getvalue().count("\n") + 1
        assert all(r.reason for r in result.rejected_rows)


CLOCK = SettableClock(datetime(2026, 3, 2, 9, tzinfo=UTC))
_ENGINE = []


def _engine():
    """One migrated SQLite store for all examples (each example rolls back)."""
    if not _ENGINE:
        folder = Path(tempfile.mkdtemp(prefix="hostile-"))
        engine = make_engine(f"sqlite:///{folder / 'h.sqlite3'}")
        upgrade(engine)
        _ENGINE.append(engine)
    return _ENGINE[0]


CHILD = r"""
import sys
from datetime import UTC, datetime
from app.clock import SettableClock
from app.store.db import make_engine, make_session_factory
from app.services.importing import ImportState, run_import

class Pause(ImportState):
    checks = 0
    def check(self):
        self.checks += 1
        if self.checks == 20:  # 20 x 256 rows: two chunks of leads written, uncommitted
            print("MARK", flush=True)
            sys.stdin.readline()  # wait here until the parent kills us

engine = make_engine(sys.argv[1])
with make_session_factory(engine)() as session:
    run_import(session, SettableClock(datetime(2026, 3, 2, tzinfo=UTC)), sys.argv[2],
               state=Pause())
    session.commit()
print("DONE", flush=True)
"""


def test_kill_9_midway_leaves_store_intact(store, clock, tmp_path):
    from tests.unit.importing.helpers import do_import, samples_dir

    do_import(store, clock, samples_dir() / "european_semicolon_bom.csv")
    before = snapshot(store)
    path = write_badge_csv(tmp_path / "big.csv", 12000, seed=11)
    url = store.url.render_as_string(hide_password=False)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "MARK"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    store.engine.dispose()  # fresh connections: see only what was committed
    assert snapshot(store) == before
    assert lead_count(store) == len(before["leads"])
    with store.engine.connect() as conn:
        if store.is_sqlite:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(select(func.count()).select_from(Lead)).scalar() == len(before["leads"])
