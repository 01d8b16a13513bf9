"""Small builders for follow-up and timer tests: a team, a pipeline, leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.models import Lead, LeadStatus, Role, User
from app.services.auth import Actor
from app.services.followups.cadence import ensure_default_cadences
from app.services.pipeline.stages import ensure_default_pipeline, list_stages


@dataclass
class Team:
    manager: int
    rep_a: int
    rep_b: int
    stages: dict[str, int]


def make_team(session: Session) -> Team:
    pipeline = ensure_default_pipeline(session)
    ensure_default_cadences(session)
    users = [
        User(name="Maria Manager", email="maria@example.com", role=Role.MANAGER),
        User(name="Ana Rep", email="ana@example.com", role=Role.REP),
        User(name="Ben Rep", email="ben@example.com", role=Role.REP),
    ]
    session.add_all(users)
    session.flush()
    stages = {s.name: s.id for s in list_stages(session, pipeline.id)}
    return Team(users[0].id, users[1].id, users[2].id, stages)


def make_lead(
    session: Session,
    team: Team,
    captured_at: datetime,
    *,
    tier: str | None = "High",
    owner: int | None = -1,
    stage: str = "New",
    **values: Any,
) -> Lead:
    lead = Lead(
        first_name="Jane",
        last_name="Doe",
        display_name="Jane Doe",
        email="Jane.Doe@acme.test",
        phone="+1 (555) 010-2000",
        company="Acme",
        # Qualified (3 of 4 fit signals and a stated timing): no offer to nurture unless a
        # test asks for an unqualified lead.
        industry=values.pop("industry", "Software"),
        headcount=values.pop("headcount", 250),
        captured_at=captured_at,
        owner_id=team.rep_a if owner == -1 else owner,
        pipeline_id=None,
        stage_id=team.stages[stage],
        stage_entered_at=values.pop("stage_entered_at", captured_at),
        status=values.pop("status", LeadStatus.OPEN),
        tier=tier,
        details=values.pop("details", {"decision_role": "technical"}),
        qualifiers=values.pop("qualifiers", {"timeframe": "This quarter"}),
        created_at=captured_at,
        **values,
    )
    from app.services.pipeline.stages import default_pipeline

    pipeline = default_pipeline(session)
    lead.pipeline_id = pipeline.id if pipeline else None
    session.add(lead)
    session.flush()
    return lead


def actor_of(session: Session, user_id: int) -> Actor:
    """The team member as the actor of an API call."""
    user = session.get(User, user_id)
    assert user is not None
    return Actor(user.id, user.name, user.role)
