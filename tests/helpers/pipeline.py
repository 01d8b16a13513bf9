"""Building blocks for pipeline tests: a team, the default pipeline, leads in given stages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.demo.generator import ensure_team
from app.models import Lead, User
from app.services.leads.edit import create_lead
from app.services.pipeline.stages import StageInfo, ensure_default_pipeline, list_stages


def setup(session: Session, clock: Clock) -> tuple[dict[str, User], dict[str, StageInfo]]:
    """The demo team keyed by role word (owner, manager, rep) and stages keyed by name."""
    team = ensure_team(session, clock)
    ensure_default_pipeline(session)
    people = {
        "owner": next(u for u in team if u.role == "owner"),
        "manager": next(u for u in team if u.role == "manager"),
        "rep": next(u for u in team if u.role == "rep"),
    }
    return people, {s.name: s for s in list_stages(session)}


QUALIFIED = {
    "name": "Ada Lovelace",
    "company": "Analytical Engines",
    "industry": "Software",
    "headcount": "250",
    "decision_role": "technical",
}


def make_lead(
    session: Session,
    clock: Clock,
    stage: StageInfo | None = None,
    *,
    entered: datetime | None = None,
    **values: Any,
) -> Lead:
    lead = create_lead(session, clock, {"name": "Test Lead", **values})
    if stage is not None:
        lead.stage_id = stage.id
    if entered is not None:
        lead.stage_entered_at = entered
    session.flush()
    return lead
