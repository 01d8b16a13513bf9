"""The pure scoring engine, without a store: the explanation always adds up to the score, and
tiers follow the score monotonically at the default thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.scoring.engine import (
    GROUPS,
    EventFact,
    LeadFacts,
    Scorer,
    explain_facts,
    tier_for,
)
from app.services.scoring.rules import DEFAULT_RULES, default_rules

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RULES = default_rules()
EVENT_KINDS = [*DEFAULT_RULES["intent"]["events"], "unknown_kind"]


def _choice(table: dict[str, object]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), st.sampled_from(sorted(table)), st.text(max_size=12))


leads = st.builds(
    LeadFacts,
    id=st.integers(1, 10**6),
    industry=_choice(RULES["fit"]["industry"]),
    headcount=st.one_of(st.none(), st.integers(0, 200_000)),
    country=_choice(RULES["fit"]["country"]),
    source=_choice(RULES["fit"]["source"]),
    title=st.one_of(
        st.none(), st.sampled_from(["CEO", "VP Sales", "Data Engineer", "Procurement lead", "x"])
    ),
    timeframe=_choice(RULES["timing"]["timeframe"]),
    budget=_choice(RULES["timing"]["budget"]),
    rating=st.one_of(st.none(), st.sampled_from(["Hot", "Warm", "Cold"])),
    stars=st.one_of(st.none(), st.integers(0, 7), st.just("4")),
)
events = st.lists(
    st.builds(
        EventFact,
        kind=st.sampled_from(EVENT_KINDS),
        # Naive UTC, as the store returns them; some in the future (clock skew on a device).
        at=st.integers(-3 * 86400, 400 * 86400).map(
            lambda s: (NOW - timedelta(seconds=s)).replace(tzinfo=None)
        ),
        rating=st.one_of(st.none(), st.sampled_from(["Hot", "Warm", "Cold"])),
        stars=st.one_of(st.none(), st.integers(0, 5)),
    ),
    max_size=12,
)
# Rules with points big enough to hit the caps (and the 100 total) and small half-lives.
rules_strategy = st.builds(
    lambda half, pts, caps: _rules(half, pts, caps),
    st.floats(0.5, 60),
    st.integers(0, 60),
    st.tuples(*(st.integers(0, 60) for _ in GROUPS)),
)


def _rules(half: float, points: int, caps: tuple[int, ...]) -> dict[str, object]:
    rules = default_rules()
    rules["half_life_days"] = half
    rules["intent"]["events"]["demo_request"] = points
    rules["authority"]["points"]["decision_maker"] = points
    rules["caps"] = dict(zip(GROUPS, caps, strict=True))
    return rules


@settings(max_examples=300, deadline=None)
@given(lead=leads, evs=events, rules=rules_strategy)
def test_explanation_lines_sum_to_the_score(
    lead: LeadFacts, evs: list[EventFact], rules: dict[str, object]
) -> None:
    result, lines = explain_facts(rules, NOW, lead, evs)
    assert sum(line.points for line in lines) == result.score
    for group in GROUPS:
        # Each sub-score is its own lines (capping and flooring included).
        assert sum(line.points for line in lines if line.group == group) == getattr(result, group)
    assert 0 <= result.score <= 100
    # The bulk path (no explanation) gives the very same result.
    assert Scorer(rules, NOW).score(lead, evs) == result  # type: ignore[arg-type]


TIERS = ["Low", "Medium", "High", "Urgent"]


@given(a=st.integers(0, 100), b=st.integers(0, 100))
def test_tiers_are_monotonic_in_the_score(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert TIERS.index(tier_for(low, RULES)) <= TIERS.index(tier_for(high, RULES))


@given(score=st.integers(0, 100))
def test_default_tier_bands(score: int) -> None:
    expected = (
        "Urgent" if score >= 80 else "High" if score >= 60 else "Medium" if score >= 40 else "Low"
    )
    assert tier_for(score, RULES) == expected
    # The scorer's own tiering (the bulk path) agrees with tier_for.
    assert Scorer(RULES, NOW).tier(score) == expected


def test_the_engine_imports_neither_sqlalchemy_nor_qt() -> None:
    import subprocess
    import sys

    code = (
        "import sys, app.services.scoring.engine, app.services.routing.engine; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
