"""Everything the lead detail panel shows about one lead, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.models import Activity, AuditEvent, EngagementEvent, Lead, Stage, StageTransition, User
from app.services.leads.quality import incomplete_reasons
from app.services.leads.queries import LeadRow, get_lead_row
from app.services.scoring.engine import EVENT_WORDS

TRANSITION_WORDS = {
    "created": "Entered {to}",
    "forward": "Moved {from_} → {to}",
    "back": "Moved back {from_} → {to}",
    "override": "Override {from_} → {to}",
    "blocked": "Blocked moving {from_} → {to}",
    "exit": "Exited to {to}",
    "reopen": "Reopened into {to}",
}


@dataclass(frozen=True)
class HistoryItem:
    at: datetime
    kind: str  # transition kind, "activity", or an audit action
    text: str
    by: str | None = None
    detail: str | None = None
    channel: str | None = None  # an activity's type (call, email, meeting, note...)
    ref: int | None = None  # an activity's id

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "kind": self.kind,
            "text": self.text,
            "by": self.by,
            "detail": self.detail,
            "channel": self.channel,
            "ref": self.ref,
        }


@dataclass(frozen=True)
class LeadDetail:
    row: LeadRow
    details: dict[str, Any]
    qualifiers: dict[str, Any]
    raw_row: dict[str, Any] | None
    stage_entered_at: datetime | None
    routing_reason: str | None
    history: list[HistoryItem] = field(default_factory=list)
    industry: str | None = None
    headcount: int | None = None
    incomplete_reasons: list[str] = field(default_factory=list)  # why it is flagged

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.row.to_dict(),
            "details": self.details,
            "qualifiers": self.qualifiers,
            "raw_row": self.raw_row,
            "stage_entered_at": self.stage_entered_at.isoformat()
            if self.stage_entered_at
            else None,
            "routing_reason": self.routing_reason,
            "industry": self.industry,
            "headcount": self.headcount,
            "history": [h.to_dict() for h in self.history],
            "incomplete_reasons": self.incomplete_reasons,
        }


def lead_history(session: Session, lead_id: int, limit: int = 200) -> list[HistoryItem]:
    """Stage moves (with blocked attempts and overrides), activities and notes, engagement
    (scans, demo requests...) and audit events (score crossings, edits), newest first."""
    src, dst, who = aliased(Stage), aliased(Stage), aliased(User)
    items: list[HistoryItem] = []
    transitions = session.execute(
        select(StageTransition, src.name, dst.name, who.name)
        .outerjoin(src, src.id == StageTransition.from_stage_id)
        .outerjoin(dst, dst.id == StageTransition.to_stage_id)
        .outerjoin(who, who.id == StageTransition.by_user_id)
        .where(StageTransition.lead_id == lead_id)
        .order_by(StageTransition.id)
    )
    for t, from_name, to_name, by in transitions:
        text = TRANSITION_WORDS.get(t.kind, "{to}").format(
            from_=from_name or "–", to=to_name or "–"
        )
        detail_parts = []
        if t.override_reason:
            detail_parts.append(f"Reason: {t.override_reason}")
        if t.reason_code:
            detail_parts.append(f"Reason: {t.reason_code.replace('_', ' ')}")
        if t.note:
            detail_parts.append(t.note)
        if t.unmet:
            detail_parts.append("Missing: " + "; ".join(str(u) for u in t.unmet))
        items.append(HistoryItem(t.at, t.kind, text, by, " · ".join(detail_parts) or None))
    activities = session.execute(
        select(Activity, who.name)
        .outerjoin(who, who.id == Activity.owner_id)
        .where(Activity.lead_id == lead_id)
        .order_by(Activity.id)
    )
    for a, by in activities:
        when = a.done_at or a.due_at or a.created_at
        if when is None:
            continue
        state = {
            "done": "",
            "planned": "Planned ",
            "skipped": "Skipped ",
            "cancelled": "Cancelled ",
        }
        if a.type == "note":
            items.append(HistoryItem(when, "note", "Note", by, a.notes, a.type, a.id))
            continue
        text = f"{state.get(a.status, '')}{a.subject or a.type.title()}"
        if a.status == "done" and a.outcome:
            text += f" · {a.outcome}"
        detail = a.notes if a.status == "done" and a.outcome else a.outcome
        items.append(HistoryItem(when, "activity", text, by, detail, a.type, a.id))
    events = session.execute(
        select(EngagementEvent.kind, EngagementEvent.at, EngagementEvent.detail)
        .where(EngagementEvent.lead_id == lead_id)
        .order_by(EngagementEvent.id)
    )
    for kind, at, data in events:
        data = data or {}
        where = data.get("event") or data.get("source") or data.get("note")
        text = EVENT_WORDS.get(kind, kind.replace("_", " ").capitalize())
        items.append(HistoryItem(at, "engagement", text, None, str(where) if where else None))
    audits = session.execute(
        select(AuditEvent, who.name)
        .outerjoin(who, who.id == AuditEvent.user_id)
        .where(AuditEvent.entity == "lead", AuditEvent.entity_id == lead_id)
        .order_by(AuditEvent.id)
    )
    for e, by in audits:
        text = str(e.data.get("text") or e.action.replace("_", " ").capitalize())
        items.append(HistoryItem(e.at, e.action, text, by, e.data.get("detail")))
    # Newest first; within one instant, a later record of the same kind comes first (each
    # source is read in insertion order and its position breaks the tie).
    items = [
        item for _, item in sorted(enumerate(items), key=lambda p: (p[1].at, p[0]), reverse=True)
    ]
    return items[:limit]


def get_lead_detail(session: Session, lead_id: int) -> LeadDetail | None:
    row = get_lead_row(session, lead_id)
    if row is None:
        return None
    lead = session.get(Lead, lead_id)
    assert lead is not None
    return LeadDetail(
        row=row,
        details=dict(lead.details or {}),
        qualifiers=dict(lead.qualifiers or {}),
        raw_row=lead.raw_row,
        stage_entered_at=lead.stage_entered_at,
        routing_reason=lead.routing_reason,
        history=lead_history(session, lead_id),
        industry=lead.industry,
        headcount=lead.headcount,
        incomplete_reasons=(
            incomplete_reasons(
                lead.email, lead.company, lead.source, lead.raw_row, need_source=not lead.raw_row
            )
            if lead.incomplete
            else []
        ),
    )
