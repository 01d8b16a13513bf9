"""The gate rules over plain facts: no database, no Qt.

Which exit criteria a lead has not met yet, in words a rep understands, and whether a move
from one stage to another must pass gates. `gates.py` gathers the facts from the database
(`LeadFacts`: the lead's fields, typed columns first then its details, its owner, and which
activity types it has booked or done) and re-exports these names.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# Stage kinds (the values of app.models.StageKind, which imports SQLAlchemy).
OPEN, WON, LOST = "open", "won", "lost"


@dataclass(frozen=True)
class StageInfo:
    id: int
    name: str
    position: int
    kind: str
    exit_status: str | None
    stale_hours: int | None
    win_probability: float
    criteria: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return self.kind == OPEN

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "kind": self.kind,
            "exit_status": self.exit_status,
            "stale_hours": self.stale_hours,
            "win_probability": self.win_probability,
            "criteria": self.criteria,
        }


CRITERION_KINDS: dict[str, str] = {
    "owner_assigned": "An owner is assigned",
    "n_of_m": "At least N of these hold",
    "field_in": "Field is one of",
    "number_at_least": "Number at or above",
    "field_present": "Field is filled in",
    "field_true": "Field is yes",
    "field_false": "Field is no",
    "date_set": "Date is set",
    "checklist": "Checklist item ticked",
    "activity_scheduled": "Activity scheduled or held",
    "activity_done": "Activity done",
}

TRUE_WORDS = {"true", "yes", "y", "1", "on", "x", "done"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "none"}


@dataclass
class LeadFacts:
    """What the gates need to know about one lead."""

    lead_id: int
    values: Mapping[str, Any]  # typed columns of the lead
    details: Mapping[str, Any]
    scheduled_types: set[str] = field(default_factory=set)  # booked (planned, not a cadence step)
    done_types: set[str] = field(default_factory=set)
    columns: Collection[str] | None = None  # which keys of `values` are columns (None: all)

    def get(self, name: str) -> Any:
        """Typed column first (if it holds something), then the lead's details."""
        if name in (self.values if self.columns is None else self.columns):
            value = self.values.get(name)
            if value is not None:
                return value
        return self.details.get(name)


@dataclass(frozen=True)
class UnmetCriterion:
    """An exit criterion a lead does not meet yet, with what the UI needs to satisfy it."""

    stage_id: int
    stage_name: str
    kind: str
    label: str
    params: dict[str, Any]
    criterion_id: int | None = None
    # For "n of m": the nested criteria still unmet, and how many more must hold.
    children: tuple[UnmetCriterion, ...] = ()
    missing: int = 0
    # Why the value the lead has does not count ("30 is below the required 50"); "" if empty.
    detail: str = ""

    @property
    def text(self) -> str:
        """The label, with the gap spelled out for "n of m" criteria."""
        if self.kind == "n_of_m" and self.children:
            names = "; ".join(c.label for c in self.children)
            return f"{self.label} (needs {self.missing} more of: {names})"
        return self.label

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "stage": self.stage_name,
            "stage_id": self.stage_id,
            "kind": self.kind,
            "label": self.label,
            "text": self.text,
            "params": self.params,
        }
        if self.detail:
            data["detail"] = self.detail
        if self.children:
            data["missing"] = self.missing
            data["children"] = [c.to_dict() for c in self.children]
        return data


@dataclass(frozen=True)
class MoveCheck:
    """Whether `lead` may move to `to_stage`, and if not, what stands in the way."""

    lead_id: int
    from_stage_id: int | None
    to_stage_id: int
    direction: str  # forward, back, exit, reopen, same
    unmet: list[UnmetCriterion] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.unmet

    @property
    def labels(self) -> list[str]:
        return [u.text for u in self.unmet]


# -- single criteria --------------------------------------------------------------------------


def as_bool(value: Any) -> bool | None:
    """True/False for the ways people and imports write yes and no; None when unknown."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


def as_number(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None


def as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def is_present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict | tuple | set):
        return bool(value)
    return True


def criterion_met(kind: str, params: Mapping[str, Any], facts: LeadFacts) -> bool:
    """Whether one (non-nested) criterion holds. Unknown kinds never hold: a typo in a gate
    must block rather than wave leads through."""
    name = params.get("field") or params.get("item") or ""
    if kind == "owner_assigned":
        return facts.values.get("owner_id") is not None
    if kind == "field_present":
        return is_present(facts.get(name))
    if kind in ("field_true", "checklist"):
        return as_bool(facts.get(name)) is True
    if kind == "field_false":
        # An explicit "no" is required: an objection nobody asked about is not known to be gone.
        return as_bool(facts.get(name)) is False
    if kind == "field_in":
        value = facts.get(name)
        if value is None:
            return False
        allowed = {str(v).strip().lower() for v in params.get("values", [])}
        return str(value).strip().lower() in allowed
    if kind == "number_at_least":
        number = as_number(facts.get(name))
        minimum = as_number(params.get("min", 0))
        return number is not None and minimum is not None and number >= minimum
    if kind == "date_set":
        return as_date(facts.get(name)) is not None
    if kind == "activity_scheduled":
        # Booked or already held: a discovery call that took place still satisfies the gate.
        held = facts.scheduled_types | facts.done_types
        return bool(held & set(params.get("types") or _ANY_TYPE))
    if kind == "activity_done":
        return bool(facts.done_types & set(params.get("types") or _ANY_TYPE))
    return False


_ANY_TYPE = ("email", "call", "linkedin", "meeting", "task")


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        value = value.normalize()
        return f"{value:f}"
    return str(value)


def why_unmet(kind: str, params: Mapping[str, Any], facts: LeadFacts) -> str:
    """Why a value the lead does have does not meet the criterion; "" when it has none."""
    name = params.get("field") or params.get("item") or ""
    value = facts.get(name) if name else None
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if kind == "number_at_least":
        number, minimum = as_number(value), as_number(params.get("min", 0))
        if number is None:
            return f"{value!r} is not a number"
        return f"{_plain(number)} is below the required {_plain(minimum)}"
    if kind == "field_in":
        allowed = ", ".join(str(v) for v in params.get("values", []))
        return f"{value!r} is not one of: {allowed}"
    if kind == "date_set":
        return f"{value!r} is not a date (use YYYY-MM-DD)"
    if kind in ("field_true", "checklist"):
        return f"{value!r} is not a yes"
    if kind == "field_false":
        return f"{value!r} is not a no"
    return ""


def evaluate_criterion(
    stage: StageInfo, criterion: Mapping[str, Any], facts: LeadFacts
) -> UnmetCriterion | None:
    """None when the criterion holds, else what is missing."""
    kind = criterion["kind"]
    params = dict(criterion.get("params") or {})
    if kind == "n_of_m":
        nested = list(params.get("criteria") or [])
        need = int(params.get("n", len(nested)))
        unmet_children = []
        met = 0
        for child in nested:
            gap = evaluate_criterion(stage, child, facts)
            if gap is None:
                met += 1
            else:
                unmet_children.append(gap)
        if met >= need:
            return None
        return UnmetCriterion(
            stage.id,
            stage.name,
            kind,
            criterion["label"],
            params,
            criterion.get("id"),
            tuple(unmet_children),
            need - met,
        )
    if criterion_met(kind, params, facts):
        return None
    return UnmetCriterion(
        stage.id,
        stage.name,
        kind,
        criterion["label"],
        params,
        criterion.get("id"),
        detail=why_unmet(kind, params, facts),
    )


def unmet_for_stage(stage: StageInfo, facts: LeadFacts) -> list[UnmetCriterion]:
    return [gap for c in stage.criteria if (gap := evaluate_criterion(stage, c, facts)) is not None]


# -- moves ------------------------------------------------------------------------------------


def direction_of(from_stage: StageInfo | None, to_stage: StageInfo) -> str:
    if from_stage is not None and from_stage.id == to_stage.id:
        return "same"
    if to_stage.kind == LOST:
        return "exit"
    if from_stage is None or from_stage.kind != OPEN:
        # Out of Won/Lost/Disqualified/Nurture (or from nowhere) back into the pipeline.
        return "reopen" if to_stage.kind == OPEN else "forward"
    return "forward" if to_stage.position > from_stage.position else "back"


def gates_between(
    stages: list[StageInfo], from_stage: StageInfo, to_stage: StageInfo
) -> list[StageInfo]:
    """The stages whose gates a forward move from `from_stage` to `to_stage` must pass:
    every open stage it leaves (no skipping), and a Won stage's own criteria on arrival."""
    passing = [
        s
        for s in stages
        if s.kind == OPEN and from_stage.position <= s.position < to_stage.position
    ]
    if to_stage.kind == WON:
        passing.append(to_stage)
    return passing


def check_move(
    stages: list[StageInfo], facts: LeadFacts, from_stage_id: int | None, to_stage_id: int
) -> MoveCheck:
    by_id = {s.id: s for s in stages}
    to_stage = by_id.get(to_stage_id)
    if to_stage is None:
        raise ValueError(f"Stage {to_stage_id} is not in this pipeline.")
    from_stage = by_id.get(from_stage_id) if from_stage_id is not None else None
    direction = direction_of(from_stage, to_stage)
    unmet: list[UnmetCriterion] = []
    if direction == "forward" and from_stage is not None:
        for stage in gates_between(stages, from_stage, to_stage):
            unmet.extend(unmet_for_stage(stage, facts))
    elif direction == "reopen" and to_stage.kind == WON:
        unmet.extend(unmet_for_stage(to_stage, facts))
    return MoveCheck(facts.lead_id, from_stage_id, to_stage_id, direction, unmet)
