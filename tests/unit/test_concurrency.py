"""Two workstations on the same leads: a write that lost the race is refused in one line
("changed by NAME at TIME"), never a traceback, and never overwrites the other's work."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.clock import SettableClock
from app.models import Lead
from app.services.auth import Actor
from app.services.errors import StaleError, StoreBusy
from app.services.leads import api
from app.store.db import Store, unit_of_work
from app.store.uow import UnitOfWork
from tests.helpers.pipeline import make_lead, setup


@pytest.fixture
def team(store: Store, clock: SettableClock) -> dict[str, Any]:
    with unit_of_work(store.session_factory) as session:
        people, _stages = setup(session, clock)
        lead = make_lead(session, clock, name="Shared Lead", owner=people["rep"].id)
        return {
            "rep": Actor(people["rep"].id, people["rep"].name, people["rep"].role),
            "manager_id": people["manager"].id,
            "manager_name": people["manager"].name,
            "lead": lead.id,
        }


def edit_meanwhile(store: Store, lead_id: int, by_user_id: int | None, **values: Any) -> None:
    """Another workstation commits an edit of the lead (as the ORM would: version + 1)."""
    if by_user_id is not None:
        values["updated_by_id"] = by_user_id
    with store.session() as other:
        other.execute(
            update(Lead).where(Lead.id == lead_id).values(version=Lead.version + 1, **values)
        )
        other.commit()


@pytest.fixture
def before_first_flush() -> Iterator[Callable[[Callable[[], None]], None]]:
    """Run `action` once, when the next session flushes: after the API read the lead, before
    it writes (the moment another workstation's commit turns its write stale)."""
    hooks: list[Callable[..., None]] = []

    def arm(action: Callable[[], None]) -> None:
        def fire(_session: Session, _ctx: Any, _instances: Any) -> None:
            action()

        event.listen(Session, "before_flush", fire, once=True)
        hooks.append(fire)

    yield arm
    for fire in hooks:
        if event.contains(Session, "before_flush", fire):
            event.remove(Session, "before_flush", fire)


def _lead(store: Store, lead_id: int) -> Lead:
    with store.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


@pytest.mark.parametrize("action", ["update", "contact"])
def test_a_write_that_lost_the_race_is_one_line_naming_who(
    store: Store,
    clock: SettableClock,
    team: dict[str, Any],
    before_first_flush: Callable[[Callable[[], None]], None],
    action: str,
) -> None:
    lead_id, rep = team["lead"], team["rep"]
    before_first_flush(lambda: edit_meanwhile(store, lead_id, team["manager_id"], title="VP Sales"))
    uow = UnitOfWork(store.session_factory, clock)
    write: Callable[[], object] = (
        (lambda: api.update_lead(uow, rep, lead_id, {"industry": "Retail"}))
        if action == "update"
        else (lambda: api.log_contact(uow, rep, lead_id, "call"))
    )
    with pytest.raises(StaleError) as caught:
        write()
    message = str(caught.value)
    assert message.startswith(f"Lead {lead_id} was changed by {team['manager_name']} at ")
    assert "\n" not in message
    lead = _lead(store, lead_id)
    assert (lead.title, lead.industry, lead.version) == ("VP Sales", None, 2)
    assert lead.last_touch_at is None


def test_a_locked_store_is_one_line_and_nothing_changes(
    store: Store,
    clock: SettableClock,
    team: dict[str, Any],
    before_first_flush: Callable[[Callable[[], None]], None],
) -> None:
    def locked() -> None:
        raise OperationalError("UPDATE leads", {}, Exception("database is locked"))

    before_first_flush(locked)
    with pytest.raises(StoreBusy, match=r"^The store is busy .* Try again in a moment\.$"):
        api.update_lead(UnitOfWork(store.session_factory, clock), team["rep"], team["lead"],
                        {"industry": "Retail"})  # fmt: skip
    assert _lead(store, team["lead"]).industry is None


@pytest.fixture
def before_statement(store: Store) -> Iterator[Callable[[str, Callable[[], None]], None]]:
    """Run `action` once, just before the next statement starting with `prefix` (e.g.
    "DELETE FROM leads") goes to the store: a teammate's commit at that very moment."""
    hooks: list[Callable[..., None]] = []

    def arm(prefix: str, action: Callable[[], None]) -> None:
        fired: list[bool] = []

        def fire(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if not fired and statement.lstrip().upper().startswith(prefix.upper()):
                fired.append(True)
                action()

        event.listen(store.engine, "before_cursor_execute", fire)
        hooks.append(fire)

    yield arm
    for fire in hooks:
        event.remove(store.engine, "before_cursor_execute", fire)


def test_import_undo_leaves_leads_teammates_change_while_it_runs(
    store: Store,
    clock: SettableClock,
    team: dict[str, Any],
    before_statement: Callable[[str, Callable[[], None]], None],
) -> None:
    from app.services.importing import api as importing_api
    from tests.unit.importing.helpers import do_import, samples_dir

    with store.session() as session:  # Omar Brown is in the sample: the import fills his title
        session.add(Lead(display_name="Omar Brown", email="omar.brown@gringotts.bank",
                         email_normalized="omar.brown@gringotts.bank", company="Gringotts Ltd",
                         created_at=clock.now(), updated_at=clock.now()))  # fmt: skip
        session.commit()
    result = do_import(store, clock, samples_dir() / "standard_utf8.csv", route=False)
    assert result.updated == 1
    with store.session() as session:
        created = sorted(session.scalars(
            select(Lead.id).where(Lead.import_batch_id == result.batch_id)
        ))  # fmt: skip
        filled = session.scalars(select(Lead.id).where(Lead.display_name == "Omar Brown")).one()
    edited, called = created[0], created[1]
    rep, manager_id = team["rep"], team["manager_id"]
    uow = UnitOfWork(store.session_factory, clock)

    def teammates_meanwhile() -> None:  # the undo has read its plan; nothing deleted yet
        edit_meanwhile(store, edited, manager_id, title="Edited during the undo")
        api.log_contact(UnitOfWork(store.session_factory, clock), rep, called, "call")

    before_statement("DELETE FROM leads", teammates_meanwhile)
    if store.engine.dialect.name == "postgresql":
        # SQLite's write lock makes a teammate's write wait for the undo; PostgreSQL lets it
        # in between the undo's read of the filled lead and its revert.
        before_statement(
            "UPDATE leads", lambda: edit_meanwhile(store, filled, manager_id, country="Chile")
        )
    manager = Actor(manager_id, team["manager_name"], "manager")
    undo = importing_api.undo_import(uow, manager, result.batch_id).value

    survivors = [edited, called] + ([filled] if store.engine.dialect.name == "postgresql" else [])
    assert sorted(undo.skipped) == sorted(survivors)
    assert undo.deleted == result.created - 2
    assert undo.to_dict()["skipped"] == len(survivors)
    by = {c.lead_id: c.changed_by for c in undo.changed_by}
    assert by[edited] == team["manager_name"] and by[called] == rep.name
    with store.session() as session:
        assert session.get(Lead, edited).title == "Edited during the undo"  # type: ignore[union-attr]
        assert session.get(Lead, called).last_touch_at is not None  # type: ignore[union-attr]
        omar = session.get(Lead, filled)
        assert omar is not None
        if store.engine.dialect.name == "postgresql":
            assert (omar.title, omar.country) == ("CEO", "Chile")  # not reverted over the edit
        else:
            assert omar.title is None  # reverted: nobody changed it
        left = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.import_batch_id == result.batch_id)
        )
        assert left == 2


def test_routing_the_unassigned_leaves_a_lead_a_teammate_took_meanwhile(
    store: Store,
    clock: SettableClock,
    team: dict[str, Any],
    before_statement: Callable[[str, Callable[[], None]], None],
) -> None:
    from app.services.routing import api as routing_api

    with unit_of_work(store.session_factory) as session:
        free = make_lead(session, clock, name="Free Lead")
        free.owner_id = None
        other = make_lead(session, clock, name="Other Free Lead")
        other.owner_id = None
        session.flush()
        free_id, other_id, version = free.id, other.id, free.version
    rep, manager_id = team["rep"], team["manager_id"]
    before_statement(  # the manager gives it to the rep by hand as the routing writes
        "UPDATE leads", lambda: edit_meanwhile(store, free_id, manager_id, owner_id=rep.user_id)
    )
    manager = Actor(manager_id, team["manager_name"], "manager")
    decisions = routing_api.route_unassigned(UnitOfWork(store.session_factory, clock), manager)
    assert [d.lead_id for d in decisions.value] == [other_id]
    taken, routed = _lead(store, free_id), _lead(store, other_id)
    assert (taken.owner_id, taken.version) == (rep.user_id, version + 1)
    assert routed.owner_id is not None and routed.version == version + 1


def test_import_fill_leaves_a_lead_a_teammate_edits_meanwhile(
    store: Store,
    clock: SettableClock,
    team: dict[str, Any],
    before_statement: Callable[[str, Callable[[], None]], None],
) -> None:
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite: the import holds the write lock, a teammate's edit waits for it")
    from tests.unit.importing.helpers import do_import, samples_dir

    with store.session() as session:  # Omar Brown is in the sample, with a title
        omar = Lead(display_name="Omar Brown", email="omar.brown@gringotts.bank",
                    email_normalized="omar.brown@gringotts.bank", company="Gringotts Ltd",
                    created_at=clock.now(), updated_at=clock.now())  # fmt: skip
        session.add(omar)
        session.commit()
        omar_id = omar.id
    before_statement(
        "UPDATE leads", lambda: edit_meanwhile(store, omar_id, team["manager_id"], title="CFO")
    )
    result = do_import(store, clock, samples_dir() / "standard_utf8.csv", route=False)
    lead = _lead(store, omar_id)
    assert (lead.title, lead.version) == ("CFO", 2)  # the teammate's edit, not the file's
    assert any("changed by a teammate during the import" in w for w in result.warnings)
    with store.session() as session:
        from app.models import ImportChange

        assert session.scalar(select(func.count()).select_from(ImportChange)) == 0


def test_two_imports_of_one_file_at_once_create_each_lead_once(
    store: Store, clock: SettableClock, team: dict[str, Any], tmp_path: Path
) -> None:
    from app.services.importing import api as importing_api
    from app.services.importing.synth import write_badge_csv

    path = write_badge_csv(tmp_path / "expo.csv", 1500, seed=7)
    manager = Actor(team["manager_id"], team["manager_name"], "manager")
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def run() -> None:
        start.wait()
        try:
            outcomes.append(importing_api.run_import(
                UnitOfWork(store.session_factory, clock), manager, path
            ).value)  # fmt: skip
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [type(o).__name__ for o in outcomes] == ["ImportResult", "ImportResult"]
    with store.session() as session:
        leads = session.scalar(select(func.count()).select_from(Lead))
        emails = session.scalar(select(func.count(func.distinct(Lead.email_normalized))))
        blank = session.scalar(
            select(func.count()).select_from(Lead).where(Lead.email_normalized.is_(None))
        )
    created = sorted(o.created for o in outcomes)  # type: ignore[attr-defined]
    assert created[0] == 0 and created[1] > 1000  # the second found every lead of the first
    assert leads == 1 + created[1]  # the team's shared lead and the file's, once each
    assert emails + (blank or 0) == leads


def _cli(capsys: pytest.CaptureFixture[str], store: Store, *args: str) -> tuple[int, str, str]:
    from app.cli.core import main

    code = main(["--db", store.url.render_as_string(hide_password=False), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_error_file_that_cannot_be_written_is_refused_before_the_import(
    store: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from tests.unit.importing.actors import MANAGER_EMAIL, add_team
    from tests.unit.importing.helpers import samples_dir, snapshot

    add_team(store)
    monkeypatch.setenv("LEADGATE_USER", MANAGER_EMAIL)
    before = snapshot(store)
    sample = str(samples_dir() / "messy_hostile.csv")  # it has rejected rows
    for target in (tmp_path / "missing" / "errors.csv", tmp_path):
        code, out, err = _cli(capsys, store, "import", sample, "--error-file", str(target))
        assert code != 0 and out == ""
        assert err.startswith("leadgate: --error-file") and err.count("\n") == 1
        assert snapshot(store) == before


def test_a_disk_full_mid_import_leaves_the_store_unchanged(
    store: Store,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import sqlite3

    from app.services.importing.synth import write_badge_csv
    from app.store.bulk import BulkWriter
    from tests.unit.importing.actors import MANAGER_EMAIL, add_team
    from tests.unit.importing.helpers import snapshot

    add_team(store)
    monkeypatch.setenv("LEADGATE_USER", MANAGER_EMAIL)
    path = write_badge_csv(tmp_path / "big.csv", 5000, seed=5)
    before = snapshot(store)
    real_write, calls = BulkWriter.write, []

    def write(self: BulkWriter, table: str, columns: Any, rows: Any) -> None:
        calls.append(table)
        if len(calls) == 3:  # the first chunk is stored; the disk fills up on the next
            raise OperationalError(
                "INSERT", {}, sqlite3.OperationalError("database or disk is full")
            )
        real_write(self, table, columns, rows)

    monkeypatch.setattr(BulkWriter, "write", write)
    code, out, err = _cli(capsys, store, "import", str(path))
    assert len(calls) == 3
    assert code != 0 and out == ""
    assert (
        err == "leadgate: The disk holding the store is full; nothing was changed. Free some "
        "space and try again.\n"
    )
    assert snapshot(store) == before
