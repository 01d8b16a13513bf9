"""A rep's login on a shared PostgreSQL store has no DDL rights (the admin's migrations create
every table, index and trigger): the reports, the refresh of their facts included, still run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ProgrammingError

from app.clock import SettableClock
from app.models import Pipeline, ReportJourney, ReportJourneyQueue, StageTransition
from app.services.reports import journeys as rj
from app.services.reports import metrics as m
from app.services.timers.sweep import sweep
from app.store.db import Store, make_engine, make_session_factory, upgrade
from tests.helpers import stores
from tests.helpers.report_history import PERIOD, build_history
from tests.helpers.report_history import at as when

pytestmark = pytest.mark.postgres

FEB = m.MetricsFilter(date_from=PERIOD[0], date_to=PERIOD[1])


@dataclass
class Logins:
    admin: Store  # the owner of the schema (runs the migrations)
    rep: Store  # DML only


def _store(url: URL) -> Store:
    engine = make_engine(url)
    return Store(url, engine, make_session_factory(engine))


@pytest.fixture
def logins(pg_url: URL) -> Iterator[Logins]:
    url = stores.create_pg_database("leadgate_dml")
    role = f"leadgate_rep_{uuid.uuid4().hex[:10]}"
    admin = _store(url)
    upgrade(admin.engine)
    with admin.engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        conn.execute(text(f'GRANT CONNECT ON DATABASE "{url.database}" TO {role}'))
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(
            text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        )
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    rep = _store(url.set(username=role))
    try:
        yield Logins(admin, rep)
    finally:
        rep.dispose()
        admin.dispose()
        stores.drop_pg_database(url)
        engine = make_engine(stores.pg_admin_url())
        with engine.begin() as conn:
            conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        engine.dispose()


def test_the_rep_login_really_cannot_change_the_schema(logins: Logins) -> None:
    with logins.rep.session() as session, pytest.raises(ProgrammingError, match="owner"):
        session.execute(text("DROP INDEX ix_report_journeys_open"))


def test_reports_run_on_a_fresh_store_as_a_login_without_ddl_rights(
    logins: Logins, clock: SettableClock
) -> None:
    with logins.rep.session() as session:
        h = build_history(session)
        session.commit()
        first = rj.refresh_journeys(session)  # the first build: every lead
        session.commit()
        assert first.full and first.leads == 5
        dashboard = m.compute_dashboard(session, clock, FEB)
        assert dashboard.funnel.cohort == 4  # February's leads
        # A move queues its lead (the migration's trigger) and the next refresh folds it in.
        session.execute(
            insert(StageTransition).values(
                lead_id=h.leads["L4"],
                from_stage_id=h.stage["New"],
                to_stage_id=h.stage["Initial interest"],
                kind="forward",
                at=when(2, 20),
            )
        )
        session.commit()
        again = rj.refresh_journeys(session)
        assert not again.full and again.leads == 1
        funnel = m.funnel(session, clock, FEB)
        assert {s.stage: s.reached for s in funnel.steps}["Initial interest"] == 3
        # A forced full rebuild, the timer sweep and another pipeline's one-off report too.
        assert rj.refresh_journeys(session, full=True).leads == 5
        session.commit()
        sweep(session, clock.now())
        session.commit()
        default_id = session.scalar(select(Pipeline.id).where(Pipeline.is_default.is_(True)))
        other = m.funnel(session, clock, m.MetricsFilter(*PERIOD, pipeline_id=default_id))
        assert other.cohort == 4
        session.commit()
        assert session.scalar(select(ReportJourneyQueue.id)) is None
    with logins.admin.session() as session:
        assert session.scalar(select(ReportJourney.lead_id).limit(1)) is not None
        n = session.execute(
            text("SELECT COUNT(*) FROM pg_indexes WHERE indexname LIKE 'ix_report_%'")
        ).scalar()
        assert n == 10  # the migrations' indexes (0006 and 0013_handoff) are all still there
