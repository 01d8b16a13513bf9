"""Small builders for scoring and routing tests: users and leads with just the facts needed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Account, EngagementEvent, Lead, Role, User


def add_user(
    session: Session,
    name: str,
    *,
    role: str = Role.REP,
    capacity: int = 100,
    available: bool = True,
    territory: str | None = None,
) -> User:
    user = User(
        name=name,
        email=f"{name.lower().replace(' ', '.')}@example.test",
        role=role,
        capacity=capacity,
        available=available,
        territory=territory,
        last_assigned_seq=0,
    )
    session.add(user)
    session.flush()
    return user


def add_lead(session: Session, captured_at: datetime, **values: Any) -> Lead:
    values.setdefault("display_name", f"Lead {values.get('title') or ''}".strip())
    lead = Lead(captured_at=captured_at, created_at=captured_at, **values)
    session.add(lead)
    session.flush()
    return lead


def add_event(session: Session, lead: Lead, kind: str, at: datetime, **detail: Any) -> None:
    session.add(EngagementEvent(lead_id=lead.id, kind=kind, at=at, detail=detail))
    session.flush()


def add_urgent_lead(session: Session, clock: Clock) -> Lead:
    """A brand-new Urgent lead (a CEO's demo request and a hot badge scan just now), scored,
    not contacted: its first response is due in 5 minutes."""
    from app.services.scoring import core as scoring

    lead = add_lead(
        session,
        clock.now(),
        display_name="Zelda Quickfire",
        title="CEO",
        industry="Software",
        headcount=400,
        country="Germany",
        qualifiers={"timeframe": "This quarter", "budget": "Approved", "rating": "Hot"},
        status="open",
    )
    add_event(session, lead, "demo_request", clock.now())
    add_event(session, lead, "badge_scan", clock.now(), rating="Hot")
    scoring.rescore_leads(session, clock, [lead.id])
    session.refresh(lead)
    return lead


def add_account(session: Session, company: str, owner: User | None = None) -> Account:
    account = Account(company=company, owner_id=owner.id if owner else None)
    session.add(account)
    session.flush()
    return account


def only_rules(**overrides: Any) -> dict[str, Any]:
    """Scoring rules with every default point zeroed, plus `overrides` (nested dicts merge)."""
    from app.services.scoring.core import _merge, default_rules

    rules = default_rules()
    fit = rules["fit"]
    fit["industry"] = {}
    fit["size"] = []
    fit["country"] = {}
    fit["ideal"]["points"] = 0
    fit["source"] = {}
    rules["intent"]["events"] = {k: 0 for k in rules["intent"]["events"]}
    rules["intent"]["rating"] = {}
    rules["intent"]["per_star"] = 0
    rules["authority"]["points"] = {k: 0 for k in rules["authority"]["points"]}
    rules["timing"]["timeframe"] = {}
    rules["timing"]["budget"] = {}
    return _merge(rules, overrides)
