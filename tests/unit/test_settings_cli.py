"""`leadgate settings show|set`: one list of lifecycle settings, one-line refusals."""

from __future__ import annotations

import json

import pytest

from app.cli.core import main
from app.clock import SettableClock
from app.services.followups.settings import load_settings
from app.store.db import Store
from tests.helpers.followups import make_team


def _run(store: Store, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--db", store.url.render_as_string(), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_settings_show_and_set_response_windows_hours_and_stale_limits(
    store: Store, clock: SettableClock, capsys: pytest.CaptureFixture[str]
) -> None:
    with store.session() as s:
        make_team(s)
        s.commit()
    code, out, _ = _run(store, capsys, "settings", "show", "--json")  # a read: anyone
    shown = json.loads(out)
    assert code == 0
    assert shown["sla_minutes.Urgent"] == 5 and shown["sla_minutes.Low"] == 0
    assert shown["same_day_tiers"] == ["High"] and shown["sla_minutes.Medium"] == 1440
    assert shown["stale_hours.New"] == 24 and shown["stale_hours.Discovery complete"] == 48
    code, out, err = _run(
        store,
        capsys,
        "--as",
        "maria@example.com",
        "settings",
        "set",
        "sla_minutes.Urgent=10",
        "work_timezone=Europe/Berlin",
        "work_days=0,1,2,3",
        "stale_hours.new=12",
        "--json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["stale_hours.New"] == 12 and data["work_days"] == [0, 1, 2, 3]
    with store.session() as s:
        saved = load_settings(s)
    assert saved.sla_minutes["Urgent"] == 10 and saved.work_timezone == "Europe/Berlin"
    # The old spelling still works.
    code, out, _ = _run(store, capsys, "followups", "settings", "--json")
    assert code == 0 and json.loads(out)["sla_minutes"]["Urgent"] == 10


@pytest.mark.parametrize(
    ("who", "pairs", "message"),
    [
        ("maria", ["work_timezone=Mars/Base"], "'Mars/Base' is not a time zone"),
        ("maria", ["stale_hours.Foo=3"], "no open stage 'Foo'"),
        ("maria", ["work_start_hour=18"], "The working day must start before it ends"),
        ("maria", ["bogus=1"], "Unknown setting 'bogus'"),
        ("maria", ["dormant_days=45", "sla_minutes.Low=abc"], "Low response window"),
        ("ana", ["dormant_days=3"], "Only a manager or the owner"),
        ("maria", ["dormant_days"], "write KEY=VALUE"),
    ],
)
def test_settings_set_refuses_bad_values_in_one_line_and_changes_nothing(
    sqlite_store: Store,
    capsys: pytest.CaptureFixture[str],
    who: str,
    pairs: list[str],
    message: str,
) -> None:
    with sqlite_store.session() as s:
        make_team(s)
        s.commit()
    code, out, err = _run(
        sqlite_store, capsys, "--as", f"{who}@example.com", "settings", "set", *pairs
    )
    assert code != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    with sqlite_store.session() as s:
        assert load_settings(s).dormant_days == 30
