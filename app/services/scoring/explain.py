"""What a lead's score is made of now, and why its tier last changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import AuditEvent, Lead
from app.services.followups.settings import response_windows
from app.services.scoring.engine import Contribution, explain_facts, tier_action
from app.services.scoring.rescore import facts_query, load_events, row_facts
from app.services.scoring.rules import load_rules


@dataclass(frozen=True)
class Explanation:
    lead_id: int
    score: int
    tier: str
    action: str
    response_window: str  # the tier's first-response window in words
    sub_scores: dict[str, int]
    contributions: list[Contribution]
    tier_changes: list[dict[str, Any]]

    def group(self, name: str) -> list[Contribution]:
        return [c for c in self.contributions if c.group == name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "score": self.score,
            "tier": self.tier,
            "action": self.action,
            "first_response_window": self.response_window,
            "sub_scores": dict(self.sub_scores),
            "contributions": [c.to_dict() for c in self.contributions],
            "tier_changes": self.tier_changes,
        }


def explain(
    session: Session, clock: Clock, lead_id: int, rules: dict[str, Any] | None = None
) -> Explanation | None:
    """Every contribution to the lead's score now; their points sum exactly to the score."""
    rules = rules or load_rules(session)
    row = session.execute(facts_query().where(Lead.id == lead_id)).first()
    if row is None:
        return None
    events = load_events(session, [lead_id], False).get(lead_id, [])
    res, contributions = explain_facts(rules, clock.now(), row_facts(row), events)
    subs = {"fit": res.fit, "intent": res.intent, "authority": res.authority, "timing": res.timing}
    windows = response_windows(session)
    history = session.execute(
        select(AuditEvent.at, AuditEvent.data)
        .where(
            AuditEvent.entity == "lead",
            AuditEvent.entity_id == lead_id,
            AuditEvent.action == "tier_changed",
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(5)
    )
    changes = [
        {"at": at.isoformat(), "text": d.get("text"), "detail": d.get("detail")}
        for at, d in history
    ]
    return Explanation(
        lead_id=lead_id,
        score=res.score,
        tier=res.tier,
        action=tier_action(res.tier, rules),
        response_window=windows.describe(res.tier),
        sub_scores=subs,
        contributions=contributions,
        tier_changes=changes,
    )
