"""`leadgate demo` as one action: build demo data, by the owner once there is a team."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from app.demo import generator
from app.demo.generator import DemoResult
from app.models import User
from app.services.auth import Actor, Perm, PermissionDenied, require
from app.services.changes import Changes, Result
from app.store.uow import UnitOfWork


def has_team(uow: UnitOfWork) -> bool:
    with uow:
        return bool(uow.session.scalar(select(func.count()).select_from(User)))


def build_demo(
    uow: UnitOfWork,
    actor: Actor | None,
    *,
    leads: int = 2000,
    seed: int = 7,
    accounts: int = 300,
    progress: Callable[[int, int], None] | None = None,
) -> Result[DemoResult]:
    """Add a demo team, accounts and leads. An empty store has no one to act as, so anyone
    may fill it; once it has a team, only a role with DEMO_BUILD (the owner) may add more."""
    with uow:
        if uow.session.scalar(select(func.count()).select_from(User)):
            if actor is None:
                raise PermissionDenied(
                    "This store already has a team: say who you are (--as EMAIL); only the "
                    "owner can build demo data.",
                    Perm.DEMO_BUILD,
                )
            require(actor, Perm.DEMO_BUILD)
        result = generator.generate(
            uow.session, uow.clock, leads=leads, seed=seed, accounts=accounts, progress=progress
        )
        uow.commit()
    return Result(result, Changes(all_leads=True, pipeline=True, users=True, followups=True))
