"""Read models for the follow-up views (plain `(session, ...)` functions run on the task runner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.services.followups.planned import (
    DayLoad,
    FollowUp,
    FollowupFilter,
    day_loads,
    list_followups,
)
from app.services.followups.settings import FollowupSettings, load_settings
from app.services.followups.templates import CadenceInfo, ensure_default_cadences, list_cadences


@dataclass(frozen=True)
class CadenceOverview:
    cadences: list[CadenceInfo]
    settings: FollowupSettings


def cadence_overview(session: Session) -> CadenceOverview:
    """Every cadence with its steps and the effective follow-up settings.

    A store that never planned a follow-up gets the default cadences first (the same lazy
    seeding as `cadence_for_tier`), so there is always something to read and edit.
    """
    ensure_default_cadences(session)
    return CadenceOverview(list_cadences(session), load_settings(session))


SHOWN_STATUSES = ("planned", "done", "skipped")
WEEK_LIMIT = 3000  # a week of one team; more than this is not readable in columns anyway


@dataclass(frozen=True)
class CalendarPeriod:
    loads: dict[date, DayLoad]  # per local day of the period
    day: list[FollowUp]  # the selected day's follow-ups
    week: list[FollowUp] | None  # every follow-up of the week (week mode only)


def day_followups(
    session: Session, start: datetime, end: datetime, owner_id: int | None
) -> list[FollowUp]:
    """The follow-ups a day's agenda shows (planned, done, skipped) in [start, end)."""
    return list_followups(
        session,
        FollowupFilter(start=start, end=end, owner_id=owner_id, statuses=SHOWN_STATUSES),
    )


def calendar_period(
    session: Session,
    start: datetime,
    end: datetime,
    day: tuple[datetime, datetime],
    now: datetime,
    *,
    owner_id: int | None = None,
    week: bool = False,
) -> CalendarPeriod:
    """What the calendar shows for a period [start, end) and its selected day."""
    rows = None
    if week:
        rows = list_followups(
            session,
            FollowupFilter(
                start=start,
                end=end,
                owner_id=owner_id,
                statuses=SHOWN_STATUSES,
                limit=WEEK_LIMIT,
            ),
        )
    return CalendarPeriod(
        day_loads(session, start, end, now, owner_id=owner_id),
        day_followups(session, day[0], day[1], owner_id),
        rows,
    )
