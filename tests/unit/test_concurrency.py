"""Two workstations on the same leads: a write that lost the race is refused in one line
("changed by NAME at TIME"), never a traceback, and never overwrites the other's work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, update
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


def edit_meanwhile(store: Store, lead_id: int, by_user_id: int, **values: Any) -> None:
    """Another workstation commits an edit of the lead (as the ORM would: version + 1)."""
    with store.session() as other:
        other.execute(
            update(Lead)
            .where(Lead.id == lead_id)
            .values(version=Lead.version + 1, updated_by_id=by_user_id, **values)
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
    before_first_flush(
        lambda: edit_meanwhile(store, lead_id, team["manager_id"], title="VP Sales")
    )
    uow = UnitOfWork(store.session_factory, clock)
    with pytest.raises(StaleError) as caught:
        if action == "update":
            api.update_lead(uow, rep, lead_id, {"industry": "Retail"})
        else:
            api.log_contact(uow, rep, lead_id, "call")
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

