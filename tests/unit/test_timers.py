from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.clock import SettableClock
from app.models import Activity, Alert, Lead, LeadStatus, StageTransition
from app.services.followups import cadence as cad
from app.services.followups.settings import save_settings
from app.services.timers import alerts as alert_svc
from app.services.timers.alerts import SYSTEM_KINDS
from app.services.timers.sweep import SweepResult, sweep
from app.store.db import Store, unit_of_work
from tests.helpers.followups import Team, make_lead, make_team


def kinds(result: SweepResult) -> list[str]:
    return sorted(a.kind for a in result.fired)


# Alerts a user sees (not the sweep's own hourly markers).
USER_ALERTS = select(func.count()).select_from(Alert).where(Alert.kind.not_in(SYSTEM_KINDS))


def _plan(session, lead: Lead, due: datetime, kind: str = "call") -> Activity:
    act = Activity(
        lead_id=lead.id,
        owner_id=lead.owner_id,
        type=kind,
        status="planned",
        subject="Call",
        due_at=due,
        created_at=due - timedelta(days=1),
    )
    session.add(act)
    session.flush()
    return act


def _contacted(session, team: Team, t0: datetime, **kw) -> Lead:
    """A lead already contacted (no SLA), with a far-future activity (not stale)."""
    lead = make_lead(session, team, t0, first_contacted_at=t0, last_touch_at=t0, **kw)
    return lead


def test_high_is_due_by_the_close_of_the_business_day_then_escalates(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()  # Monday 09:00 UTC; the working day closes at 17:00
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, t0, tier="High")
        _plan(s, lead, t0 + timedelta(days=60))  # keep the stale rule quiet
        assert kinds(sweep(s, t0 + timedelta(hours=8, seconds=-1))) == []
        first = sweep(s, t0 + timedelta(hours=8))
        assert kinds(first) == ["sla"]
        assert first.fired[0].user_id == team.rep_a
        assert first.fired[0].key == f"sla:{lead.id}:2026-03-02T17:00:00Z"
        assert "the same business day" in first.fired[0].message
        assert kinds(sweep(s, t0 + timedelta(hours=16, seconds=-1))) == []
        second = sweep(s, t0 + timedelta(hours=16))
        assert kinds(second) == ["sla_escalation"]
        assert second.fired[0].user_id == team.manager


def test_sla_windows_per_tier_and_unscored_as_medium(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        leads = {tier: make_lead(s, team, t0, tier=tier) for tier in ("Urgent", "Low", None)}
        for lead in leads.values():
            _plan(s, lead, t0 + timedelta(days=60))
        at5 = sweep(s, t0 + timedelta(minutes=5))
        assert [a.lead_id for a in at5.fired] == [leads["Urgent"].id]
        day = sweep(s, t0 + timedelta(hours=24))
        # Urgent escalated long ago (10 min); the unscored one breaches Medium's 24 h.
        assert {(a.kind, a.lead_id) for a in day.fired} == {
            ("sla_escalation", leads["Urgent"].id),
            ("sla", leads[None].id),
        }
        # Low goes to automated nurture: no first-response alert, ever.
        later = sweep(s, t0 + timedelta(days=20)).fired
        assert leads["Low"].id not in {a.lead_id for a in later if a.kind.startswith("sla")}


def test_contacted_lead_has_no_sla_alert(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, t0, tier="Urgent")
        _plan(s, lead, t0 + timedelta(days=60))
        first_email = _plan(s, lead, t0 + timedelta(minutes=3), "email")
        clock.set(t0 + timedelta(minutes=4))
        cad.mark_done(s, clock, first_email.id, "Sent")
        assert kinds(sweep(s, t0 + timedelta(hours=2))) == []


def test_sweeping_twice_fires_nothing_new(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        for _ in range(3):
            make_lead(s, team, t0 - timedelta(days=40), tier="Urgent")
        now = t0
        first = sweep(s, now)
        assert first.fired
        assert sweep(s, now).fired == []
        assert sweep(s, now + timedelta(minutes=1)).fired == []
        total = s.scalar(
            select(func.count()).select_from(Alert).where(Alert.kind.not_in(SYSTEM_KINDS))
        )
    assert total == len(first.fired)


def test_catch_up_after_sleep_fires_every_due_alert_once(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = make_lead(s, team, t0, tier="Medium")
        _plan(s, lead, t0 + timedelta(days=60))
        # The laptop slept for three days: one sweep sees both the breach and the escalation.
        woke = sweep(s, t0 + timedelta(days=3))
        assert kinds(woke) == ["sla", "sla_escalation"]
        assert "3 days" in woke.fired[0].message


def test_stale_alert_at_the_stage_threshold_unless_something_is_planned(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        idle = _contacted(s, team, t0, stage="Initial interest")
        busy = _contacted(s, team, t0, stage="Initial interest")
        _plan(s, busy, t0 + timedelta(days=5))  # a scheduled follow-up suppresses the alert
        assert kinds(sweep(s, t0 + timedelta(hours=47, minutes=59))) == []
        at = sweep(s, t0 + timedelta(hours=48))
        assert [(a.kind, a.lead_id) for a in at.fired] == [("stale", idle.id)]
        assert "Initial interest" in at.fired[0].message
        # New's threshold is 24 h
        fresh = _contacted(s, team, t0 + timedelta(hours=48))
        assert kinds(sweep(s, t0 + timedelta(hours=71))) == []
        assert [a.lead_id for a in sweep(s, t0 + timedelta(hours=72)).fired] == [fresh.id]


def test_escalation_after_exactly_two_missed_windows(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = _contacted(s, team, t0)
        _plan(s, lead, t0 + timedelta(days=90))  # not stale
        _plan(s, lead, t0 + timedelta(hours=1))
        _plan(s, lead, t0 + timedelta(days=2))
        # First window missed (24 h after due): no escalation yet.
        assert kinds(sweep(s, t0 + timedelta(days=1, hours=2))) == []
        assert kinds(sweep(s, t0 + timedelta(days=3, seconds=-1))) == []
        second = sweep(s, t0 + timedelta(days=3))
        assert kinds(second) == ["missed"]
        assert second.fired[0].user_id == team.manager
        assert "2 follow-ups missed by Ana Rep" in second.fired[0].message
        assert kinds(sweep(s, t0 + timedelta(days=4))) == []


def test_missed_windows_reassign_when_configured(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        save_settings(s, t0, missed_escalation_action="reassign")
        lead = _contacted(s, team, t0)
        _plan(s, lead, t0 + timedelta(days=90))
        _plan(s, lead, t0)
        _plan(s, lead, t0 + timedelta(hours=1))
        result = sweep(s, t0 + timedelta(days=2))
        s.expire_all()
        owners = set(s.scalars(select(Activity.owner_id).where(Activity.lead_id == lead.id)))
        assert result.reassigned == [{"lead_id": lead.id, "from": team.rep_a, "to": team.rep_b}]
        assert s.get(Lead, lead.id).owner_id == team.rep_b
        assert owners == {team.rep_b}
        assert "Reassigned to Ben Rep" in result.fired[0].message


def test_dormant_lead_starts_reengagement_after_30_days(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = _contacted(s, team, t0, stage="Discovery complete")
        assert "reengage" not in kinds(sweep(s, t0 + timedelta(days=30, seconds=-1)))
        result = sweep(s, t0 + timedelta(days=30))
        assert "reengage" in kinds(result)
        assert result.reengaged == [lead.id]
        planned = cad.list_followups(s, cad.FollowupFilter(lead_id=lead.id))
        assert planned[0].subject == "Checking back in"
        assert "reengage" not in kinds(sweep(s, t0 + timedelta(days=31)))


def test_no_reply_after_day_14_moves_to_nurture(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        quiet = _contacted(s, team, t0)
        talker = _contacted(s, team, t0)
        run = cad.start_cadence(s, clock, quiet.id)
        cad.start_cadence(s, clock, talker.id)
        clock.set(t0 + timedelta(days=1))
        cad.mark_done(s, clock, run.activity_ids[0], "Sent")  # the rep worked the sequence
        clock.set(t0 + timedelta(days=6))
        cad.log_reply(s, clock, talker.id)
        assert "nurture" not in kinds(sweep(s, t0 + timedelta(days=14, seconds=-1)))
        result = sweep(s, t0 + timedelta(days=14))
        assert result.nurtured == [quiet.id]
        s.expire_all()
        lead = s.get(Lead, quiet.id)
        assert lead.status == LeadStatus.NURTURE
        assert lead.stage_id == team.stages["Nurture"]
        exit_row = s.scalars(
            select(StageTransition).where(
                StageTransition.lead_id == quiet.id, StageTransition.kind == "exit"
            )
        ).one()
        assert exit_row.reason_code == "went_cold"
        assert s.get(Lead, talker.id).status == LeadStatus.OPEN


def test_revisit_date_reopens_the_lead(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = _contacted(
            s,
            team,
            t0 - timedelta(days=100),
            stage="Disqualified",
            status=LeadStatus.DISQUALIFIED,
            revisit_at=t0 + timedelta(days=1),
        )
        assert "reopen" not in kinds(sweep(s, t0 + timedelta(hours=23)))
        result = sweep(s, t0 + timedelta(days=1))
        assert result.reopened == [lead.id]
        s.expire_all()
        row = s.get(Lead, lead.id)
        assert (row.status, row.stage_id, row.revisit_at) == ("open", team.stages["New"], None)
        kinds_ = list(
            s.scalars(select(StageTransition.kind).where(StageTransition.lead_id == lead.id))
        )
        assert kinds_ == ["reopen"]
        # reopened leads are worked again: the tier cadence restarted
        assert cad.list_followups(s, cad.FollowupFilter(lead_id=lead.id))


def test_alert_list_unread_and_mark_read(store: Store, clock: SettableClock) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        make_lead(s, team, t0 - timedelta(hours=5), tier="Urgent")
        make_lead(s, team, t0 - timedelta(hours=5), tier="Urgent", owner=team.rep_b)
        sweep(s, t0)
        mine = alert_svc.list_alerts(s, user_id=team.rep_a)
        assert {a.kind for a in mine} >= {"sla"}
        assert alert_svc.unread_count(s, user_id=team.rep_a) == len(mine)
        assert alert_svc.mark_read(s, t0, alert_ids=[mine[0].id]) == 1
        assert alert_svc.unread_count(s, user_id=team.rep_a) == len(mine) - 1
        alert_svc.mark_read(s, t0, user_id=team.rep_a)
        assert alert_svc.unread_count(s, user_id=team.rep_a) == 0
        assert alert_svc.unread_count(s, user_id=team.rep_b) > 0


def test_two_concurrent_sweeps_on_postgresql_fire_each_alert_once(
    pg_store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with unit_of_work(pg_store.session_factory) as s:
        team = make_team(s)
        for i in range(40):
            make_lead(s, team, t0 - timedelta(days=45), tier=("Urgent", "High")[i % 2])
        for _ in range(10):  # contacted long ago: dormant, re-engagement has a side effect
            _contacted(s, team, t0 - timedelta(days=45), stage="Discovery complete")
    barrier = threading.Barrier(2)
    results: list[SweepResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with unit_of_work(pg_store.session_factory) as session:
                barrier.wait(timeout=30)
                results.append(sweep(session, t0))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    fired = [a.key for r in results for a in r.fired]
    assert len(fired) == len(set(fired))
    with pg_store.session() as s:
        stored = s.scalar(
            select(func.count()).select_from(Alert).where(Alert.kind.not_in(SYSTEM_KINDS))
        )
        reengage_steps = s.scalar(
            select(func.count()).select_from(Activity).where(Activity.status == "planned")
        )
    assert stored == len(fired) > 0
    # 40 x (sla + escalation); all 50 are stale (nothing planned) and dormant (re-engaged)
    assert sorted({k.split(":")[0] for k in fired}) == [
        "reengage",
        "sla",
        "sla_escalation",
        "stale",
    ]
    assert len(fired) == 40 * 2 + 50 + 50
    assert reengage_steps == 50 * 3  # the re-engagement cadence was planned once per lead
    assert sum(len(r.reengaged) for r in results) == 50
    # one sweep fired and acted on everything, the other on nothing
    assert sorted(len(r.fired) for r in results)[0] == 0


def test_incremental_sweep_finds_what_turned_stale_since_the_last_one(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        crossing = _contacted(s, team, t0, stage="Initial interest")  # 48 h threshold
        lapsing = _contacted(s, team, t0 - timedelta(days=5), stage="Initial interest")
        _plan(s, lapsing, t0 + timedelta(hours=50))  # its only plan falls due at t0 + 50 h
        edited = _contacted(s, team, t0 - timedelta(days=5), stage="Initial interest")
        plan = _plan(s, edited, t0 + timedelta(days=9))
        last = t0 + timedelta(hours=47)
        assert kinds(sweep(s, last)) == []
        at48 = sweep(s, t0 + timedelta(hours=48), since=last)
        assert [a.lead_id for a in at48.fired] == [crossing.id]
        plan.status = "cancelled"  # an edit, not a clock event
        s.flush()
        at50 = sweep(s, t0 + timedelta(hours=50, minutes=1), since=t0 + timedelta(hours=48))
        assert [a.lead_id for a in at50.fired] == [lapsing.id]
        # the edit is caught by the next full sweep
        full = sweep(s, t0 + timedelta(hours=50, minutes=5))
        assert [a.lead_id for a in full.fired] == [edited.id]
        # dormant: the last touch turns 30 days old between two incremental sweeps
        day30 = t0 + timedelta(days=30)
        before = sweep(s, day30 - timedelta(minutes=1), since=day30 - timedelta(minutes=2))
        assert "reengage" not in kinds(before)
        after = sweep(s, day30, since=day30 - timedelta(minutes=1))
        assert ("reengage", crossing.id) in {(a.kind, a.lead_id) for a in after.fired}


def test_incremental_sweeps_escalate_the_second_missed_window_once(
    store: Store, clock: SettableClock
) -> None:
    t0 = clock.now()
    with store.session() as s:
        team = make_team(s)
        lead = _contacted(s, team, t0)
        _plan(s, lead, t0 + timedelta(days=90))
        _plan(s, lead, t0 + timedelta(hours=1))
        _plan(s, lead, t0 + timedelta(days=2))
        fired: list[str] = []
        prev = t0
        for minutes in range(30, 4 * 24 * 60, 30):  # a sweep every half hour for four days
            now = t0 + timedelta(minutes=minutes)
            fired += [f"{a.kind}@{minutes}" for a in sweep(s, now, since=prev).fired]
            prev = now
    assert fired == [f"missed@{3 * 24 * 60}"]  # exactly when the second window ran out
