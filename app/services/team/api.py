"""The team actions: one function each, `(uow, actor, ...) -> Result`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete, func, select

from app.models import Activity, ActivityStatus, Lead, LeadStatus, Role, User, UserAbsence
from app.services.auth import Actor, Perm, PermissionDenied, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError, NotFound
from app.services.routing import core as routing
from app.services.team import logins, users
from app.services.team.users import UserInfo
from app.store.uow import UnitOfWork

_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
UNSET: Any = object()  # "leave as it is" for fields where None means "clear"


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    email: str,
    role: str = Role.REP,
    territory: str | None = None,
    capacity: int = 50,
    timezone: str | None = None,
    work_hours: str | None = None,
    available: bool = True,
    absences: Sequence[tuple[date, date]] = (),
) -> Result[UserInfo]:
    """Add a team member (managers and the owner), with their hours and absences if given."""
    with uow:
        require(actor, Perm.USERS_EDIT)
        _check_owner_rights(actor, role)
        if capacity < 0:
            raise ActionError("The capacity must be 0 or more open leads.")
        try:
            created = users.create_user(
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
        user = uow.session.get(User, created.id)
        assert user is not None
        _set_availability(uow, user, timezone, work_hours, available, absences)
        info = users.get_user(uow.session, created.id)
        uow.commit()
    assert info is not None
    return Result(info, Changes(users=True))


def _set_availability(
    uow: UnitOfWork,
    user: User,
    timezone: str | None = UNSET,
    work_hours: str | None = UNSET,
    available: bool | None = None,
    absences: Sequence[tuple[date, date]] | None = None,
) -> None:
    """Time zone, working hours, taking leads, out-of-office ranges (`absences` replaces)."""
    if timezone is not UNSET:
        user.timezone = _check_timezone(timezone) if timezone else None
    if work_hours is not UNSET:
        user.work_hours = parse_hours(work_hours) if work_hours else None
    if available is not None:
        user.available = available
    if absences is not None:
        uow.session.execute(delete(UserAbsence).where(UserAbsence.user_id == user.id))
        for start, end in absences:
            if end < start:
                raise ActionError(f"Away {start}:{end}: the range ends before it starts.")
            uow.session.add(UserAbsence(user_id=user.id, starts=start, ends=end))
    uow.session.flush()


def parse_hours(text: str) -> str:
    """'9:00-17:30' -> '09:00-17:30'; ActionError for anything else."""
    value = text.strip()
    if re.match(r"^\d:\d\d", value):
        value = "0" + value
    value = re.sub(r"-(\d:\d\d)$", r"-0\1", value)
    if not _HOURS.match(value) or value[:5] >= value[6:]:
        raise ActionError(f"Working hours '{text}': give them as HH:MM-HH:MM, start before end.")
    return value


def parse_absence(text: str) -> tuple[date, date]:
    """'2026-03-02:2026-03-06' -> (start, end); ActionError when not two dates in order."""
    try:
        start_text, end_text = text.strip().split(":")
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError:
        raise ActionError(f"Away '{text}': give it as YYYY-MM-DD:YYYY-MM-DD.") from None
    if end < start:
        raise ActionError(f"Away '{text}': the range ends before it starts.")
    return start, end


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ActionError(f"'{name}' is not a time zone (e.g. Europe/Berlin).") from None
    return name


def _check_owner_rights(actor: Actor, role: str | None, target: User | None = None) -> None:
    """Only the owner makes someone an owner or changes an owner."""
    touches_owner = role == Role.OWNER or (target is not None and target.role == Role.OWNER)
    if touches_owner and actor.role != Role.OWNER and not actor.is_system:
        raise PermissionDenied(
            f"Only the owner can make or change an owner; {actor.name} is a {actor.role}.",
            Perm.USERS_EDIT,
        )


def update_user(
    uow: UnitOfWork,
    actor: Actor,
    user_id: int,
    *,
    name: str | None = None,
    email: str | None = None,
    role: str | None = None,
    territory: str | None = UNSET,
    capacity: int | None = None,
    timezone: str | None = UNSET,
    work_hours: str | None = UNSET,
    available: bool | None = None,
    absences: Sequence[tuple[date, date]] | None = None,
) -> Result[UserInfo]:
    """Change a member's details; `absences` replaces their out-of-office ranges."""
    with uow:
        require(actor, Perm.USERS_EDIT)
        session = uow.session
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"There is no team member with id {user_id}.")
        _check_owner_rights(actor, role, user)
        if name is not None:
            if not name.strip():
                raise ActionError("A name is required.")
            user.name = name.strip()
        if email is not None:
            email = email.strip()
            if "@" not in email or email.startswith("@") or email.endswith("@"):
                raise ActionError(f"'{email}' is not an e-mail address.")
            taken = session.scalar(
                select(User.id).where(func.lower(User.email) == email.lower(), User.id != user_id)
            )
            if taken is not None:
                raise ActionError(f"{email} is already on the team.")
            user.email = email
        if role is not None:
            if role not in {r.value for r in Role}:
                raise ActionError(f"Role must be owner, manager or rep, not '{role}'.")
            if user.role == Role.OWNER and role != Role.OWNER and _owners(uow, user_id) == 0:
                raise ActionError("The team needs an owner: make someone else owner first.")
            user.role = role
        if territory is not UNSET:
            user.territory = (territory or "").strip() or None
        if capacity is not None:
            if capacity < 0:
                raise ActionError("The capacity must be 0 or more open leads.")
            user.capacity = capacity
        _set_availability(uow, user, timezone, work_hours, available, absences)
        info = users.get_user(session, user_id)
        uow.commit()
    assert info is not None
    return Result(info, Changes(users=True))


def _owners(uow: UnitOfWork, other_than: int) -> int:
    return int(
        uow.session.scalar(
            select(func.count()).where(
                User.role == Role.OWNER, User.id != other_than, User.active.is_not(False)
            )
        )
        or 0
    )


@dataclass(frozen=True)
class Deactivated:
    user_id: int
    name: str
    leads_moved: int
    followups_moved: int
    leads_to: str  # a member's name, or "the pool"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def deactivate_user(
    uow: UnitOfWork, actor: Actor, user_id: int, *, leads_to: int | None
) -> Result[Deactivated]:
    """Deactivate a member. Their open leads go to `leads_to` (a member), or with None back
    through routing (rules, then the round-robin pool); open follow-ups follow each lead."""
    with uow:
        require(actor, Perm.USERS_EDIT)
        session = uow.session
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"There is no team member with id {user_id}.")
        _check_owner_rights(actor, None, user)
        if user.active is False:
            raise ActionError(f"{user.name} is already deactivated.")
        if user.role == Role.OWNER and _owners(uow, user_id) == 0:
            raise ActionError("The team needs an owner: make someone else owner first.")
        target = session.get(User, leads_to) if leads_to is not None else None
        if leads_to is not None and (target is None or target.active is False):
            raise ActionError(f"There is no active team member with id {leads_to} to take leads.")
        if target is not None and target.id == user_id:
            raise ActionError("Choose someone else to take the leads.")
        user.active = False
        user.available = False
        session.flush()
        ids = list(
            session.scalars(
                select(Lead.id).where(Lead.owner_id == user_id, Lead.status == LeadStatus.OPEN)
            )
        )
        by = actor.user_id
        if target is not None:
            routing.assign_leads(session, uow.clock, ids, target.id, by_user_id=by)
        else:
            routing.route_leads(session, uow.clock, ids, by_user_id=by)
        # Their planned follow-ups go with each lead (to its new owner); any others to the
        # chosen member, or to nobody (the manager's queue) when the leads went to the pool.
        new_owner = {
            lead: owner
            for lead, owner in session.execute(
                select(Lead.id, Lead.owner_id).where(Lead.id.in_(ids))
            )
        }
        planned = session.scalars(
            select(Activity).where(
                Activity.owner_id == user_id, Activity.status == ActivityStatus.PLANNED
            )
        ).all()
        for act in planned:
            act.owner_id = new_owner.get(act.lead_id or 0, target.id if target else None)
        info = Deactivated(
            user_id, user.name, len(ids), len(planned), target.name if target else "the pool"
        )
        uow.commit()
    return Result(info, Changes(leads=frozenset(ids), users=True, followups=True))


def grant_login(
    uow: UnitOfWork,
    actor: Actor,
    email: str,
    role: str,
    *,
    login: str | None = None,
    password: str | None = None,
) -> Result[logins.Grant]:
    """Create or map a member's own PostgreSQL login in a group role (an admin's work: the
    server refuses anyone without the right to create roles)."""
    with uow:
        require(actor, Perm.USERS_EDIT)
        _check_owner_rights(actor, role)
        grant = logins.grant_login(uow.session, email, role, login=login, password=password)
        uow.commit()
    return Result(grant, Changes(users=True))
