"""`routing set|show|preview` with deal-value bounds, on both stores: the bounds go in through
the set-up JSON like every other condition, come back in `show --json` and in the rule's
sentence, move leads in the preview, and a bad bound is one line that changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.cli.core import main
from app.models import Lead, User
from app.store.db import Store


@pytest.fixture
def cli(store: Store, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    url = store.url.render_as_string(hide_password=False)
    assert main(["--db", url, "demo", "--leads", "60", "--seed", "3"]) == 0
    capsys.readouterr()
    with store.session() as s:
        owner = s.scalar(select(User.email).where(User.role == "owner"))

    def call(*args: str) -> tuple[int, str, str]:
        code = main(["--db", url, "--as", str(owner), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_deal_value_bounds_through_the_cli(cli, store: Store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("routing", "show", "--json")
    setup = json.loads(out)
    with store.session() as s:
        # Five of the recent leads have no deal value yet (the demo gives every lead one).
        recent = s.scalars(select(Lead.id).order_by(Lead.created_at.desc()).limit(5)).all()
        s.execute(update(Lead).where(Lead.id.in_(recent)).values(deal_value=None))
        s.commit()
        rep_id, rep_name = s.execute(
            select(User.id, User.name).where(User.role == "rep").order_by(User.id).limit(1)
        ).one()
        values = dict(s.execute(select(Lead.id, Lead.deal_value)).all())
    big = {"min_deal_value": 30_000, "max_deal_value": 90_000.5}
    setup["rules"] = [{"name": "Mid deals", "conditions": big, "target_user_id": rep_id}]
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(setup), encoding="utf-8")

    code, out, _ = cli("routing", "preview", "--file", str(path), "--json")
    assert code == 0
    rows = json.loads(out)
    amounts = {i: None if v is None else float(v) for i, v in values.items()}
    in_range = [r for r in rows if 30_000 <= (amounts[r["lead_id"]] or -1) <= 90_000.5]
    without = [r for r in rows if amounts[r["lead_id"]] is None]
    assert in_range and len(without) == 5
    assert all(
        r["owner_then"] == rep_name or r["reason"].startswith("Account owner") for r in in_range
    )
    assert all("Mid deals: the lead has no deal value" in r["reason"] for r in without
               if not r["reason"].startswith("Account owner"))  # fmt: skip

    code, out, _ = cli("routing", "set", "--file", str(path), "--json")
    assert code == 0
    assert json.loads(out)["rules"][0]["conditions"] == big
    code, out, _ = cli("routing", "show", "--json")
    assert json.loads(out)["rules"][0]["conditions"] == big
    code, out, _ = cli("routing", "show")
    assert f"Mid deals: Deal value ≥ 30,000 and deal value ≤ 90,000.50 → {rep_name}" in out

    for bad, message in (
        ({"min_deal_value": -5}, "rule 1: min_deal_value must be an amount from 0"),
        ({"min_deal_value": 9000, "max_deal_value": 10}, "the minimum deal value (9,000) is above"),
    ):
        setup["rules"][0]["conditions"] = bad
        path.write_text(json.dumps(setup), encoding="utf-8")
        code, _, err = cli("routing", "set", "--file", str(path))
        assert code != 0 and message in err and err.count("\n") == 1
        code, _, err = cli("routing", "preview", "--file", str(path))
        assert code != 0 and message in err and err.count("\n") == 1
    code, out, _ = cli("routing", "show", "--json")
    assert json.loads(out)["rules"][0]["conditions"] == big  # nothing changed
