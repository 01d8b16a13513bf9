"""The team actions: one function each, `(uow, actor, ...) -> Result`."""

from __future__ import annotations

from app.models import Role
from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError
from app.services.team import users
from app.services.team.users import UserInfo
from app.store.uow import UnitOfWork


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    email: str,
    role: str = Role.REP,
    territory: str | None = None,
    capacity: int = 50,
) -> Result[UserInfo]:
    """Add a team member (managers and the owner)."""
    with uow:
        require(actor, Perm.USERS_EDIT)
        try:
            user = users.create_user(
                uow.session,
                name=name,
                email=email,
                role=role,
                territory=territory,
                capacity=capacity,
                now=uow.clock.now(),
            )
        except ValueError as exc:
            raise ActionError(str(exc)) from exc
        uow.commit()
    return Result(user, Changes(users=True))
