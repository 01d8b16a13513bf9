"""The default pipeline, its stages and their exit criteria, and look-ups over them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import GateCriterion, Lead, LeadStatus, Pipeline, Stage, StageKind
from app.services.pipeline.engine import (
    StageInfo as StageInfo,  # re-exported: callers import it here
)

TARGET_INDUSTRIES = ["Software", "Financial services", "Manufacturing", "Healthcare", "Logistics"]
MIN_HEADCOUNT = 50

# (name, kind, exit_status, stale_hours, win_probability, criteria). Stale limits: New 24 h,
# mid-funnel 48 h (editable: `leadgate settings set stale_hours.<Stage>=H`).
# A criterion is (kind, label, params). Kinds are evaluated by services/gates.py.
DEFAULT_STAGES: list[
    tuple[str, str, str | None, int | None, float, list[tuple[str, str, dict[str, Any]]]]
] = [
    (
        "New",
        StageKind.OPEN,
        None,
        24,
        0.05,
        [
            ("owner_assigned", "An owner is assigned", {}),
            (
                "n_of_m",
                "Qualified: at least 3 of 4 fit signals",
                {
                    "n": 3,
                    "criteria": [
                        {
                            "kind": "field_in",
                            "label": "Industry is a target industry",
                            "params": {"field": "industry", "values": TARGET_INDUSTRIES},
                        },
                        {
                            "kind": "number_at_least",
                            "label": f"Company headcount is at least {MIN_HEADCOUNT}",
                            "params": {"field": "headcount", "min": MIN_HEADCOUNT},
                        },
                        {
                            "kind": "field_in",
                            "label": "Contact holds a budget or technical decision role",
                            "params": {
                                "field": "decision_role",
                                "values": ["budget", "technical"],
                            },
                        },
                        {
                            "kind": "field_present",
                            "label": "A purchase timeline is stated",
                            "params": {"field": "timeline"},
                        },
                    ],
                },
            ),
        ],
    ),
    (
        "Initial interest",
        StageKind.OPEN,
        None,
        48,
        0.10,
        [
            ("checklist", "Contact name confirmed", {"item": "contact_confirmed"}),
            ("field_present", "Company size recorded", {"field": "headcount"}),
            (
                "activity_scheduled",
                "Discovery call scheduled",
                {"types": ["call", "meeting"]},
            ),
        ],
    ),
    (
        "Discovery complete",
        StageKind.OPEN,
        None,
        48,
        0.25,
        [
            ("field_present", "Current tech stack documented", {"field": "tech_stack"}),
            ("field_present", "Decision-maker documented", {"field": "decision_maker"}),
            ("field_present", "Business problem stated", {"field": "business_problem"}),
        ],
    ),
    (
        "Technical fit confirmed",
        StageKind.OPEN,
        None,
        48,
        0.50,
        [
            (
                "field_present",
                "Technical stakeholder named who reviewed the solution",
                {"field": "technical_stakeholder"},
            ),
            (
                "field_false",
                "No blocking objection open",
                {"field": "blocking_objection"},
            ),
        ],
    ),
    (
        "Commercial review",
        StageKind.OPEN,
        None,
        48,
        0.75,
        [
            (
                "checklist",
                "Procurement or finance received the proposal",
                {"item": "proposal_received"},
            ),
            ("date_set", "Review date set", {"field": "review_date"}),
        ],
    ),
    (
        "Won",
        StageKind.WON,
        LeadStatus.WON,
        None,
        1.0,
        [("date_set", "Signed agreement recorded (date of signature)", {"field": "signed_at"})],
    ),
    ("Lost", StageKind.LOST, LeadStatus.LOST, None, 0.0, []),
    ("Disqualified", StageKind.LOST, LeadStatus.DISQUALIFIED, None, 0.0, []),
    ("Nurture", StageKind.LOST, LeadStatus.NURTURE, None, 0.0, []),
]


def ensure_default_pipeline(session: Session) -> Pipeline:
    """The default pipeline, created with its stages and gates the first time."""
    pipeline = session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))
    if pipeline is not None:
        return pipeline
    pipeline = Pipeline(name="Sales", is_default=True)
    for position, (name, kind, exit_status, stale, prob, criteria) in enumerate(DEFAULT_STAGES):
        stage = Stage(
            name=name,
            position=position,
            kind=kind,
            exit_status=exit_status,
            stale_hours=stale,
            win_probability=prob,
        )
        stage.criteria = [
            GateCriterion(position=i, kind=k, label=label, params=params)
            for i, (k, label, params) in enumerate(criteria)
        ]
        pipeline.stages.append(stage)
    session.add(pipeline)
    session.flush()
    return pipeline


def default_pipeline(session: Session) -> Pipeline | None:
    return session.scalar(select(Pipeline).where(Pipeline.is_default.is_(True)))


def list_stages(session: Session, pipeline_id: int | None = None) -> list[StageInfo]:
    """Stages of a pipeline (the default one if none is named), in order, with criteria."""
    if pipeline_id is None:
        pipeline = default_pipeline(session)
        if pipeline is None:
            return []
        pipeline_id = pipeline.id
    # Plain rows rather than ORM objects: every move calls this, and loading Stage and
    # GateCriterion instances into the identity map was a third of a move's time.
    stages = session.execute(
        select(
            Stage.id,
            Stage.name,
            Stage.position,
            Stage.kind,
            Stage.exit_status,
            Stage.stale_hours,
            Stage.win_probability,
        )
        .where(Stage.pipeline_id == pipeline_id)
        .order_by(Stage.position)
    ).all()
    criteria: dict[int, list[dict[str, Any]]] = {s.id: [] for s in stages}
    if stages:
        rows = session.execute(
            select(
                GateCriterion.stage_id,
                GateCriterion.id,
                GateCriterion.kind,
                GateCriterion.label,
                GateCriterion.params,
            )
            .where(GateCriterion.stage_id.in_(list(criteria)))
            .order_by(GateCriterion.stage_id, GateCriterion.position, GateCriterion.id)
        )
        for stage_id, cid, kind, label, params in rows:
            criteria[stage_id].append({"id": cid, "kind": kind, "label": label, "params": params})
    return [
        StageInfo(
            id=s.id,
            name=s.name,
            position=s.position,
            kind=s.kind,
            exit_status=s.exit_status,
            stale_hours=s.stale_hours,
            win_probability=s.win_probability,
            criteria=criteria[s.id],
        )
        for s in stages
    ]


def won_and_lost_stages(
    session: Session, lead_id: int
) -> tuple[StageInfo | None, StageInfo | None]:
    """The Won and Lost stages of the lead's pipeline (Lost: the one named so, else any lost
    exit), for the panel's Won / Lost buttons."""
    lead = session.get(Lead, lead_id)
    stages = list_stages(session, lead.pipeline_id if lead is not None else None)
    won = next((s for s in stages if s.kind == StageKind.WON), None)
    lost = next((s for s in stages if s.kind == StageKind.LOST and s.name == "Lost"), None)
    return won, lost or next((s for s in stages if s.kind == StageKind.LOST), None)
