"""The CLI prints the documented JSON; exported CSVs never carry a live formula."""

from __future__ import annotations

import csv
import json

from app.cli.core import main
from tests.unit.importing.helpers import samples_dir

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_import_undo_and_export(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
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

    code, out, _ = _run(capsys, "--db", db, "import", "undo", str(data["batch_id"]), "--json")
    assert code == 0 and json.loads(out)["deleted"] == 57
    code, out, err = _run(capsys, "--db", db, "import", "undo", str(data["batch_id"]))
    assert code != 0 and "already undone" in err


def test_cli_presets_are_saved_and_reapplied(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
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
    code, _, err = _run(capsys, "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}", "import", str(empty))
    assert code == 1 and "empty" in err
