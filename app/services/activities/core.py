"""Session-level work behind the activities API: notes, logged touches, the next step, undo.

A note is an `activities` row of type "note" (done, no due time: never on the calendar and
never a touch). A logged call/e-mail/meeting/LinkedIn is a done row with an outcome; it is a
touch of the lead (the first one stops the first-response countdown). Each log leaves an
audit record ("activity" / "logged") with what it changed on the lead, so it can be undone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock, ensure_utc
from app.models import Activity, ActivityStatus, AuditEvent, Lead
from app.services import audit
from app.services.errors import ActionError, NotFound
from app.services.leads.queries import record_lead_event
from app.services.leads.transitions import check_version

NOTE = "note"
CHANNELS = ("call", "email", "meeting", "linkedin")
CHANNEL_WORDS = {"call": "Call", "email": "E-mail", "meeting": "Meeting", "linkedin": "LinkedIn"}
NEXT_TYPES = ("call", "email", "meeting", "linkedin", "task")
MAX_NOTE = 4000


class Outcome(enum.StrEnum):
    CONNECTED = "connected"
    LEFT_VOICEMAIL = "left_voicemail"
    NO_ANSWER = "no_answer"
    MEETING_BOOKED = "meeting_booked"
    CALL_BACK_LATER = "call_back_later"
    NOT_INTERESTED = "not_interested"
    WRONG_CONTACT = "wrong_contact"
    SENT = "sent"
    REPLIED = "replied"
    HELD = "held"
    NO_SHOW = "no_show"


OUTCOME_WORDS: dict[str, str] = {
    Outcome.CONNECTED: "Connected",
    Outcome.LEFT_VOICEMAIL: "Left voicemail",
    Outcome.NO_ANSWER: "No answer",
    Outcome.MEETING_BOOKED: "Meeting booked",
    Outcome.CALL_BACK_LATER: "Call back later",
    Outcome.NOT_INTERESTED: "Not interested",
    Outcome.WRONG_CONTACT: "Wrong contact",
    Outcome.SENT: "Sent",
    Outcome.REPLIED: "Replied",
    Outcome.HELD: "Held",
    Outcome.NO_SHOW: "No-show",
}
_CODE_OF_WORDS = {words: code for code, words in OUTCOME_WORDS.items()}

# The outcomes that make sense per channel, most common first.
OUTCOMES: dict[str, tuple[Outcome, ...]] = {
    "call": (
        Outcome.CONNECTED,
        Outcome.LEFT_VOICEMAIL,
        Outcome.NO_ANSWER,
        Outcome.MEETING_BOOKED,
        Outcome.CALL_BACK_LATER,
        Outcome.NOT_INTERESTED,
        Outcome.WRONG_CONTACT,
    ),
    "email": (Outcome.SENT, Outcome.REPLIED, Outcome.MEETING_BOOKED, Outcome.NOT_INTERESTED),
    "meeting": (Outcome.HELD, Outcome.MEETING_BOOKED, Outcome.NO_SHOW, Outcome.NOT_INTERESTED),
    "linkedin": (
        Outcome.SENT,
        Outcome.CONNECTED,
        Outcome.REPLIED,
        Outcome.MEETING_BOOKED,
        Outcome.NOT_INTERESTED,
    ),
}


def outcome_code(words: str | None) -> str | None:
    """The outcome code of what an activity row stores (its words), else the words."""
    if words is None:
        return None
    return str(_CODE_OF_WORDS.get(words, words))


@dataclass(frozen=True)
class Logged:
    """A logged activity: its row, the planned next step (if any) and the lead's version."""

    activity_id: int
    lead_id: int
    channel: str
    outcome: str
    at: datetime
    first_contact: bool
    next_id: int | None
    next_due_at: datetime | None
    version: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "activity_id": self.activity_id,
            "lead_id": self.lead_id,
            "channel": self.channel,
            "outcome": self.outcome,
            "at": self.at.isoformat(),
            "first_contact": self.first_contact,
            "next_id": self.next_id,
            "next_due_at": self.next_due_at.isoformat() if self.next_due_at else None,
            "version": self.version,
        }


def _lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"There is no lead {lead_id}.")
    return lead


def _clean_text(text: str | None, what: str, *, required: bool = False) -> str | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise ActionError(f"The {what} is empty: write something first.")
        return None
    if len(value) > MAX_NOTE:
        raise ActionError(f"The {what} is {len(value)} characters; keep it under {MAX_NOTE}.")
    return value


def add_note(session: Session, clock: Clock, lead_id: int, text: str, by_user: int | None) -> int:
    """A note on the lead's timeline (no touch, no countdown). Returns its id."""
    _lead(session, lead_id)
    body = _clean_text(text, "note", required=True)
    now = clock.now()
    note = Activity(
        lead_id=lead_id,
        owner_id=by_user,
        type=NOTE,
        status=ActivityStatus.DONE,
        subject="Note",
        notes=body,
        done_at=now,
        created_at=now,
    )
    session.add(note)
    session.flush()
    return note.id


def check_outcome(channel: str, outcome: str) -> Outcome:
    """The outcome as a code, or an ActionError listing the ones this channel allows."""
    if channel not in CHANNELS:
        raise ActionError(f"Unknown channel '{channel}'. Use one of: {', '.join(CHANNELS)}.")
    allowed = OUTCOMES[channel]
    code = outcome.strip().lower().replace(" ", "_").replace("-", "_")
    for candidate in allowed:
        if candidate.value == code:
            return candidate
    raise ActionError(
        f"'{outcome}' is not an outcome of a {CHANNEL_WORDS[channel].lower()}. Use one of: "
        f"{', '.join(o.value for o in allowed)}."
    )


def plan_next(
    session: Session,
    clock: Clock,
    lead_id: int,
    kind: str,
    due_at: datetime,
    by_user: int | None,
    subject: str | None = None,
) -> int:
    """A planned follow-up (call, e-mail, meeting, LinkedIn or task) with a due time: it shows
    in the calendar and in `followups list`. Returns its id."""
    if kind not in NEXT_TYPES:
        raise ActionError(f"Unknown kind '{kind}'. Use one of: {', '.join(NEXT_TYPES)}.")
    lead = _lead(session, lead_id)
    due = ensure_utc(due_at)
    now = clock.now()
    if due < now.replace(second=0, microsecond=0):
        raise ActionError(f"The next step is due {due:%Y-%m-%d %H:%M} UTC, which is in the past.")
    words = {"task": "To-do"}.get(kind, CHANNEL_WORDS.get(kind, kind.title()))
    activity = Activity(
        lead_id=lead_id,
        owner_id=lead.owner_id or by_user,
        type=kind,
        status=ActivityStatus.PLANNED,
        subject=_clean_text(subject, "subject") or f"Follow-up {words.lower()}",
        due_at=due,
        created_at=now,
    )
    session.add(activity)
    session.flush()
    return activity.id


def log_activity(
    session: Session,
    clock: Clock,
    lead_id: int,
    channel: str,
    outcome: str,
    by_user: int | None,
    *,
    note: str | None = None,
    next_at: datetime | None = None,
    next_kind: str | None = None,
    expected_version: int | None = None,
) -> Logged:
    """A touch done now with its outcome and note; optionally the next step planned."""
    code = check_outcome(channel, outcome)
    lead = _lead(session, lead_id)
    check_version(session, lead, expected_version)
    body = _clean_text(note, "note")
    now = clock.now()
    activity = Activity(
        lead_id=lead_id,
        owner_id=by_user if by_user is not None else lead.owner_id,
        type=channel,
        status=ActivityStatus.DONE,
        subject=CHANNEL_WORDS[channel],
        notes=body,
        due_at=now,
        done_at=now,
        outcome=OUTCOME_WORDS[code],
        created_at=now,
    )
    session.add(activity)
    previous = {
        "first_contacted_at": lead.first_contacted_at.isoformat()
        if lead.first_contacted_at
        else None,
        "last_touch_at": lead.last_touch_at.isoformat() if lead.last_touch_at else None,
    }
    first = lead.first_contacted_at is None
    if first:
        lead.first_contacted_at = now
    lead.last_touch_at = now
    lead.updated_at = now
    lead.updated_by_id = by_user
    session.flush()
    next_id = None
    if next_at is not None:
        next_id = plan_next(session, clock, lead_id, next_kind or channel, next_at, by_user)
    audit.record(
        session,
        at=now,
        entity="activity",
        entity_id=activity.id,
        action="logged",
        user_id=by_user,
        data={"lead_id": lead_id, "next_id": next_id, "previous": previous, "at": now.isoformat()},
    )
    session.flush()
    return Logged(
        activity.id,
        lead_id,
        channel,
        code.value,
        now,
        first,
        next_id,
        ensure_utc(next_at) if next_at else None,
        lead.version,
    )


def _when(text: str | None) -> datetime | None:
    return ensure_utc(datetime.fromisoformat(text)) if text else None


def undo_log(
    session: Session, clock: Clock, activity_id: int, by_user: int | None, *, may_any: bool
) -> int:
    """Take back a logged activity: remove it and the next step it planned (while still
    planned), and give the lead back its touch times unless a later touch moved them.
    Only who logged it (or a manager) may. Returns the lead id."""
    activity = session.get(Activity, activity_id)
    record = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity == "activity", AuditEvent.entity_id == activity_id)
        .where(AuditEvent.action == "logged")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if activity is None or record is None:
        raise NotFound(f"There is no logged activity {activity_id} to undo.")
    if not may_any and record.user_id != by_user:
        raise ActionError("Only who logged an activity (or a manager) can undo it.")
    lead = _lead(session, activity.lead_id)
    data = dict(record.data or {})
    logged_at = _when(data.get("at"))
    previous = data.get("previous") or {}
    if logged_at is not None:
        if lead.first_contacted_at is not None and ensure_utc(lead.first_contacted_at) == logged_at:
            lead.first_contacted_at = _when(previous.get("first_contacted_at"))
        if lead.last_touch_at is not None and ensure_utc(lead.last_touch_at) == logged_at:
            lead.last_touch_at = _when(previous.get("last_touch_at"))
    next_id = data.get("next_id")
    if next_id:
        planned = session.get(Activity, int(next_id))
        if planned is not None and planned.status == ActivityStatus.PLANNED:
            session.delete(planned)
    words = CHANNEL_WORDS.get(activity.type, activity.type)
    session.delete(activity)
    lead.updated_at = clock.now()
    lead.updated_by_id = by_user
    record_lead_event(
        session,
        clock,
        lead.id,
        "activity_undone",
        by_user,
        text=f"Took back a logged {words.lower()}",
        detail=activity.outcome,
    )
    session.flush()
    return lead.id
