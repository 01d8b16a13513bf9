"""`users add|update|deactivate` and `routing show|set|preview`, on both stores: JSON out,
one-line errors that change nothing, and routing that honours the set-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli.core import main
from app.models import Lead, User
from app.store.db import Store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli(store: Store, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    url = store.url.render_as_string(hide_password=False)
    assert run(capsys, "--db", url, "demo", "--leads", "120", "--seed", "5")[0] == 0
    with store.session() as s:
        owner = s.scalar(select(User.email).where(User.role == "owner"))
        rep = s.scalar(select(User.email).where(User.role == "rep").order_by(User.id))

    def call(*args: str, who: str | None = owner) -> tuple[int, str, str]:
        prefix = ["--db", url] + (["--as", who] if who else [])
        return run(capsys, *prefix, *args)

    call.rep = rep  # type: ignore[attr-defined]
    return call


def test_users_add_update_and_their_errors(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "users",
        "add",
        "--name",
        "Nina Neu",
        "--email",
        "nina@example.com",
        "--role",
        "rep",
        "--territory",
        "Nordics",
        "--capacity",
        "12",
        "--json",
    )
    assert code == 0
    nina = json.loads(out)
    assert (nina["role"], nina["territory"], nina["capacity"]) == ("rep", "Nordics", 12)
    code, out, _ = cli(
        "users",
        "update",
        "nina@example.com",
        "--hours",
        "8:30-17:00",
        "--timezone",
        "Europe/Oslo",
        "--away",
        "2026-03-02:2026-03-04",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["work_hours"] == "08:30-17:00" and data["absences"] == ["2026-03-02:2026-03-04"]
    for bad, words in (
        (["--timezone", "Mars/Base"], "not a time zone"),
        (["--hours", "17:00-09:00"], "start before end"),
        (["--away", "2026-03-09:2026-03-01"], "ends before it starts"),
        (["--capacity", "-3"], "between 0 and 100,000"),
        (["--email", "not-an-address"], "not an e-mail"),
    ):
        code, _, err = cli("users", "update", "nina@example.com", *bad)
        assert code != 0 and words in err and err.count("\n") == 1, (bad, err)
    code, _, err = cli("users", "update", "nina@example.com", "--role", "owner", who=cli.rep)
    assert code == 4 and "manager or the owner" in err
    with store.session() as s:
        row = s.scalar(select(User).where(User.email == "nina@example.com"))
        assert row is not None and (row.timezone, row.capacity, row.role) == (
            "Europe/Oslo",
            12,
            "rep",
        )


def test_deactivate_hands_the_leads_on(cli, store: Store) -> None:  # type: ignore[no-untyped-def]
    with store.session() as s:
        counts = {
            uid: n
            for uid, n in s.execute(
                select(Lead.owner_id, func.count())
                .where(Lead.status == "open")
                .group_by(Lead.owner_id)
            )
        }
        reps = s.scalars(select(User.id).where(User.role == "rep").order_by(User.id)).all()
    leaving, taking = sorted(reps, key=lambda r: -counts.get(r, 0))[:2]
    code, out, _ = cli("users", "deactivate", str(leaving), "--leads-to", str(taking), "--json")
    assert code == 0 and json.loads(out)["leads_moved"] == counts[leaving]
    with store.session() as s:
        assert (
            s.scalar(select(func.count()).where(Lead.owner_id == leaving, Lead.status == "open"))
            == 0
        )
        assert s.scalar(
            select(func.count()).where(Lead.owner_id == taking, Lead.status == "open")
        ) == (counts[leaving] + counts.get(taking, 0))
    code, _, err = cli("users", "deactivate", str(taking), "--leads-to", str(leaving))
    assert code != 0 and "no active team member" in err
    code, out, _ = cli("users", "list", "--json")
    assert leaving not in {u["id"] for u in json.loads(out)}
    code, out, _ = cli("users", "list", "--all", "--json")
    assert leaving in {u["id"] for u in json.loads(out)}


def test_routing_show_set_and_preview(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("routing", "show", "--json")
    assert code == 0
    setup = json.loads(out)
    assert setup["pool"] is None and setup["territories"]["Germany"] == "DACH"
    target = setup["rules"][0]["target_user_id"]
    setup["rules"] = [{"name": "Everything", "conditions": {}, "target_user_id": target}]
    path = tmp_path / "routing.json"
    path.write_text(json.dumps(setup), encoding="utf-8")
    code, out, _ = cli("routing", "preview", "--file", str(path), "--limit", "20", "--json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 20
    assert any(r["changed"] for r in rows)  # the draft sends everyone to one rep
    code, out, _ = cli("routing", "set", "--file", str(path), "--territory", "Mars=Red", "--json")
    saved = json.loads(out)
    assert code == 0 and [r["name"] for r in saved["rules"]] == ["Everything"]
    assert saved["territories"]["Mars"] == "Red"
    bad = dict(
        setup, rules=[{"name": "Odd", "conditions": {"colour": ["red"]}, "target_user_id": target}]
    )
    path.write_text(json.dumps(bad), encoding="utf-8")
    code, _, err = cli("routing", "set", "--file", str(path))
    assert code != 0 and "unknown condition colour" in err and err.count("\n") == 1
    code, _, err = cli("routing", "set", "--territory", "Mars", "--json")
    assert code == 2 and "COUNTRY=TERRITORY" in err
    code, _, err = cli("routing", "set", "--pool", str(target), who=cli.rep)
    assert code == 4 and "routing rules" in err
    code, out, _ = cli("routing", "show", "--json")
    assert [r["name"] for r in json.loads(out)["rules"]] == ["Everything"]  # nothing changed
