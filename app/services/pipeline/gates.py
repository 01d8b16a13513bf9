"""The gates against the database: the facts a lead's criteria are checked on, and the
checks the services and views ask for. The rules themselves are the pure `engine` (its names
are importable from here too).

Facts for a whole board page are gathered with one query per page (see `facts_for_rows`), so
the board can show an unmet count on every card without a query per card.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Activity, ActivityStatus, Lead, Stage, StageKind
from app.services.pipeline.engine import (
    CRITERION_KINDS,
    FALSE_WORDS,
    TRUE_WORDS,
    LeadFacts,
    MoveCheck,
    UnmetCriterion,
    as_bool,
    as_date,
    as_number,
    check_move,
    criterion_met,
    direction_of,
    evaluate_criterion,
    gates_between,
    is_present,
    unmet_for_stage,
)
from app.services.pipeline.stages import StageInfo, list_stages

__all__ = [  # the engine's names, importable from here as before
    "CRITERION_KINDS",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "GateStatus",
    "LeadFacts",
    "MoveCheck",
    "UnmetCriterion",
    "activity_types",
    "as_bool",
    "as_date",
    "as_number",
    "can_move",
    "check_move",
    "criterion_met",
    "current_gate_status",
    "direction_of",
    "evaluate_criterion",
    "facts_for_lead",
    "facts_for_rows",
    "gates_between",
    "is_present",
    "lead_values",
    "unmet_current",
    "unmet_for_stage",
]

_LEAD_COLUMNS = frozenset(c.key for c in Lead.__table__.columns)

# -- facts ------------------------------------------------------------------------------------


def activity_types(
    session: Session, lead_ids: Iterable[int], now: datetime
) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """(booked types, done types) per lead, in one query (`now` kept for callers)."""
    ids = list(lead_ids)
    scheduled: dict[int, set[str]] = {i: set() for i in ids}
    done: dict[int, set[str]] = {i: set() for i in ids}
    if not ids:
        return scheduled, done
    # Only lead_id in the WHERE: a status condition lets SQLite pick the (status, due_at)
    # index and scan every planned activity in the store instead of these leads' few rows.
    rows = session.execute(
        select(
            Activity.lead_id,
            Activity.type,
            Activity.status,
            Activity.due_at,
            Activity.cadence_step_id,
        ).where(Activity.lead_id.in_(ids))
    )
    for lead_id, kind, status, due_at, step in rows:
        if status == ActivityStatus.DONE:
            done[lead_id].add(kind)
        elif (
            status == ActivityStatus.PLANNED
            and due_at is not None
            # A cadence's planned outreach (the day-3 call...) is an attempt, not a booked
            # call or meeting: it must not open a "call scheduled" gate by itself. A booked
            # one whose time has passed was still scheduled (not cancelled).
            and step is None
        ):
            scheduled[lead_id].add(kind)
    return scheduled, done


def lead_values(lead: Lead) -> dict[str, Any]:
    return {key: getattr(lead, key) for key in _LEAD_COLUMNS if key not in ("details", "raw_row")}


def facts_for_lead(session: Session, lead: Lead, now: datetime) -> LeadFacts:
    scheduled, done = activity_types(session, [lead.id], now)
    return LeadFacts(
        lead.id,
        lead_values(lead),
        dict(lead.details or {}),
        scheduled[lead.id],
        done[lead.id],
        _LEAD_COLUMNS,
    )


def facts_for_rows(
    session: Session, rows: Iterable[Mapping[str, Any]], now: datetime
) -> dict[int, LeadFacts]:
    """Facts for many leads given their column values (Core row mappings)."""
    rows = list(rows)
    scheduled, done = activity_types(session, [r["id"] for r in rows], now)
    return {
        r["id"]: LeadFacts(
            r["id"],
            r,
            dict(r.get("details") or {}),
            scheduled[r["id"]],
            done[r["id"]],
            _LEAD_COLUMNS,
        )
        for r in rows
    }


def can_move(
    session: Session,
    lead: Lead,
    to_stage: Stage | StageInfo | int,
    now: datetime | None = None,
    *,
    stages: list[StageInfo] | None = None,
) -> MoveCheck:
    """Whether `lead` may move to `to_stage`; the unmet criteria with labels when not."""
    now = now or datetime.now(UTC)
    stages = stages if stages is not None else list_stages(session, lead.pipeline_id)
    to_id = to_stage if isinstance(to_stage, int) else to_stage.id
    return check_move(stages, facts_for_lead(session, lead, now), lead.stage_id, to_id)


def unmet_current(
    session: Session, lead: Lead, now: datetime, stages: list[StageInfo] | None = None
) -> list[UnmetCriterion]:
    """The exit criteria of the lead's current stage that do not hold yet."""
    stages = stages if stages is not None else list_stages(session, lead.pipeline_id)
    stage = next((s for s in stages if s.id == lead.stage_id), None)
    if stage is None or stage.kind != StageKind.OPEN:
        return []
    return unmet_for_stage(stage, facts_for_lead(session, lead, now))


@dataclass(frozen=True)
class GateStatus:
    """A criterion of the lead's current stage and whether it holds (for the lead panel)."""

    label: str
    met: bool
    detail: str = ""


def current_gate_status(session: Session, lead_id: int, now: datetime) -> list[GateStatus]:
    """Every exit criterion of the lead's current stage, met or not, in order."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return []
    stages = list_stages(session, lead.pipeline_id)
    stage = next((s for s in stages if s.id == lead.stage_id), None)
    if stage is None or stage.kind != StageKind.OPEN:
        return []
    facts = facts_for_lead(session, lead, now)
    out = []
    for c in stage.criteria:
        gap = evaluate_criterion(stage, c, facts)
        if gap is None:
            out.append(GateStatus(c["label"], True))
        else:
            extra = ""
            if gap.children:
                extra = f"needs {gap.missing} more of: " + "; ".join(x.label for x in gap.children)
            out.append(GateStatus(c["label"], False, extra))
    return out
