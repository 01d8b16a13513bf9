"""The timer rules without a database: plain facts and `now` in, candidates out."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.timers import rules
from app.services.timers.windows import ResponseWindows

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEAM = rules.TeamFacts(names={1: "Maria", 2: "Ana", 3: "Ben"}, manager_id=1, reps=[2, 3])
# High as a fixed 4 h here (not the same business day) to keep the arithmetic plain.
window = ResponseWindows({"Urgent": 5, "High": 240, "Medium": 1440, "Low": 0}, same_day=())


def test_the_rules_import_neither_sqlalchemy_nor_qt() -> None:
    code = (
        "import sys, app.services.timers.rules; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_sla_fires_for_the_owner_then_escalates_to_the_manager() -> None:
    lead = rules.UncontactedLead(7, "Jane Doe", "High", T0, 2)
    assert rules.sla_rule([lead], T0 + timedelta(hours=3, minutes=59), window, TEAM) == []
    first = rules.sla_rule([lead], T0 + timedelta(hours=4), window, TEAM)
    assert [(c.kind, c.user_id) for c in first] == [("sla", 2)]
    assert first[0].key == "sla:7:2026-03-02T13:00:00Z"
    assert "has waited 4 h without contact; the High window is 4 h" in first[0].message
    both = rules.sla_rule([lead], T0 + timedelta(hours=8), window, TEAM)
    assert [(c.kind, c.user_id, c.level) for c in both] == [
        ("sla", 2, "warning"),
        ("sla_escalation", 1, "danger"),
    ]
    unowned = rules.UncontactedLead(8, "No Owner", None, T0, None)
    (alert,) = rules.sla_rule([unowned], T0 + timedelta(hours=25), window, TEAM)
    assert alert.user_id == 1 and "(Unscored)" in alert.message


def test_stale_needs_the_stage_time_and_nothing_planned() -> None:
    stay = rules.StageStay(5, "Acme", "Discovery", 48, T0, 2)
    assert rules.stale_rule([stay], T0 + timedelta(hours=47), TEAM) == []
    (alert,) = rules.stale_rule([stay], T0 + timedelta(hours=50), TEAM)
    assert alert.key == "stale:5:2026-03-02T09:00:00Z" and "sat in Discovery for 2 days" in (
        alert.message
    )
    booked = rules.StageStay(5, "Acme", "Discovery", 48, T0, 2, planned_ahead=True)
    assert rules.stale_rule([booked], T0 + timedelta(days=9), TEAM) == []


def test_missed_picks_the_nth_overdue_follow_up_and_can_reassign() -> None:
    steps = [
        rules.OverdueStep(1, 10, T0),
        rules.OverdueStep(1, 11, T0 + timedelta(hours=1)),
        rules.OverdueStep(1, 12, T0 + timedelta(days=5)),  # not missed yet
        rules.OverdueStep(2, 20, T0),
    ]
    now = T0 + timedelta(days=2)
    nth = rules.nth_missed(steps, now, 24, 2)
    assert nth == {1: 11}  # lead 2 missed only one
    loads: dict[int, int] = {2: 5, 3: 1}
    (alert,) = rules.missed_rule(
        nth,
        {1: ("Jane", 2)},
        2,
        TEAM,
        reassign_to=lambda owner: rules.reassign_target(TEAM.reps, loads, owner),
    )
    assert alert.key == "missed:1:11" and alert.user_id == 1
    assert alert.action == "reassign" and alert.data == {"from": 2, "to": 3}
    assert alert.message == "Jane: 2 follow-ups missed by Ana. Reassigned to Ben."
    assert rules.missed_rule(nth, {}, 2, TEAM) == []  # the lead is no longer open


def test_dormant_nurture_and_revisit() -> None:
    quiet = rules.QuietLead(4, "Quiet", T0, 2)
    assert rules.dormant_rule([quiet], T0 + timedelta(days=29), 30) == []
    (alert,) = rules.dormant_rule([quiet], T0 + timedelta(days=30), 30)
    assert alert.action == "reengage" and alert.key == "reengage:4:2026-03-02T09:00:00Z"
    assert (
        rules.dormant_rule([rules.QuietLead(4, "Q", T0, None)], T0 + timedelta(days=99), 30) == []
    )

    last = rules.FinalStep(30, 4, "Quiet", 2, "done", T0)
    assert rules.nurture_rule([last], T0 + timedelta(hours=23), 1.0) == []
    (nurture,) = rules.nurture_rule([last], T0 + timedelta(days=1), 1.0)
    assert nurture.action == "nurture" and nurture.key == "nurture:4:30"
    cancelled = rules.FinalStep(30, 4, "Quiet", 2, "cancelled", T0)
    assert rules.nurture_rule([cancelled], T0 + timedelta(days=9), 1.0) == []

    parked = rules.ParkedLead(6, "Parked", "nurture", T0, None)
    assert rules.revisit_rule([parked], T0 - timedelta(seconds=1), TEAM) == []
    (reopen,) = rules.revisit_rule([parked], T0, TEAM)
    assert reopen.action == "reopen" and reopen.user_id == 1
    won = rules.ParkedLead(6, "Parked", "won", T0, None)
    assert rules.revisit_rule([won], T0 + timedelta(days=1), TEAM) == []


def test_span_reads_like_people_speak() -> None:
    assert [
        rules.span(timedelta(minutes=m)) for m in (-3, 12, 60, 185, 600, 47 * 60, 4 * 24 * 60)
    ] == ["0 min", "12 min", "1 h", "3 h 5 min", "10 h", "47 h", "4 days"]


instants = st.integers(min_value=0, max_value=90 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m))
leads = st.lists(
    st.builds(
        rules.UncontactedLead,
        lead_id=st.integers(1, 20),
        name=st.just("L"),
        tier=st.sampled_from(["Urgent", "High", None]),
        captured_at=instants,
        owner_id=st.sampled_from([None, 2, 3]),
    ),
    max_size=8,
    unique_by=lambda lead: lead.lead_id,
)
stays = st.lists(
    st.builds(
        rules.StageStay,
        lead_id=st.integers(1, 20),
        name=st.just("L"),
        stage=st.just("New"),
        stale_hours=st.sampled_from([1.0, 24.0, 72.0]),
        entered_at=instants,
        owner_id=st.sampled_from([None, 2]),
    ),
    max_size=8,
    unique_by=lambda stay: stay.lead_id,
)
quiet = st.lists(
    st.builds(
        rules.QuietLead,
        lead_id=st.integers(1, 20),
        name=st.just("L"),
        touched_at=instants,
        owner_id=st.sampled_from([None, 2, 3]),
    ),
    max_size=8,
    unique_by=lambda q: q.lead_id,
)


@settings(max_examples=150, deadline=None)
@given(leads, stays, quiet, st.lists(instants, min_size=1, max_size=6))
def test_the_same_facts_fire_each_alert_once_however_often_they_are_swept(
    uncontacted: list[rules.UncontactedLead],
    stage_stays: list[rules.StageStay],
    dormant: list[rules.QuietLead],
    sweeps: list[datetime],
) -> None:
    fired: dict[str, rules.Candidate] = {}
    for now in sorted(sweeps):
        candidates = rules.unique(
            [
                *rules.sla_rule(uncontacted, now, window, TEAM),
                *rules.stale_rule(stage_stays, now, TEAM),
                *rules.dormant_rule(dormant, now, 30),
            ]
        )
        new = rules.fresh(candidates, fired)
        assert not {c.key for c in new} & set(fired)
        fired.update((c.key, c) for c in new)
    per_lead_kind: dict[tuple[str, int | None], int] = {}
    for c in fired.values():
        per_lead_kind[(c.kind, c.lead_id)] = per_lead_kind.get((c.kind, c.lead_id), 0) + 1
    # However many sweeps and whenever they ran: one alert per lead and rule.
    assert all(count == 1 for count in per_lead_kind.values())
    # And a sweep at the last instant alone fires exactly the same set.
    last = max(sweeps)
    once = rules.unique(
        [
            *rules.sla_rule(uncontacted, last, window, TEAM),
            *rules.stale_rule(stage_stays, last, TEAM),
            *rules.dormant_rule(dormant, last, 30),
        ]
    )
    assert set(once) == set(fired)


@given(
    st.lists(st.integers(2, 6), max_size=30),
    st.dictionaries(st.integers(2, 6), st.integers(0, 3)),
)
def test_reassignment_never_picks_the_owner_and_spreads_evenly(
    owners: list[int], start: dict[int, int]
) -> None:
    reps = [2, 3, 4, 5, 6]
    loads = {r: 0 for r in reps}
    for owner in owners:
        target = rules.reassign_target(reps, loads, owner)
        assert target is not None and target != owner
    assert max(loads.values()) - min(loads.values()) <= 2  # at most one skipped as owner
    assert sum(loads.values()) == len(owners)
    assert rules.reassign_target([2], dict(start), 2) is None  # nobody else to take it


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 10_000), instants),
        max_size=25,
        unique_by=lambda t: t[1],
    ),
    st.integers(1, 4),
)
def test_nth_missed_is_the_nth_oldest_missed_follow_up(
    raw: list[tuple[int, int, datetime]], n: int
) -> None:
    now = T0 + timedelta(days=95)
    steps = [rules.OverdueStep(*t) for t in raw]
    nth = rules.nth_missed(steps, now, 24, n)
    for lead in {s.lead_id for s in steps}:
        missed = sorted(
            (s.due_at, s.activity_id)
            for s in steps
            if s.lead_id == lead and s.due_at <= now - timedelta(hours=24)
        )
        assert nth.get(lead) == (missed[n - 1][1] if len(missed) >= n else None)
