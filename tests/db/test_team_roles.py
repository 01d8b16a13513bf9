"""On a team database the server enforces the roles: real logins for a rep, a manager and an
owner (made with `team grant`, unique per run, dropped after) try things with raw SQL from
their own connections, and through the services and the CLI."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from app.cli.core import main
from app.clock import SettableClock
from app.demo.api import build_demo
from app.models import AuditEvent, Lead, StageTransition, User
from app.services.auth import Actor
from app.services.duplicates import api as duplicates_api
from app.services.importing import ImportOptions
from app.services.importing import api as importing_api
from app.services.importing.synth import write_badge_csv
from app.services.leads import api as leads_api
from app.services.leads.queries import record_lead_event
from app.services.scoring import api as scoring_api
from app.services.scoring.rules import load_rules
from app.services.team import api as team_api
from app.services.team.identity import server_login
from app.store.bulk import PG_STAGE_TABLE
from app.store.db import Store, make_engine, make_session_factory, upgrade
from app.store.search import lead_text_match
from app.store.uow import ServerRefused, UnitOfWork
from tests.helpers import stores

pytestmark = pytest.mark.postgres


@dataclass
class Team:
    url: URL  # the admin's (runs migrations and `team grant`)
    admin: Store
    logins: dict[str, str]  # role -> login
    ids: dict[str, int]  # rep, rep2, manager, owner -> user id
    stores: dict[str, Store]

    def login_url(self, role: str) -> URL:
        return self.url.set(username=self.logins[role])


def _store(url: URL) -> Store:
    engine = make_engine(url)
    return Store(url, engine, make_session_factory(engine))


@pytest.fixture(scope="module")
def team(pg_url: URL) -> Iterator[Team]:
    url = stores.create_pg_database("leadgate_roles")
    admin = _store(url)
    upgrade(admin.engine)
    clock = SettableClock(pg_clock_start())
    build_demo(UnitOfWork(admin.session_factory, clock), None, leads=60, accounts=8, seed=3)
    with admin.engine.begin() as conn:  # the demo writes its own ids: move the sequences on
        for table in (
            "leads",
            "accounts",
            "activities",
            "stage_transitions",
            "audit_events",
            "engagement_events",
            "alerts",
        ):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
            )
    suffix = uuid.uuid4().hex[:8]
    logins: dict[str, str] = {}
    ids: dict[str, int] = {}
    with admin.session() as session:
        users = session.scalars(select(User).order_by(User.id)).all()
        by_role = {r: [u for u in users if u.role == r] for r in ("rep", "manager", "owner")}
        open_leads = {
            owner: n
            for owner, n in session.execute(
                text("SELECT owner_id, count(*) FROM leads WHERE status = 'open' GROUP BY 1")
            )
        }
        busiest = sorted(by_role["rep"], key=lambda u: -open_leads.get(u.id, 0))
        picks = {
            "rep": busiest[0],
            "rep2": busiest[1],
            "manager": by_role["manager"][0],
            "owner": by_role["owner"][0],
        }
    for key, user in picks.items():
        role = "rep" if key == "rep2" else key
        logins[key] = f"lg_{key}_{suffix}"
        ids[key] = user.id
        team_api.grant_login(
            UnitOfWork(admin.session_factory, clock),
            Actor.system(),
            user.email,
            role,
            login=logins[key],
        )
    opened = {key: _store(url.set(username=login)) for key, login in logins.items()}
    try:
        yield Team(url, admin, logins, ids, opened)
    finally:
        for s in opened.values():
            s.dispose()
        admin.dispose()
        stores.drop_pg_database(url)
        engine = make_engine(stores.pg_admin_url())
        with engine.begin() as conn:
            for login in logins.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
        engine.dispose()


def pg_clock_start():
    from datetime import UTC, datetime

    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _lead_of(team: Team, who: str) -> int:
    with team.admin.session() as session:
        lead = session.scalar(
            select(Lead.id).where(Lead.owner_id == team.ids[who], Lead.status == "open").limit(1)
        )
    assert lead is not None
    return int(lead)


def _refused(team: Team, who: str, sql: str, **params: object) -> str:
    """Run `sql` as `who`'s own login; it must be refused with insufficient_privilege."""
    with team.stores[who].engine.connect() as conn, pytest.raises(DBAPIError) as caught:
        conn.execute(text(sql), params)
    assert getattr(caught.value.orig, "sqlstate", None) == "42501", caught.value
    return str(caught.value.orig)


def _run(conn: Connection, sql: str, **params: object) -> int:
    return conn.execute(text(sql), params).rowcount


def test_the_logins_are_who_the_server_says(team: Team) -> None:
    with team.stores["rep"].session() as session:
        login = server_login(session)
        assert (login.name, login.role) == (team.logins["rep"], "rep")
        assert session.execute(text("SELECT leadgate_user_id()")).scalar() == team.ids["rep"]
    with team.stores["manager"].session() as session:
        assert server_login(session).role == "manager"
    with team.admin.session() as session:
        assert server_login(session).is_admin


def test_a_rep_login_cannot_override_a_gate(team: Team) -> None:
    lead = _lead_of(team, "rep")  # even on their own lead
    message = _refused(
        team,
        "rep",
        "INSERT INTO stage_transitions (lead_id, to_stage_id, kind, at, override_reason) "
        "SELECT id, stage_id, 'override', now(), 'because' FROM leads WHERE id = :lead",
        lead=lead,
    )
    assert "override a gate" in message


def test_a_rep_login_cannot_reassign_another_reps_lead(team: Team) -> None:
    theirs = _lead_of(team, "rep2")
    _refused(
        team,
        "rep",
        "UPDATE leads SET owner_id = :me WHERE id = :lead",
        me=team.ids["rep"],
        lead=theirs,
    )
    _refused(team, "rep", "UPDATE leads SET deal_value = 1 WHERE id = :lead", lead=theirs)
    mine = _lead_of(team, "rep")
    _refused(team, "rep", "DELETE FROM leads WHERE id = :lead", lead=mine)
    with team.admin.session() as session:
        assert session.get(Lead, theirs).owner_id == team.ids["rep2"]  # type: ignore[union-attr]


def test_a_rep_login_cannot_edit_scoring_rules_or_other_settings(team: Team) -> None:
    _refused(team, "rep", "UPDATE settings SET value = '{}' WHERE key = 'scoring.rules'")
    _refused(team, "rep", "INSERT INTO settings (key, value) VALUES ('scoring.rules', '{}')")
    _refused(team, "rep", "UPDATE routing_rules SET active = false")
    _refused(team, "rep", "UPDATE gate_criteria SET label = 'x'")
    _refused(team, "rep", "DELETE FROM stages")


def test_history_is_append_only_for_every_app_login(team: Team) -> None:
    for who in ("rep", "manager", "owner"):
        _refused(team, who, "UPDATE stage_transitions SET note = 'rewritten'")
        _refused(team, who, "DELETE FROM stage_transitions")
        _refused(team, who, "DELETE FROM audit_events")
    _refused(team, "rep", "DELETE FROM engagement_events")
    with team.admin.session() as session:
        assert session.scalar(select(StageTransition.id).limit(1)) is not None


def test_a_rep_login_cannot_raise_their_own_role(team: Team) -> None:
    _refused(team, "rep", "UPDATE users SET role = 'owner' WHERE id = :me", me=team.ids["rep"])
    _refused(team, "rep", f'GRANT leadgate_owner TO "{team.logins["rep"]}"')
    _refused(team, "rep", f'GRANT leadgate_manager TO "{team.logins["rep"]}"')
    _refused(team, "rep", "UPDATE users SET db_login = NULL WHERE id = :me", me=team.ids["rep"])


def test_a_rep_login_works_their_own_leads_and_claims_unassigned(team: Team) -> None:
    mine = _lead_of(team, "rep")
    with team.admin.engine.begin() as conn:
        spare = conn.execute(
            text("UPDATE leads SET owner_id = NULL WHERE id = :lead RETURNING id"),
            {"lead": _lead_of(team, "rep2")},
        ).scalar()
    with team.stores["rep"].engine.begin() as conn:
        assert _run(conn, "UPDATE leads SET deal_value = 1234 WHERE id = :lead", lead=mine) == 1
        assert (
            _run(
                conn,
                "UPDATE leads SET owner_id = :me WHERE id = :lead",
                me=team.ids["rep"],
                lead=spare,
            )
            == 1
        )
        assert (
            _run(
                conn,
                "INSERT INTO stage_transitions (lead_id, to_stage_id, kind, at) "
                "SELECT id, stage_id, 'forward', now() FROM leads WHERE id = :lead",
                lead=mine,
            )
            == 1
        )
        # The automatic score refresh (decay) may touch anyone's lead, nothing else.
        assert _run(conn, "UPDATE leads SET score = score, version = version + 1") > 1


def test_a_manager_login_does_what_managers_may(team: Team) -> None:
    theirs = _lead_of(team, "rep2")
    with team.stores["manager"].engine.begin() as conn:
        assert (
            _run(
                conn,
                "UPDATE leads SET owner_id = :rep WHERE id = :lead",
                rep=team.ids["rep"],
                lead=theirs,
            )
            == 1
        )
        assert (
            _run(
                conn,
                "INSERT INTO stage_transitions (lead_id, to_stage_id, kind, at, "
                "override_reason) SELECT id, stage_id, 'override', now(), 'ok' "
                "FROM leads WHERE id = :lead",
                lead=theirs,
            )
            == 1
        )
        assert _run(conn, "UPDATE routing_rules SET active = active") >= 0
    clock = SettableClock(pg_clock_start())
    manager = Actor(team.ids["manager"], "Manager", "manager")
    back = leads_api.assign_leads(
        UnitOfWork(team.stores["manager"].session_factory, clock),
        manager,
        [theirs],
        team.ids["rep2"],
    )
    assert back.value == 1
    with team.stores["manager"].session() as session:
        rules = load_rules(session)
    saved = scoring_api.save_rules(
        UnitOfWork(team.stores["manager"].session_factory, clock), manager, rules
    )
    assert saved.value is not None


def test_through_the_services_the_server_refusal_reads_as_one_sentence(team: Team) -> None:
    clock = SettableClock(pg_clock_start())
    rep = Actor(team.ids["rep"], "Rep", "rep")
    uow = UnitOfWork(team.stores["rep"].session_factory, clock)
    with pytest.raises(ServerRefused, match="can change only their own leads"):
        leads_api.update_lead(uow, rep, _lead_of(team, "rep2"), {"deal_value": 5})
    # A forged manager actor on a rep's connection: the app would let it, the server not.
    forged = Actor(team.ids["rep"], "Rep", "manager")
    with team.stores["rep"].session() as session:
        rules = {**load_rules(session), "half_life_days": 11}
    with pytest.raises(ServerRefused, match=r"not allowed .*settings"):
        scoring_api.save_rules(UnitOfWork(team.stores["rep"].session_factory, clock), forged, rules)


def _cli(team: Team, who: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["--db", team.login_url(who).render_as_string(False), *args])
    return code, capsys.readouterr().err


def test_through_the_cli_refusals_are_one_line_exit_4(
    team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = str(_lead_of(team, "rep2"))
    code, err = _cli(
        team, "rep", "leads", "assign", theirs, "--to", str(team.ids["rep"]), capsys=capsys
    )
    assert code == 4 and err.count("\n") == 1 and "manager or the owner" in err
    with team.admin.session() as session:
        manager_email = session.get(User, team.ids["manager"]).email  # type: ignore[union-attr]
        rep_email = session.get(User, team.ids["rep"]).email  # type: ignore[union-attr]
    code, err = _cli(team, "rep", "--as", manager_email, "users", "list", capsys=capsys)
    assert code == 0  # a read needs no one in particular
    code, err = _cli(
        team,
        "rep",
        "--as",
        manager_email,
        "leads",
        "assign",
        theirs,
        "--to",
        str(team.ids["rep"]),
        capsys=capsys,
    )
    assert code == 4 and err.count("\n") == 1 and "your own login" in err
    code, err = _cli(
        team,
        "rep",
        "--as",
        rep_email,
        "leads",
        "update",
        theirs,
        "--set",
        "deal_value=5",
        capsys=capsys,
    )
    assert code == 4 and err.count("\n") == 1 and "only their own leads" in err
    code, err = _cli(team, "rep", "team", "grant", rep_email, "--role", "owner", capsys=capsys)
    assert code == 4 and err.count("\n") == 1


def test_a_reps_sweep_acts_only_on_leads_their_login_may_change(team: Team) -> None:
    from datetime import timedelta

    from app.models import Alert
    from app.services.timers import api as timers_api

    later = SettableClock(pg_clock_start() + timedelta(days=40))
    with team.admin.session() as session:
        before = {i: o for i, o in session.execute(select(Lead.id, Lead.owner_id))}
    rep = Actor(team.ids["rep"], "Rep", "rep")
    done = timers_api.run_sweep(UnitOfWork(team.stores["rep"].session_factory, later), rep).value
    acted = [r["lead_id"] for r in done.reassigned] + done.reopened + done.nurtured
    assert done.fired  # it ran and fired alerts (on everyone's leads)
    assert all(before[i] in (None, team.ids["rep"]) for i in acted)
    # The rep's login took the sweep lock and wrote the team's sweep record (no grant needed
    # for the lock; team_sweeps is granted), noting what it held back for the manager.
    from app.models import TeamSweep

    with team.admin.session() as session:
        record = session.get(TeamSweep, "team")
    assert done.skipped is None and done.held_back > 0
    assert record is not None and record.swept_at == done.now and record.held_since is not None
    # A manager's workstation then acts on the rest: nothing fires twice.
    manager = Actor(team.ids["manager"], "Manager", "manager")
    again = timers_api.run_sweep(UnitOfWork(team.stores["manager"].session_factory, later), manager)
    assert again.value.reopened or again.value.nurtured or again.value.reassigned
    with team.admin.session() as session:
        keys = session.scalars(select(Alert.key)).all()
        settled = session.get(TeamSweep, "team")
    assert settled is not None and settled.held_since is None  # nothing owed any more
    assert len(keys) == len(set(keys))


def test_a_rep_login_creates_claims_and_works_leads_through_the_services(team: Team) -> None:
    clock = SettableClock(pg_clock_start())
    rep = Actor(team.ids["rep"], "Rep", "rep")
    factory = team.stores["rep"].session_factory
    # Creating routes the lead (the round-robin turn locks the team's rows: FOR UPDATE).
    lead = leads_api.create_lead(
        UnitOfWork(factory, clock), rep, {"first_name": "Nia", "last_name": "New", "company": "Q"}
    ).value
    with team.admin.engine.begin() as conn:
        conn.execute(text("UPDATE leads SET owner_id = NULL WHERE id = :id"), {"id": lead})
    assert leads_api.claim_lead(UnitOfWork(factory, clock), rep, lead).value == 1
    leads_api.update_lead(UnitOfWork(factory, clock), rep, lead, {"title": "CTO"})
    leads_api.log_contact(UnitOfWork(factory, clock), rep, lead, "call")
    with team.admin.session() as session:
        row = session.get(Lead, lead)
        assert row is not None and (row.owner_id, row.title) == (team.ids["rep"], "CTO")
        assert row.first_contacted_at is not None


def test_a_deactivated_members_login_is_refused_and_owns_nothing(
    team: Team, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = SettableClock(pg_clock_start())
    manager = Actor(team.ids["manager"], "Manager", "manager")
    factory = team.stores["manager"].session_factory
    theirs = _lead_of(team, "rep2")
    team_api.deactivate_user(UnitOfWork(factory, clock), manager, team.ids["rep2"], leads_to=None)
    try:
        code, err = _cli(
            team, "rep2", "leads", "update", str(theirs), "--set", "title=x", capsys=capsys
        )
        assert code == 4 and "deactivated" in err
        with team.stores["rep2"].session() as session:
            assert session.execute(text("SELECT leadgate_user_id()")).scalar() is None
    finally:
        with team.admin.engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET active = true WHERE id = :id"), {"id": team.ids["rep2"]}
            )


def test_a_manager_login_merges_two_leads_and_their_history_follows(team: Team) -> None:
    """Merging re-points the other lead's history at the kept lead (the one change the
    append-only history allows, and only to managers and the owner)."""
    busy = (team.ids["rep"], team.ids["rep2"])
    clock = SettableClock(pg_clock_start())
    with team.admin.session() as session:
        keep, other = session.scalars(
            select(Lead.id)
            .where(Lead.owner_id.not_in(busy), Lead.id.in_(select(StageTransition.lead_id)))
            .order_by(Lead.id)
            .limit(2)
        ).all()
        record_lead_event(session, clock, other, "note", None, text="Met at the fair")
        session.commit()
        moves = session.scalar(
            select(func.count()).where(StageTransition.lead_id.in_([keep, other]))
        )
    manager = Actor(team.ids["manager"], "Manager", "manager")
    uow = UnitOfWork(team.stores["manager"].session_factory, clock)
    assert duplicates_api.merge_leads(uow, manager, keep, other).value == keep
    with team.admin.session() as session:
        assert session.get(Lead, other) is None
        kept = session.scalar(select(func.count()).where(StageTransition.lead_id == keep))
        left = session.scalar(
            select(func.count()).where(AuditEvent.entity == "lead", AuditEvent.entity_id == other)
        )
    assert (kept, left) == (moves, 0)
    # A rep still cannot touch history, not even where it points; a manager only that.
    _refused(team, "rep", "UPDATE stage_transitions SET lead_id = :k", k=keep)
    _refused(team, "rep", "UPDATE audit_events SET entity_id = :k", k=keep)
    _refused(
        team, "manager", "UPDATE stage_transitions SET note = 'rewritten', lead_id = :k", k=keep
    )
    _refused(team, "manager", "DELETE FROM stage_transitions WHERE lead_id = :k", k=keep)


def test_a_rep_login_dismisses_a_duplicate_suggestion(team: Team) -> None:
    rep = Actor(team.ids["rep"], "Rep", "rep")
    uow = UnitOfWork(team.stores["rep"].session_factory, SettableClock(pg_clock_start()))
    with team.admin.session() as session:
        first, second = session.scalars(select(Lead.id).order_by(Lead.id.desc()).limit(2))
    assert duplicates_api.dismiss_duplicate(uow, rep, first, second).value is True


def _badge_file(path: Path, rows: int, extra: list[list[str]] | None = None) -> Path:
    write_badge_csv(path, rows, seed=7)
    with open(path, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(extra or [])
    return path


def _staged_rows(team: Team) -> int:
    with team.admin.engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {PG_STAGE_TABLE}")) or 0)


def test_a_rep_login_imports_a_badge_file_and_search_finds_its_leads(
    team: Team, tmp_path: Path
) -> None:
    """The server refuses COPY into leads for a login under row-level security; the import
    goes through the staging table and the policies and triggers still see every lead."""
    clock = SettableClock(pg_clock_start())
    rep = Actor(team.ids["rep"], "Rep", "rep")
    with team.stores["rep"].engine.connect() as conn:
        assert conn.scalar(text("SELECT row_security_active('leads')")) is True
    path = _badge_file(tmp_path / "expo.csv", 300)
    done = importing_api.run_import(
        UnitOfWork(team.stores["rep"].session_factory, clock), rep, path,
        options=ImportOptions(event="Expo"),
    )  # fmt: skip
    result = done.value
    assert result.created > 250 and result.batch_id is not None
    with team.admin.session() as session:
        leads = session.execute(
            select(Lead.id, Lead.display_name, Lead.updated_by_id).where(
                Lead.import_batch_id == result.batch_id
            )
        ).all()
    assert len(leads) == result.created
    assert {by for _id, _name, by in leads} == {team.ids["rep"]}
    assert _staged_rows(team) == 0  # nothing left behind in the staging table
    lead_id, name, _by = leads[len(leads) // 2]
    with team.stores["rep"].session() as session:
        found = session.scalars(select(Lead.id).where(lead_text_match(name))).all()
    assert lead_id in found


def test_a_rep_import_filling_a_colleagues_lead_is_refused_and_leaves_nothing(
    team: Team, tmp_path: Path
) -> None:
    clock = SettableClock(pg_clock_start())
    with team.admin.engine.begin() as conn:  # a colleague's lead without a title
        theirs, email = conn.execute(
            text(
                "UPDATE leads SET title = NULL, owner_id = :rep2 WHERE id = (SELECT min(id) "
                "FROM leads WHERE email_normalized IS NOT NULL) RETURNING id, email_normalized"
            ),
            {"rep2": team.ids["rep2"]},
        ).one()
        before = conn.scalar(text("SELECT count(*) FROM leads"))
    row = ["Ann", "Other", email, "", "Chief Buyer", "", "", "", "", ""]
    path = _badge_file(tmp_path / "refill.csv", 200, [row])
    rep = Actor(team.ids["rep"], "Rep", "rep")
    with pytest.raises(ServerRefused, match="can change only their own leads"):
        importing_api.run_import(
            UnitOfWork(team.stores["rep"].session_factory, clock), rep, path,
            options=ImportOptions(event="Expo"),
        )  # fmt: skip
    with team.admin.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM leads")) == before
        assert conn.scalar(text("SELECT title FROM leads WHERE id = :id"), {"id": theirs}) is None
    assert _staged_rows(team) == 0


def test_a_rep_login_cannot_copy_into_leads_or_read_anothers_staged_rows(team: Team) -> None:
    """Row-level security stays on leads (COPY is refused), and staged rows are seen only by
    the transaction that wrote them: none is ever committed."""
    with team.stores["rep"].engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, psycopg.Connection)
        with (
            pytest.raises(psycopg.errors.FeatureNotSupported, match="row-level security"),
            raw.cursor() as cur,
            cur.copy("COPY leads (display_name) FROM STDIN") as copy,
        ):
            copy.write_row(("X",))
        conn.rollback()
    with team.stores["rep2"].engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {PG_STAGE_TABLE} (id, display_name) VALUES (-1, 'y')"))
        assert _staged_rows(team) == 0  # uncommitted: nobody else sees it
        conn.rollback()
