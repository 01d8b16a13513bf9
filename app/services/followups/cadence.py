"""Cadences and the follow-ups they plan (kept importable as one module).

The code lives in three modules, each with one job:
- templates.py: the default cadences, their steps and editing them;
- running.py: starting, stopping and moving a lead's cadence (replies, reassignment);
- planned.py: the planned follow-ups the calendar shows and works (done, skip, reschedule).
The user actions on them are api.py; the calendar's reads are queries.py.
"""

from __future__ import annotations

from app.services.followups.planned import (
    DayLoad,
    FollowUp,
    FollowupFilter,
    action_url,
    day_loads,
    get_followup,
    list_followups,
    mailto_url,
    mark_done,
    move_to_day,
    reschedule,
    skip,
)
from app.services.followups.running import (
    ASSIGNMENT_CHUNK,
    CadenceRun,
    StepPreview,
    _cancel_open_steps,
    handle_assignment,
    handle_assignments,
    has_open_cadence,
    log_reply,
    move_open_steps,
    preview_step,
    render,
    start_cadence,
    start_cadences,
    stop_cadence,
)
from app.services.followups.templates import (
    CHANNELS,
    CONTACT_TYPES,
    DEFAULT_CADENCES,
    REENGAGEMENT,
    REPLY_KINDS,
    CadenceInfo,
    StepInfo,
    add_step,
    cadence_by_name,
    cadence_for_tier,
    ensure_default_cadences,
    list_cadences,
    move_step,
    remove_step,
    update_step,
)

__all__ = [
    "ASSIGNMENT_CHUNK",
    "CHANNELS",
    "CONTACT_TYPES",
    "DEFAULT_CADENCES",
    "REENGAGEMENT",
    "REPLY_KINDS",
    "CadenceInfo",
    "CadenceRun",
    "DayLoad",
    "FollowUp",
    "FollowupFilter",
    "StepInfo",
    "StepPreview",
    "_cancel_open_steps",
    "action_url",
    "add_step",
    "cadence_by_name",
    "cadence_for_tier",
    "day_loads",
    "ensure_default_cadences",
    "get_followup",
    "handle_assignment",
    "handle_assignments",
    "has_open_cadence",
    "list_cadences",
    "list_followups",
    "log_reply",
    "mailto_url",
    "mark_done",
    "move_open_steps",
    "move_step",
    "move_to_day",
    "preview_step",
    "remove_step",
    "render",
    "reschedule",
    "skip",
    "start_cadence",
    "start_cadences",
    "stop_cadence",
    "update_step",
]
