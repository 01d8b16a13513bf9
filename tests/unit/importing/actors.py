"""Team members for the import tests: a manager (may undo imports) and a rep (may not)."""

from __future__ import annotations

from app.models import Role
from app.services.auth import Actor
from app.services.team.users import create_user
from app.store.db import Store, make_engine, make_session_factory, upgrade

MANAGER_EMAIL = "mia@example.com"
REP_EMAIL = "raj@example.com"


def add_team(store: Store) -> tuple[Actor, Actor]:
    """(manager, rep), added to the store."""
    with store.session() as session:
        manager = create_user(session, name="Mia Manager", email=MANAGER_EMAIL, role=Role.MANAGER)
        rep = create_user(session, name="Raj Rep", email=REP_EMAIL, role=Role.REP)
        session.commit()
    return manager.as_actor(), rep.as_actor()


def add_team_at(url: str) -> None:
    """The same team in the store at `url` (created and migrated), for CLI tests."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        add_team(Store(engine.url, engine, make_session_factory(engine)))
    finally:
        engine.dispose()
