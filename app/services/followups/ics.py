"""Follow-ups as an iCalendar (.ics) file that Outlook and Google Calendar import."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from app.services.followups.cadence import FollowUp

# How long each kind of follow-up blocks in the calendar.
DURATIONS = {
    "email": timedelta(minutes=15),
    "linkedin": timedelta(minutes=15),
    "call": timedelta(minutes=30),
    "task": timedelta(minutes=30),
    "meeting": timedelta(hours=1),
}
TYPE_WORDS = {
    "email": "Email",
    "call": "Call",
    "linkedin": "LinkedIn",
    "meeting": "Meeting",
    "task": "Task",
}


def followup_uid(activity_id: int) -> str:
    # Stable per follow-up, so re-importing an export updates events instead of duplicating.
    return f"leadgate-followup-{activity_id}@leadgate.local"


def to_ics(followups: Sequence[FollowUp], now: datetime, *, name: str = "Leadgate") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Leadgate//Follow-ups//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for f in followups:
        if f.due_at is None:
            continue
        event = Event()
        event.add("uid", followup_uid(f.id))
        event.add("dtstamp", now)
        event.add("dtstart", f.due_at)
        event.add("dtend", f.due_at + DURATIONS.get(f.type, timedelta(minutes=30)))
        who = f.lead_name + (f" ({f.company})" if f.company else "")
        event.add("summary", f"{TYPE_WORDS.get(f.type, f.type.title())}: {who}")
        lines = [f.subject or "", f"Lead: {who}"]
        if f.tier:
            lines.append(f"Tier: {f.tier}")
        if f.owner_name:
            lines.append(f"Owner: {f.owner_name}")
        if f.notes:
            lines += ["", f.notes]
        event.add("description", "\n".join(line for line in lines if line is not None))
        event.add("categories", [TYPE_WORDS.get(f.type, f.type)])
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
