"""The playbook's metrics (issue 14 items 11-12) against the hand-built history of
tests/helpers/report_history.py, with tiers, hand-offs and scores set by hand, on both stores.

February cohort: L1 Web form Urgent (contact +3 min, assigned +1 min at 85, won $10k), L2 Web
form High (captured Monday 09:00, contact +30 min, assigned +3 min at 65, lost), L3 Event scan
Medium (contact +2 h, assigned +20 min at 30, first routed to A, now B's, disqualified), L4
Event scan Urgent (never contacted, never assigned, open). L5 (Referral) was captured in
January: it is the previous cohort.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from app.cli.core import main
from app.clock import SettableClock
from app.models import Lead
from app.services.followups.settings import FollowupSettings, load_settings, save_settings
from app.services.leads.queries import list_leads
from app.services.pipeline.stages import ensure_default_pipeline
from app.services.reports.assignment import time_to_assignment
from app.services.reports.cohorts import cohorts
from app.services.reports.filters import MetricsFilter
from app.services.reports.handoff import handoff_score
from app.services.reports.lifecycle import lifecycle
from app.services.reports.opportunity import lead_to_opportunity
from app.services.reports.overview import overview
from app.services.reports.pipeline_value import pipeline_value
from app.services.reports.playbook import Band
from app.services.reports.qualification import qualification
from app.services.reports.routing import routing_accuracy
from app.services.reports.sla import sla
from app.services.reports.trends import trends
from app.store.db import Store
from tests.helpers.report_history import PERIOD, History, at, build_history

FEB = MetricsFilter(date_from=PERIOD[0], date_to=PERIOD[1])

SETUP = {
    "L1": ("Urgent", timedelta(minutes=1), 85),
    "L2": ("High", timedelta(minutes=3), 65),
    "L3": ("Medium", timedelta(minutes=20), 30),
    "L4": ("Urgent", None, None),
    "L5": ("Low", timedelta(minutes=2), 20),
}
CAPTURED = {"L1": at(2, 1), "L2": at(2, 2), "L3": at(2, 3), "L4": at(2, 10), "L5": at(1, 10)}


@pytest.fixture
def history(store: Store) -> History:
    with store.session() as session:
        h = build_history(session)
        for key, (tier, after, score) in SETUP.items():
            session.execute(
                update(Lead)
                .where(Lead.id == h.leads[key])
                .values(
                    tier=tier,
                    assigned_at=CAPTURED[key] + after if after else None,
                    handoff_score=score,
                )
            )
        session.commit()
    return h


WINDOWS = FollowupSettings().response_windows()  # the settings' defaults


def response_window(tier: str, captured: datetime) -> timedelta | None:
    due = WINDOWS.due(captured, tier, None)
    return due - captured if due else None


def test_response_windows_per_tier() -> None:
    monday_9 = datetime.fromisoformat("2026-02-02T09:00:00+00:00")
    friday_19 = datetime.fromisoformat("2026-02-06T19:00:00+00:00")
    assert response_window("Urgent", monday_9) == timedelta(minutes=5)
    assert response_window("Medium", monday_9) == timedelta(hours=24)
    assert response_window("Low", monday_9) is None
    # High: the same business day (until 17:00), or the next one's when captured after hours.
    assert response_window("High", monday_9) == timedelta(hours=8)
    assert response_window("High", friday_19) == timedelta(days=2, hours=22)


def test_band_status() -> None:
    band = Band(0.2, 0.4)
    assert [band.status(v) for v in (0.1, 0.3, 0.5, None)] == ["below", "within", "above", None]
    assert Band(low=0.9).status(0.95) == "within"
    assert Band(high=5).text("{:.0f} min") == "≤ 5 min"


def test_qualification_rate_against_its_band(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        r = qualification(session, clock, FEB)
    assert (r.leads, r.reached, r.rate) == (4, 2, 0.5)
    assert (r.band.low, r.band.high, r.status) == (0.2, 0.4, "above")
    assert {s.label: s.rate for s in r.by_source} == {"Web form": 1.0, "Event scan": 0.0}
    assert r.to_dict()["band"] == {"low": 0.2, "high": 0.4}
    assert r.title == "Qualification rate 50.0% (2 of 4): above the playbook's 20%–40%"


def test_lead_to_opportunity_against_its_band(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        r = lead_to_opportunity(session, clock, FEB)
    assert (r.reached, r.rate, r.status) == (1, 0.25, "above")
    assert r.to_dict()["band"] == {"low": 0.1, "high": 0.2}


def test_time_to_assignment(store: Store, clock: SettableClock, history: History) -> None:
    with store.session() as session:
        r = time_to_assignment(session, clock, FEB)
    assert (r.leads, r.assigned) == (4, 3)
    assert r.median_minutes == 3  # nearest rank of 1, 3, 20 minutes
    assert r.p90_minutes == 20
    assert r.within_target == pytest.approx(2 / 3)
    assert r.status == "within"
    assert dict(r.buckets) == {
        "< 1 min": 0,
        "1-5 min": 2,
        "5-60 min": 1,
        "1-24 h": 0,
        "> 1 day": 0,
        "Not assigned": 1,
    }
    assert r.to_dict()["band"] == {"low": None, "high": 5.0}


def test_score_at_hand_off(store: Store, clock: SettableClock, history: History) -> None:
    with store.session() as session:
        r = handoff_score(session, clock, FEB)
    assert r.handed_off == 3
    assert r.median_score == 65
    assert r.below_band == pytest.approx(1 / 3)  # L3 at 30, under the Medium threshold 40
    assert r.to_dict()["band"] == {"low": 40.0, "high": 100.0}
    assert dict(r.bins)[80] == 1 and dict(r.bins)[60] == 1 and dict(r.bins)[30] == 1


def test_sla_compliance_per_tier(store: Store, clock: SettableClock, history: History) -> None:
    with store.session() as session:
        r = sla(session, clock, FEB)
    tiers = {t.tier: t for t in r.tiers}
    assert (tiers["Urgent"].within, tiers["Urgent"].missed) == (1, 1)  # L4 never contacted
    assert tiers["Urgent"].compliance == 0.5
    assert tiers["High"].compliance == 1.0
    assert tiers["Medium"].compliance == 1.0
    assert tiers["Low"].compliance is None and tiers["Low"].leads == 0
    assert r.compliance == 0.75
    assert tiers["Urgent"].status == "below"
    assert r.to_dict()["band"] == {"low": 0.9, "high": None}


def test_sla_leaves_a_running_window_pending(
    store: Store, clock: SettableClock, history: History
) -> None:
    clock.set(at(2, 10, 9, 3))  # three minutes after L4's capture: its window is still open
    with store.session() as session:
        tiers = {t.tier: t for t in sla(session, clock, FEB).tiers}
    assert (tiers["Urgent"].within, tiers["Urgent"].missed, tiers["Urgent"].pending) == (1, 0, 1)


def test_routing_accuracy_against_its_target(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        r = routing_accuracy(session, clock, FEB)
    assert (r.routed, r.kept, r.accuracy, r.status) == (4, 3, 0.75, "below")
    reps = {x.name: (x.routed, x.kept) for x in r.reps}
    assert reps == {"Ann Rep": (3, 2), "Ben Rep": (1, 1)}
    assert r.to_dict()["band"] == {"low": 0.9, "high": None}


def test_mql_sql_opportunity_counts(store: Store, clock: SettableClock, history: History) -> None:
    with store.session() as session:
        r = lifecycle(session, clock, FEB)
    assert [(s.name, s.leads) for s in r.steps] == [
        ("Captured", 4),
        ("MQL", 4),
        ("SQL", 2),
        ("Opportunity", 1),
        ("Won", 1),
    ]
    assert r.step("SQL").status == "above" and r.step("Opportunity").cohort_rate == 0.25
    assert r.statuses == {"won": 1, "lost": 1, "disqualified": 1, "open": 1}


def test_pipeline_value_by_source(store: Store, clock: SettableClock, history: History) -> None:
    with store.session() as session:
        r = pipeline_value(session, clock, FEB)
        everything = pipeline_value(session, clock, MetricsFilter())
    web = next(s for s in r.by_source if s.source == "Web form")
    assert (web.won, web.won_value, web.open_value) == (1, 10000.0, 0.0)
    assert r.open_value == 0.0
    # All time, L5 (Referral, open in Initial interest) is not an opportunity yet.
    assert everything.open_value == 0.0 and everything.won_value == 10000.0


def test_cohorts_side_by_side(store: Store, clock: SettableClock, history: History) -> None:
    with store.session() as session:
        r = cohorts(session, clock, FEB)
    assert r.current == (date(2026, 2, 1), date(2026, 2, 28))
    assert r.previous == (date(2026, 1, 4), date(2026, 1, 31))
    assert (r.figure("Leads captured").current, r.figure("Leads captured").previous) == (4, 1)
    q = r.figure("Qualification rate")
    assert (q.current, q.previous) == (0.5, 1.0)
    assert q.band is not None and q.band.low == 0.2
    assert r.figure("Won value").current == 10000.0


def test_trends_week_by_week_per_source(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        r = trends(session, clock, FEB)
    assert r.weeks == [date(2026, 1, 26), date(2026, 2, 2), date(2026, 2, 9)]
    by = {s.source: s for s in r.sources}
    assert by["Web form"].leads == [1, 1, 0]
    assert by["Event scan"].leads == [0, 1, 1]
    assert by["Web form"].qualification == [1.0, 1.0, None]


def test_overview_shows_the_five_layers(
    store: Store, clock: SettableClock, history: History
) -> None:
    with store.session() as session:
        r = overview(session, clock, FEB)
    assert [k.layer for k in r.layers] == ["capture", "qualify", "assign", "nurture", "close"]
    assert r.layer("capture").value == 4
    assert (r.layer("qualify").value, r.layer("qualify").status) == (0.5, "above")
    assert r.layer("assign").text == "3 min"
    assert r.layer("nurture").value == 0
    assert r.layer("close").value == 0.25
    assert r.title.startswith("Outside the playbook: qualification rate 50.0% (above 20%–40%)")


def test_report_overview_json(
    store: Store, clock: SettableClock, history: History, capsys: pytest.CaptureFixture[str]
) -> None:
    url = store.url.render_as_string(hide_password=False)
    args = ["--db", url, "--now", "2026-03-02T09:00:00+00:00", "report"]
    period = ["--from", "2026-02-01", "--to", "2026-02-28", "--json"]
    assert main([*args, "overview", *period]) == 0
    data = json.loads(capsys.readouterr().out)
    layers = {k["layer"]: k for k in data["layers"]}
    assert layers["qualify"]["value"] == 0.5
    assert layers["qualify"]["band"] == {"low": 0.2, "high": 0.4}
    assert main([*args, "sla", *period]) == 0
    tiers = {t["tier"]: t for t in json.loads(capsys.readouterr().out)["tiers"]}
    assert tiers["Urgent"]["compliance"] == 0.5
    compare = ["--compare-from", "2026-01-01", "--compare-to", "2026-01-31"]
    assert main([*args, "cohorts", *period, *compare]) == 0
    figures = {f["name"]: f for f in json.loads(capsys.readouterr().out)["figures"]}
    assert (figures["Leads captured"]["current"], figures["Leads captured"]["previous"]) == (4, 1)
    assert main([*args, "sla", *period, *compare]) == 2
    assert "with the cohorts report" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main([*args, "no-such-report", "--json"])
    assert exit_.value.code == 2
    assert "invalid choice: 'no-such-report'" in capsys.readouterr().err


def test_sla_for_high_follows_the_business_day_lead_by_lead(
    store: Store, clock: SettableClock
) -> None:
    """High leads at awkward times (evening, Friday night, weekend) against the definition."""
    captures = [
        at(2, 2, 9),  # Monday morning: until 17:00 the same day
        at(2, 2, 16, 50),  # ten minutes before the end of the day
        at(2, 2, 19),  # after hours: until Tuesday 17:00
        at(2, 6, 19),  # Friday night: until Monday 17:00
        at(2, 7, 11),  # Saturday: until Monday 17:00
    ]
    delays = [timedelta(minutes=5), timedelta(minutes=20), timedelta(hours=23), None]
    expected = {"within": 0, "missed": 0}
    with store.session() as session:
        ensure_default_pipeline(session)
        for i, captured in enumerate(captures):
            for k, delay in enumerate(delays):
                session.add(
                    Lead(
                        display_name=f"H{i}{k}",
                        tier="High",
                        status="open",
                        captured_at=captured,
                        first_contacted_at=captured + delay if delay else None,
                    )
                )
                window = response_window("High", captured)
                assert window is not None
                within = delay is not None and delay < window
                expected["within" if within else "missed"] += 1
        session.commit()
        high = next(t for t in sla(session, clock, FEB).tiers if t.tier == "High")
    assert (high.within, high.missed, high.pending) == (expected["within"], expected["missed"], 0)
    assert expected == {"within": 11, "missed": 9}


def test_sla_report_and_inbox_countdown_read_the_settings_windows(
    store: Store, clock: SettableClock, history: History
) -> None:
    """Medium set to 60 minutes: L3, contacted 2 h after capture, is late in the report and
    the inbox shows it due an hour after capture."""
    with store.session() as session:
        session.execute(update(Lead).values(created_at=Lead.captured_at))
        save_settings(session, clock.now(), sla_minutes={"Medium": 60})
        session.commit()
        medium = next(t for t in sla(session, clock, FEB).tiers if t.tier == "Medium")
        row = next(r for r in list_leads(session) if r.id == history.leads["L3"])
    assert (medium.window, medium.within, medium.missed) == ("1 h", 0, 1)
    assert row.first_response_due == CAPTURED["L3"] + timedelta(hours=1)


def test_sla_for_high_closes_in_the_team_time_zone(store: Store, clock: SettableClock) -> None:
    """Work ends 17:00 in New York (22:00 UTC in February, 21:00 UTC in July): a High lead
    captured 16:30 there and contacted 17:10 is late; one contacted at 16:50 is not."""
    captures = [
        (datetime(2026, 2, 2, 21, 30, tzinfo=UTC), timedelta(minutes=40)),  # missed
        (datetime(2026, 2, 3, 21, 30, tzinfo=UTC), timedelta(minutes=20)),  # within
        (datetime(2026, 7, 6, 20, 30, tzinfo=UTC), timedelta(minutes=40)),  # missed (EDT)
        (datetime(2026, 7, 7, 20, 30, tzinfo=UTC), timedelta(minutes=20)),  # within (EDT)
    ]
    with store.session() as session:
        ensure_default_pipeline(session)
        save_settings(session, clock.now(), work_timezone="America/New_York")
        for i, (captured, delay) in enumerate(captures):
            session.add(
                Lead(
                    display_name=f"NY{i}",
                    tier="High",
                    status="open",
                    captured_at=captured,
                    created_at=captured,
                    first_contacted_at=captured + delay,
                )
            )
        session.commit()
        year = MetricsFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
        high = next(t for t in sla(session, clock, year).tiers if t.tier == "High")
        windows = load_settings(session).response_windows()
    assert (high.within, high.missed) == (2, 2)
    for captured, delay in captures:  # the inbox countdown's definition agrees
        due = windows.due(captured, "High", None)
        assert due is not None and (captured + delay < due) == (delay.seconds == 20 * 60)
