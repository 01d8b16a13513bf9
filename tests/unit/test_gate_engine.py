"""The pure gate engine (services/pipeline/engine.py): no database, properties over plain facts."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.pipeline.engine import (
    LeadFacts,
    StageInfo,
    check_move,
    criterion_met,
)

FIELDS = ["industry", "headcount", "tech_stack", "signed_at", "decision_maker"]

_simple = st.one_of(
    st.builds(lambda f: {"kind": "field_present", "params": {"field": f}}, st.sampled_from(FIELDS)),
    st.builds(lambda f: {"kind": "field_true", "params": {"field": f}}, st.sampled_from(FIELDS)),
    st.builds(lambda f: {"kind": "field_false", "params": {"field": f}}, st.sampled_from(FIELDS)),
    st.builds(
        lambda f, n: {"kind": "number_at_least", "params": {"field": f, "min": n}},
        st.sampled_from(FIELDS),
        st.integers(0, 500),
    ),
    st.builds(
        lambda f, vs: {"kind": "field_in", "params": {"field": f, "values": vs}},
        st.sampled_from(FIELDS),
        st.lists(st.sampled_from(["Software", "yes", "no", "12", "SAP"]), max_size=3),
    ),
    st.builds(lambda: {"kind": "owner_assigned", "params": {}}),
    st.builds(
        lambda ts: {"kind": "activity_scheduled", "params": {"types": ts}},
        st.lists(st.sampled_from(["call", "meeting"]), min_size=1, max_size=2),
    ),
    st.builds(
        lambda ts: {"kind": "activity_done", "params": {"types": ts}},
        st.lists(st.sampled_from(["call", "email"]), min_size=1, max_size=2),
    ),
)
_criterion = st.one_of(
    _simple,
    st.builds(
        lambda kids, n: {"kind": "n_of_m", "params": {"n": min(n, len(kids)), "criteria": kids}},
        st.lists(_simple, min_size=1, max_size=4),
        st.integers(1, 4),
    ),
)
_value = st.one_of(
    st.none(),
    st.sampled_from(["", "  ", "Software", "SAP", "yes", "no", "12", "2026-03-01", "x"]),
    st.integers(-5, 1000),
    st.booleans(),
)
_facts = st.builds(
    lambda values, details, scheduled, done: LeadFacts(1, values, details, scheduled, done),
    st.dictionaries(st.sampled_from([*FIELDS, "owner_id"]), _value, max_size=6),
    st.dictionaries(st.sampled_from(FIELDS), _value, max_size=5),
    st.sets(st.sampled_from(["call", "meeting", "email"])),
    st.sets(st.sampled_from(["call", "meeting", "email"])),
)


def _labelled(criterion: dict[str, Any], label: str) -> dict[str, Any]:
    params = dict(criterion["params"])
    if criterion["kind"] == "n_of_m":
        kids = params["criteria"]
        params["criteria"] = [_labelled(k, f"{label}/{n}") for n, k in enumerate(kids)]
    return {**criterion, "params": params, "label": label}


def _pipeline(criteria: list[list[dict[str, Any]]]) -> list[StageInfo]:
    stages = [
        StageInfo(
            i + 1,
            f"S{i}",
            i,
            "open",
            None,
            None,
            0.0,
            [{**_labelled(c, f"c{i}.{k}"), "id": 10 * i + k} for k, c in enumerate(cs)],
        )
        for i, cs in enumerate(criteria)
    ]
    return [*stages, StageInfo(99, "Won", len(stages), "won", "won", None, 1.0, [])]


def _holds(criterion: dict[str, Any], facts: LeadFacts) -> bool:
    """An independent reading of a criterion: n_of_m counts its children that hold."""
    params = criterion["params"]
    if criterion["kind"] == "n_of_m":
        met = sum(_holds(child, facts) for child in params["criteria"])
        return met >= params["n"]
    return criterion_met(criterion["kind"], params, facts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(_criterion, max_size=3), min_size=2, max_size=5),
    _facts,
    st.data(),
)
def test_a_gate_never_passes_with_a_criterion_unmet(
    criteria: list[list[dict[str, Any]]], facts: LeadFacts, data: st.DataObject
) -> None:
    stages = _pipeline(criteria)
    opened = [s for s in stages if s.kind == "open"]
    i = data.draw(st.integers(0, len(opened) - 1))
    j = data.draw(st.integers(i + 1, len(stages) - 1))
    check = check_move(stages, facts, stages[i].id, stages[j].id)
    assert check.direction == "forward"
    left = [s for s in opened if i <= s.position < j]  # every stage it leaves: no skipping
    unmet_any = any(not _holds(c, facts) for s in left for c in s.criteria)
    assert bool(check.unmet) == unmet_any
    reported = {(u.stage_id, u.label) for u in check.unmet}
    for s in left:
        for c in s.criteria:
            if not _holds(c, facts):
                assert (s.id, c["label"]) in reported


@given(st.lists(st.lists(_criterion, max_size=3), min_size=2, max_size=4), _facts)
def test_moving_back_or_out_never_asks_for_gates(
    criteria: list[list[dict[str, Any]]], facts: LeadFacts
) -> None:
    stages = _pipeline(criteria)
    back = check_move(stages, facts, stages[1].id, stages[0].id)
    assert back.direction == "back" and back.unmet == []


def test_an_unknown_criterion_kind_blocks() -> None:
    stages = _pipeline([[{"kind": "typo_kind", "params": {}}], []])
    check = check_move(stages, LeadFacts(1, {"owner_id": 3}, {}), 1, 2)
    assert [u.label for u in check.unmet] == ["c0.0"]


def test_the_engine_needs_neither_sqlalchemy_nor_qt() -> None:
    code = (
        "import sys, app.services.pipeline.engine\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
