"""Issue 14's lifecycle rules, each on both stores with the settable clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.clock import SettableClock
from app.models import Activity, Lead, LeadStatus
from app.services.followups import cadence as cad
from app.services.leads import api
from app.services.timers.sweep import sweep
from app.store.db import Store
from app.store.uow import UnitOfWork
from tests.helpers.followups import actor_of, make_lead, make_team


def _open_steps(session, lead_id: int) -> list[Activity]:
    return list(
        session.scalars(
            select(Activity).where(
                Activity.lead_id == lead_id,
                Activity.status == "planned",
                Activity.cadence_step_id.is_not(None),
            )
        )
    )


def _subjects(session, lead_id: int) -> list[str]:
    return [a.subject or "" for a in _open_steps(session, lead_id)]


def test_every_exit_stops_the_open_cadence_steps(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        leads = {status: make_lead(s, team, t0) for status in ("Won", "Lost", "Disqualified")}
        leads["Nurture"] = make_lead(s, team, t0)
        for lead in leads.values():
            lead.details = {"signed_at": "2026-03-01"}
            cad.start_cadence(s, clock, lead.id)
        s.commit()
        ids = {name: lead.id for name, lead in leads.items()}
        manager = actor_of(s, team.manager)
    uow = UnitOfWork(store.session_factory, clock)
    reasons = {"Lost": "no_budget", "Disqualified": "spam", "Nurture": "no_need"}
    for name, lead_id in ids.items():
        api.move_lead(
            uow,
            manager,
            lead_id,
            team.stages[name],
            override_reason="closing it" if name == "Won" else None,
            reason_code=reasons.get(name),
        )
    with store.session() as s:
        for name, lead_id in ids.items():
            assert s.get(Lead, lead_id).status == name.lower()
            assert _open_steps(s, lead_id) == [], name
            cancelled = s.scalars(
                select(Activity.outcome).where(
                    Activity.lead_id == lead_id, Activity.status == "cancelled"
                )
            ).all()
            assert cancelled and set(cancelled) == {f"Closed: {name.lower()}"}


def test_reopening_starts_the_recycle_sequence_not_the_first_touch_one(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, t0)
        cad.start_cadence(s, clock, lead.id)
        first_touch = _subjects(s, lead.id)
        s.commit()
        lead_id, rep = lead.id, actor_of(s, team.rep_a)
    uow = UnitOfWork(store.session_factory, clock)
    api.move_lead(uow, rep, lead_id, team.stages["Lost"], reason_code="no_budget")
    clock.advance(days=30)
    api.move_lead(uow, rep, lead_id, team.stages["New"])
    with store.session() as s:
        recycle = _subjects(s, lead_id)
        assert recycle and recycle[0] == "Picking up where we left off"
        assert not set(recycle) & set(first_touch)


def test_lost_to_competitor_with_revisit_reopens_into_competitive_recapture(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, t0, first_contacted_at=t0, last_touch_at=t0)
        s.commit()
        lead_id, rep = lead.id, actor_of(s, team.rep_a)
    uow = UnitOfWork(store.session_factory, clock)
    api.move_lead(
        uow,
        rep,
        lead_id,
        team.stages["Lost"],
        reason_code="lost_to_competitor",
        competitor="HubSpot",
        revisit_at=t0 + timedelta(days=90),
    )
    with store.session() as s:
        assert sweep(s, t0 + timedelta(days=89)).reopened == []
        result = sweep(s, t0 + timedelta(days=90))
        s.commit()
        assert result.reopened == [lead_id]
        assert s.get(Lead, lead_id).status == LeadStatus.OPEN
        assert _subjects(s, lead_id)[0] == "How is your current tool working out?"
