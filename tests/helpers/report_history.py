"""A tiny, hand-built stage history whose report figures are worked out by hand.

Period February 2026 (the `clock` fixture stands at 2026-03-02 09:00 UTC):

- L1 Web form, rep A (first A), 02-01 9:00, contact +3 min:
  New 2d > Initial interest 4d > Discovery 1d > Tech fit 2d > Commercial 2d > Won ($10k).
- L2 Web form, A (A), 02-02 9:00, +30 min: New (1 blocked) 4d > Initial interest 4d >
  Lost no_budget ($20k).
- L3 Event scan / Expo, B (first A), 02-03 9:00, +2 h: New 1d > Disqualified spam.
- L4 Event scan / Expo, B (B), 02-10 9:00, never contacted: New (1 blocked, 2 labels), open.
- L5 Referral, B (B), 01-10 9:00 (before the period), +1 min: New 1d > Initial interest,
  open ($5k).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.models import Lead, LeadStatus, Role, StageTransition, TransitionKind, User
from app.services.pipeline.stages import ensure_default_pipeline, list_stages

QUALIFIED = "Qualified: at least 3 of 4 fit signals"
OWNER_ASSIGNED = "An owner is assigned"
PERIOD = (date(2026, 2, 1), date(2026, 2, 28))


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class History:
    rep_a: int
    rep_b: int
    stage: dict[str, int]
    leads: dict[str, int]


def build_history(session: Session) -> History:
    pipeline = ensure_default_pipeline(session)
    stage = {s.name: s.id for s in list_stages(session)}
    owner = User(name="Olivia Owner", email="o@x.example", role=Role.OWNER, capacity=0)
    a = User(name="Ann Rep", email="a@x.example", role=Role.REP, capacity=2)
    b = User(name="Ben Rep", email="b@x.example", role=Role.REP, capacity=10)
    session.add_all([owner, a, b])
    session.flush()

    specs: list[dict[str, Any]] = [
        dict(
            key="L1",
            source="Web form",
            event=None,
            owner=a.id,
            first=a.id,
            captured=at(2, 1),
            contact=timedelta(minutes=3),
            status=LeadStatus.WON,
            stage="Won",
            value=10000,
        ),
        dict(
            key="L2",
            source="Web form",
            event=None,
            owner=a.id,
            first=a.id,
            captured=at(2, 2),
            contact=timedelta(minutes=30),
            status=LeadStatus.LOST,
            stage="Lost",
            value=20000,
        ),
        dict(
            key="L3",
            source="Event scan",
            event="Expo",
            owner=b.id,
            first=a.id,
            captured=at(2, 3),
            contact=timedelta(hours=2),
            status=LeadStatus.DISQUALIFIED,
            stage="Disqualified",
            value=None,
        ),
        dict(
            key="L4",
            source="Event scan",
            event="Expo",
            owner=b.id,
            first=b.id,
            captured=at(2, 10),
            contact=None,
            status=LeadStatus.OPEN,
            stage="New",
            value=None,
        ),
        dict(
            key="L5",
            source="Referral",
            event=None,
            owner=b.id,
            first=b.id,
            captured=at(1, 10),
            contact=timedelta(minutes=1),
            status=LeadStatus.OPEN,
            stage="Initial interest",
            value=5000,
        ),
    ]
    ids: dict[str, int] = {}
    for n, spec in enumerate(specs, start=1):
        lead = Lead(
            first_name=spec["key"],
            last_name="Test",
            display_name=f"{spec['key']} Test",
            source=spec["source"],
            event=spec["event"],
            captured_at=spec["captured"],
            first_contacted_at=spec["captured"] + spec["contact"] if spec["contact"] else None,
            owner_id=spec["owner"],
            first_owner_id=spec["first"],
            pipeline_id=pipeline.id,
            stage_id=stage[spec["stage"]],
            status=spec["status"],
            deal_value=Decimal(spec["value"]) if spec["value"] else None,
            email=f"l{n}@x.example",
        )
        session.add(lead)
        session.flush()
        ids[spec["key"]] = lead.id

    def move(
        key: str, to: str | None, when: datetime, kind: str, frm: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        return {
            "lead_id": ids[key],
            "from_stage_id": stage[frm] if frm else None,
            "to_stage_id": stage[to] if to else None,
            "kind": kind,
            "at": when,
            **extra,
        }

    c, f, x, b_ = (
        TransitionKind.CREATED,
        TransitionKind.FORWARD,
        TransitionKind.EXIT,
        TransitionKind.BLOCKED,
    )
    rows = [
        move("L1", "New", at(2, 1), c),
        move("L1", "Initial interest", at(2, 3), f, "New"),
        move("L1", "Discovery complete", at(2, 7), f, "Initial interest"),
        move("L1", "Technical fit confirmed", at(2, 8), f, "Discovery complete"),
        move("L1", "Commercial review", at(2, 10), f, "Technical fit confirmed"),
        move("L1", "Won", at(2, 12), f, "Commercial review"),
        move("L2", "New", at(2, 2), c),
        move("L2", "Initial interest", at(2, 2, 12), b_, "New", unmet=[QUALIFIED]),
        move("L2", "Initial interest", at(2, 6), f, "New"),
        move("L2", "Lost", at(2, 10), x, "Initial interest", reason_code="no_budget"),
        move("L3", "New", at(2, 3), c),
        move("L3", "Disqualified", at(2, 4), x, "New", reason_code="spam"),
        move("L4", "New", at(2, 10), c),
        move("L4", "Initial interest", at(2, 11), b_, "New", unmet=[QUALIFIED, OWNER_ASSIGNED]),
        move("L5", "New", at(1, 10), c),
        move("L5", "Initial interest", at(1, 11), f, "New"),
    ]
    session.execute(insert(StageTransition), rows)
    session.flush()
    return History(rep_a=a.id, rep_b=b.id, stage=stage, leads=ids)
