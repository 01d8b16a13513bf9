"""What the inbox needs besides the lead list: chip counts, filter choices, quick exits."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Lead, LeadStatus, Stage, TransitionKind
from app.services.leads.queries import LeadFilter, record_lead_event
from app.services.leads.transitions import MoveError, Transition, apply_transition
from app.store.search import search_backlog

CHIP_KEYS = ("mine", "unassigned", "Urgent", "High", "Medium", "Low", "incomplete")


def chip_counts(session: Session, flt: LeadFilter, user_id: int | None) -> dict[str, int]:
    """Counts for each filter chip over `flt` with the chips' own conditions removed, in one
    scan (so a chip shows how many leads it would add, whatever else is ticked); "indexing":
    new leads the search index has not taken in yet, when `flt` searches."""
    base = dataclasses.replace(flt, owner_id=None, unassigned=False, tiers=(), incomplete=None)
    columns = [
        func.sum(case((Lead.owner_id == (user_id if user_id is not None else -1), 1), else_=0)),
        func.sum(case((Lead.owner_id.is_(None), 1), else_=0)),
        *(
            func.sum(case((Lead.tier == t, 1), else_=0))
            for t in ("Urgent", "High", "Medium", "Low")
        ),
        func.sum(case((Lead.incomplete.is_(True), 1), else_=0)),
    ]
    query = select(*columns).select_from(Lead)
    clauses = base.where()
    if clauses:
        query = query.where(and_(*clauses))
    row = session.execute(query).one()
    counts = {k: int(v or 0) for k, v in zip(CHIP_KEYS, row, strict=True)}
    # A search while a big import's new leads are still being indexed says so (they may be
    # missing from its matches for a few seconds): how many are not in the index yet.
    counts["indexing"] = search_backlog(session) if flt.text.strip() else 0
    return counts


@dataclass(frozen=True)
class FilterOptions:
    sources: list[str]
    events: list[str]
    stages: list[tuple[int, str]]


def filter_options(session: Session) -> FilterOptions:
    sources = session.scalars(
        select(Lead.source).where(Lead.source.is_not(None)).distinct().order_by(Lead.source)
    ).all()
    events = session.scalars(
        select(Lead.event).where(Lead.event.is_not(None)).distinct().order_by(Lead.event)
    ).all()
    stages = session.execute(
        select(Stage.id, Stage.name).order_by(Stage.pipeline_id, Stage.position)
    )
    return FilterOptions(
        [str(s) for s in sources], [str(e) for e in events], [(int(i), str(n)) for i, n in stages]
    )


DISQUALIFY_REASONS = ("no_authority", "no_need", "no_budget", "spam", "duplicate", "bad_timing")
NEEDS_REVISIT_DATE = ("bad_timing",)


def disqualify_lead(
    session: Session,
    clock: Clock,
    lead_id: int,
    reason: str,
    *,
    revisit_at: datetime | None = None,
    by_user_id: int | None = None,
    expected_version: int | None = None,
) -> None:
    """Move the lead to its pipeline's Disqualified exit, with the reason in its history.
    `bad_timing` needs the date to try again (like the same exit on the board)."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise LookupError(f"There is no lead with id {lead_id}.")
    if lead.status == LeadStatus.DISQUALIFIED:
        return
    now = clock.now()
    if reason in NEEDS_REVISIT_DATE and revisit_at is None:
        raise MoveError(f"'{reason}' needs a revisit date for when to try this lead again.")
    if revisit_at is not None and revisit_at <= now:
        raise MoveError("The revisit date must be in the future.")
    exit_stage = session.scalar(
        select(Stage).where(
            Stage.exit_status == LeadStatus.DISQUALIFIED,
            *([Stage.pipeline_id == lead.pipeline_id] if lead.pipeline_id else []),
        )
    )
    if exit_stage is None:
        record_lead_event(session, clock, lead.id, "disqualified", by_user_id, reason=reason)
    apply_transition(
        session,
        lead,
        Transition(
            exit_stage.id if exit_stage else None,
            LeadStatus.DISQUALIFIED,
            TransitionKind.EXIT,
            reason_code=reason,
            disqualify_reason=reason,
            revisit_at=revisit_at,
            restart_stage_clock=False,
        ),
        now=now,
        by_user_id=by_user_id,
        expected_version=expected_version,
    )


def lead_filter_from(spec: dict[str, Any]) -> tuple[LeadFilter, str | None]:
    """A show_leads payload (LeadFilter fields + optional title) as a filter and a title."""
    spec = dict(spec)
    title = spec.pop("title", None)
    fields = {f.name for f in dataclasses.fields(LeadFilter)}
    values = {k: v for k, v in spec.items() if k in fields}
    for key in ("tiers", "ids"):
        if isinstance(values.get(key), list):
            values[key] = tuple(values[key])
    return LeadFilter(**values), title
