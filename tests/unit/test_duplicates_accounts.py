"""Duplicates at manual entry, merging two leads, accounts and account-owner routing."""

from __future__ import annotations

import json

import pytest

from app.cli.core import main
from app.clock import SettableClock
from app.models import Account, Activity, Lead
from app.services.auth import Actor
from app.services.duplicates import api as dup_api
from app.services.duplicates.core import DuplicateLeadError, resolve_lead_id
from app.services.leads import api
from app.services.leads.detail import lead_history
from app.services.leads.moves import schedule_activity
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers.pipeline import setup


@pytest.fixture
def actors(store: Store, clock: SettableClock) -> dict[str, Actor]:
    with unit_of_work(store.session_factory) as session:
        people, _ = setup(session, clock)
        return {k: Actor(u.id, u.name, u.role) for k, u in people.items()}


def _create(store: Store, clock: SettableClock, actor: Actor, reason: str | None = None,
            **values: str) -> int:  # fmt: skip
    return api.create_lead(UnitOfWork(store.session_factory, clock), actor, values, reason).value


def test_same_email_is_refused_naming_the_lead_and_a_reason_creates_it(
    store: Store, clock: SettableClock, actors: dict[str, Actor]
) -> None:
    rep = actors["rep"]
    first = _create(store, clock, rep, name="Ada Lovelace", email="ada@engines.io")
    with pytest.raises(DuplicateLeadError, match=f"lead {first} .*same e-mail"):
        _create(store, clock, rep, name="A. Lovelace", email=" ADA@Engines.io ")
    with pytest.raises(DuplicateLeadError, match=f"lead {first} .*similar name"):
        _create(store, clock, rep, name="Ada Lovelace", email="ada.l@engines.io",
                company="Engines")  # fmt: skip
    with store.session() as session:
        assert session.query(Lead).count() == 1
    second = _create(store, clock, rep, "second mailbox", name="Ada L", email="ada@engines.io")
    with store.session() as session:
        texts = [h.text for h in lead_history(session, second)]
    assert any("second mailbox" in t for t in texts)


def test_a_new_lead_at_a_known_domain_goes_to_the_account_owner(
    store: Store, clock: SettableClock, actors: dict[str, Actor]
) -> None:
    manager, rep = actors["manager"], actors["rep"]
    with unit_of_work(store.session_factory) as session:
        session.add(Account(company="Initech", domain="initech.com", owner_id=manager.user_id))
    lead_id = _create(store, clock, rep, name="Peter Gibbons", email="peter@initech.com")
    free = _create(store, clock, rep, name="Milton W", email="milton@gmail.com")
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.owner_id == manager.user_id
        assert "Account owner" in (lead.routing_reason or "")
        account = session.get(Account, lead.account_id)
        assert account is not None and account.company == "Initech"
        milton = session.get(Lead, free)
        assert milton is not None and milton.account_id is None  # free mail names no company


def test_merge_keeps_both_histories_and_the_other_id_opens_the_kept_lead(
    store: Store, clock: SettableClock, actors: dict[str, Actor]
) -> None:
    rep = actors["rep"]
    keep = _create(store, clock, rep, name="Grace Hopper", email="grace@navy.mil", title="RADM")
    other = _create(store, clock, rep, "conference badge", name="G. Hopper",
                    email="grace@navy.mil", phone="+1 202 555 0100", title="Admiral")  # fmt: skip
    with unit_of_work(store.session_factory) as session:
        schedule_activity(session, clock, other, "call", clock.now().replace(year=2027), None)
    uow = UnitOfWork(store.session_factory, clock)
    plan = dup_api.merge_preview(uow, rep, keep, other).value
    assert (plan.keep.id, plan.other.id) == (keep, other)
    assert {f.field for f in plan.fields} >= {"display_name", "title"}
    result = dup_api.merge_leads(uow, rep, keep, other, ["title"])
    assert result.value == keep and result.changes.affects(other)
    with store.session() as session:
        assert session.get(Lead, other) is None
        assert resolve_lead_id(session, other) == keep
        lead = session.get(Lead, keep)
        assert lead is not None
        assert (lead.display_name, lead.title, lead.phone) == (
            "Grace Hopper",
            "Admiral",
            "+1 202 555 0100",
        )
        texts = [h.text for h in lead_history(session, keep)]
        calls = session.query(Activity).filter_by(lead_id=keep, type="call").count()
    assert any("conference badge" in t for t in texts)  # the other lead's history came along
    assert any(f"Merged lead {other}" in t for t in texts)
    assert calls == 1


def test_cli_merge_then_show_resolves_the_other_id(
    store: Store, clock: SettableClock, actors: dict[str, Actor],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    url = store.url.render_as_string(hide_password=False)
    rep = actors["rep"]
    keep = _create(store, clock, rep, name="Alan Turing", email="alan@bletchley.uk")
    code = main(["--db", url, "--as", str(rep.user_id), "leads", "add", "--set",
                 "name=Alan Turing", "--set", "email=alan@bletchley.uk"])  # fmt: skip
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and f"lead {keep}" in err
    other = _create(store, clock, rep, "typo", name="Alan Turing", email="alan@bletchley.uk")
    code = main(["--db", url, "--as", str(rep.user_id), "leads", "merge", str(keep), str(other),
                 "--json"])  # fmt: skip
    assert code == 0
    assert json.loads(capsys.readouterr().out)["id"] == keep
    assert main(["--db", url, "leads", "show", str(other), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == keep
    assert shown["account"]["domain"] == "bletchley.uk"
    assert main(["--db", url, "accounts", "show", str(shown["account"]["id"]), "--json"]) == 0
    account = json.loads(capsys.readouterr().out)
    assert [lead["id"] for lead in account["lead_list"]] == [keep]
    assert main(["--db", url, "accounts", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["company"] == "bletchley.uk"


def test_an_import_links_new_leads_to_known_accounts_and_routes_them_to_the_owner(
    store: Store, clock: SettableClock, actors: dict[str, Actor], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from app.services.importing import api as importing_api

    manager = actors["manager"]
    with unit_of_work(store.session_factory) as session:
        account = Account(company="Initech", domain="initech.com", owner_id=manager.user_id)
        session.add(account)
        session.flush()
        account_id = account.id
    path = tmp_path / "badges.csv"
    path.write_text(
        "Name,Email,Company\r\nPeter Gibbons,peter@initech.com,Initech\r\n"
        "Joanna Doe,joanna@chotchkies.com,Chotchkies\r\n",
        encoding="utf-8",
    )
    importing_api.run_import(UnitOfWork(store.session_factory, clock), actors["rep"], path)
    with store.session() as session:
        peter = session.query(Lead).filter_by(email_normalized="peter@initech.com").one()
        joanna = session.query(Lead).filter_by(email_normalized="joanna@chotchkies.com").one()
        assert peter.account_id == account_id and peter.owner_id == manager.user_id
        assert "Account owner" in (peter.routing_reason or "")
        assert joanna.account_id is None
