"""Tuning the rules: preview a change's tier moves, source quality and suggested weights."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Lead, LeadStatus
from app.services.scoring.rescore import ProgressState, rescore_leads
from app.services.scoring.rules import load_rules, save_rules, validate_rules


@dataclass(frozen=True)
class TierPreview:
    scored: int
    changes: int
    by_transition: dict[str, int]
    by_tier_before: dict[str, int]
    by_tier_after: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def preview_rules(
    session: Session, clock: Clock, rules: dict[str, Any], state: ProgressState | None = None
) -> TierPreview:
    """How many leads would change tier under `rules` (against their stored tiers)."""
    validate_rules(rules)
    before = dict(
        session.execute(
            select(Lead.tier, func.count()).where(Lead.tier.is_not(None)).group_by(Lead.tier)
        ).all()
    )
    res = rescore_leads(session, clock, None, state, rules=rules, dry_run=True)
    return TierPreview(
        scored=res.scored,
        changes=res.tier_changes,
        by_transition=res.by_transition,
        by_tier_before={str(k): int(v) for k, v in before.items()},
        by_tier_after=res.by_tier,
    )


# -- source quality -------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceQuality:
    source: str
    closed: int
    won: int
    close_rate: float
    weight: float
    suggested_weight: float

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def source_quality(
    session: Session, clock: Clock, days: int = 90, rules: dict[str, Any] | None = None
) -> list[SourceQuality]:
    """Close rate (won / closed) by source over the trailing `days`, with suggested weights.

    A source closing better than the average earns weight, one worse loses it, in proportion
    to the gap and damped for small samples, so one lucky deal does not swing the rules.
    """
    rules = rules or load_rules(session)
    since = clock.now() - timedelta(days=days)
    closed_statuses = (LeadStatus.WON, LeadStatus.LOST, LeadStatus.DISQUALIFIED)
    rows = session.execute(
        select(
            Lead.source,
            func.count(),
            func.sum(case((Lead.status == LeadStatus.WON, 1), else_=0)),
        )
        .where(
            Lead.status.in_(closed_statuses),
            Lead.stage_entered_at >= since,
            Lead.source.is_not(None),
        )
        .group_by(Lead.source)
    ).all()
    total_closed = sum(int(r[1]) for r in rows)
    total_won = sum(int(r[2] or 0) for r in rows)
    overall = total_won / total_closed if total_closed else 0.0
    weights = rules["fit"]["source"]
    out = []
    for source, closed, won in rows:
        closed, won = int(closed), int(won or 0)
        rate = won / closed if closed else 0.0
        current = float(weights.get(source, 0))
        confidence = closed / (closed + 30.0)
        gap = (rate - overall) / overall if overall else 0.0
        suggested = max(0.0, min(10.0, round(current + 4.0 * gap * confidence)))
        out.append(SourceQuality(source, closed, won, rate, current, suggested))
    out.sort(key=lambda s: -s.close_rate)
    return out


def apply_source_weights(
    session: Session, clock: Clock, weights: dict[str, float], *, by_user_id: int | None = None
) -> dict[str, Any]:
    """A manager accepts suggested source weights: saved into the rules (rescore separately)."""
    rules = load_rules(session)
    rules["fit"]["source"].update({k: float(v) for k, v in weights.items()})
    save_rules(session, clock, rules, by_user_id=by_user_id)
    return rules
