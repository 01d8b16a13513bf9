"""The CLI prints the documented JSON; exported CSVs never carry a live formula."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.cli.core import main
from app.store.db import Store as _Store
from app.store.db import make_engine, make_session_factory
from tests.unit.importing.actors import MANAGER_EMAIL, REP_EMAIL, add_team_at
from tests.unit.importing.helpers import samples_dir, snapshot

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _snapshot(db: str) -> dict:
    engine = make_engine(db)
    try:
        return snapshot(_Store(engine.url, engine, make_session_factory(engine)))
    finally:
        engine.dispose()


def test_cli_import_undo_and_export(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    add_team_at(db)
    monkeypatch.setenv("LEADGATE_USER", REP_EMAIL)  # a rep imports and exports
    sample = samples_dir() / "messy_hostile.csv"
    code, out, _ = _run(capsys, "--db", db, "import", str(sample), "--event", "Expo", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("created", "updated", "merged", "rejected", "skipped_blank", "incomplete",
                "possible_duplicates", "batch_id", "encoding", "delimiter", "header_row",
                "mapping", "error_file"):  # fmt: skip
        assert key in data
    assert (data["created"], data["merged"], data["rejected"]) == (57, 4, 3)
    assert data["mapping"]["Email"] == "email"
    with open(data["error_file"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:2] == ["row", "reason"]
    assert len(rows) == 1 + 3
    assert all(r[1] for r in rows[1:])  # every rejected row says why

    export = tmp_path / "leads.csv"
    code, out, _ = _run(capsys, "--db", db, "export", "leads", str(export), "--json")
    assert code == 0 and json.loads(out)["leads"] == 57
    text = export.read_text(encoding="utf-8-sig")
    with open(export, encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert not [c for c in cells if c.startswith(DANGEROUS)]
    assert "'=HYPERLINK(" in text and "'+SUM(1,2)" in text and "'@cmd" in text

    code, out, _ = _run(capsys, "--db", db, "import", str(sample), "--dry-run", "--json")
    assert json.loads(out)["created"] == 0 and json.loads(out)["batch_id"] is None

    # A rep cannot undo it: one line, a non-zero exit, the store as it was.
    before = _snapshot(db)
    code, out, err = _run(capsys, "--db", db, "imports", "undo", str(data["batch_id"]))
    assert code == 4 and out == ""
    assert err.strip().count("\n") == 0
    assert err.startswith("leadgate: Only a manager or the owner can undo an import")
    assert _snapshot(db) == before
    batch = str(data["batch_id"])
    code, out, _ = _run(capsys, "--db", db, "--as", MANAGER_EMAIL, "imports", "undo", batch,
                        "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["deleted"] == 57
    code, out, err = _run(capsys, "--db", db, "--as", MANAGER_EMAIL, "imports", "undo", batch)
    assert code != 0 and "already undone" in err and "Traceback" not in err
    code, out, _ = _run(capsys, "--db", db, "imports", "list", "--json")
    assert code == 0 and [b["status"] for b in json.loads(out)] == ["undone"]


def test_cli_a_file_called_undo_is_imported_like_any_other(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    add_team_at(db)
    monkeypatch.chdir(tmp_path)
    Path("undo").write_text("Name,Email,Company\r\nAda Lovelace,ada@engine.org,Analytical\r\n",
                            encoding="utf-8")  # fmt: skip
    code, out, err = _run(capsys, "--db", db, "--as", REP_EMAIL, "import", "undo", "--json")
    assert code == 0, err
    assert json.loads(out)["created"] == 1
    # `import undo 3` is no longer an undo: a stray argument is a usage error, nothing changes.
    before = _snapshot(db)
    with pytest.raises(SystemExit) as usage:
        main(["--db", db, "--as", MANAGER_EMAIL, "import", "undo", "1"])
    assert usage.value.code == 2 and "unrecognized arguments: 1" in capsys.readouterr().err
    assert _snapshot(db) == before


def test_cli_presets_are_saved_and_reapplied(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    add_team_at(db)
    monkeypatch.setenv("LEADGATE_USER", REP_EMAIL)
    path = tmp_path / "odd.csv"
    path.write_text("Kontakt,Adresse,Haus\r\nAda Lovelace,ada@engine.org,Analytical\r\n",
                    encoding="utf-8")  # fmt: skip
    code, out, _ = _run(capsys, "--db", db, "import", str(path), "--json", "--dry-run")
    assert json.loads(out)["mapping"].get("Haus") is None
    # Save a mapping under a name; the same header then gets it without asking.
    from app.clock import SystemClock
    from app.services.importing import Mapping, save_preset
    from app.store.db import make_engine, make_session_factory

    engine = make_engine(db)
    with make_session_factory(engine)() as s:
        save_preset(
            s,
            SystemClock(),
            "Analytical fair",
            Mapping(["Kontakt", "Adresse", "Haus"], ["full_name", "email", "company"]),
        )
        s.commit()
    engine.dispose()
    code, out, _ = _run(capsys, "--db", db, "import", str(path), "--json")
    data = json.loads(out)
    assert data["preset"] == "Analytical fair"
    assert data["mapping"]["Haus"] == "company"
    assert data["incomplete"] == 0
    code, _, err = _run(capsys, "--db", db, "import", str(path), "--preset", "nope")
    assert code == 2 and "No mapping preset" in err


def test_cli_reports_unreadable_file(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    add_team_at(db)
    code, _, err = _run(capsys, "--db", db, "--as", REP_EMAIL, "import", str(empty))
    assert code == 1 and "empty" in err and "Traceback" not in err


def test_cli_import_needs_to_know_who(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    add_team_at(db)
    monkeypatch.delenv("LEADGATE_USER", raising=False)
    sample = samples_dir() / "messy_hostile.csv"
    code, _, err = _run(capsys, "--db", db, "--as", "nobody@example.com", "import", str(sample))
    assert code != 0 and "--as nobody@example.com" in err
    assert _snapshot(db)["leads"] == []
