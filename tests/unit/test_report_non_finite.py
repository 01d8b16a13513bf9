"""Old rows stored before numbers were checked (deal_value Infinity, -Infinity, NaN) never
make a report print "$infM a day" or "nan%", nor emit NaN/Infinity in JSON or CSV (issue 16
item 5)."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from pathlib import Path

import pytest

from app.cli.core import main
from app.services.reports.formatting import days_text, money_text, pct, round_cell
from app.store.db import Store
from app.ui import theme

NON_FINITE = re.compile(r"(?<![A-Za-z])(inf|nan)(?![a-z])|Infinity|NaN")  # "$-infM", "nan%"


def test_formatters_show_a_dash_for_numbers_that_are_not_finite() -> None:
    for bad in (math.inf, -math.inf, math.nan):
        assert money_text(bad) == pct(bad) == days_text(bad) == round_cell(bad) == "—"
        assert theme.money(bad) == "—"
    assert money_text(2_500_000.0) == "$2.5M" and theme.money(12_000.0) == "$12k"


@pytest.mark.parametrize("name", ["velocity", "pipeline-value", "cohorts", "overview"])
def test_reports_over_old_infinite_deal_values(
    sqlite_store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str
) -> None:
    url = sqlite_store.url.render_as_string(hide_password=False)
    assert main(["--db", url, "demo", "--leads", "150", "--seed", "3"]) == 0
    path = sqlite_store.url.database
    assert path is not None
    with sqlite3.connect(path) as raw:  # as a store written before validation held them
        raw.execute(
            "UPDATE leads SET deal_value = 9e999 WHERE id IN "
            "(SELECT id FROM leads WHERE status = 'open' LIMIT 3)"
        )
        raw.execute(
            "UPDATE leads SET deal_value = -9e999 WHERE id IN "
            "(SELECT id FROM leads WHERE status = 'won' LIMIT 2)"
        )
        raw.execute(
            "UPDATE leads SET deal_value = ? WHERE id IN "
            "(SELECT id FROM leads WHERE status = 'lost' LIMIT 2)",
            (math.nan,),
        )
        assert raw.execute("SELECT count(*) FROM leads WHERE deal_value > 1e308").fetchone()[0]
    capsys.readouterr()
    csv_file = tmp_path / "r.csv"
    assert main(["--db", url, "report", name, "--csv", str(csv_file)]) == 0
    text = capsys.readouterr().out
    assert main(["--db", url, "report", name, "--json"]) == 0
    out = capsys.readouterr().out
    json.loads(out, parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))
    for printed in (text, out, csv_file.read_text(encoding="utf-8-sig")):
        assert not NON_FINITE.search(printed), NON_FINITE.search(printed)
