"""The lead-management playbook's benchmarks, as the reports draw and print them, and the
day-number arithmetic that applies the first-response windows (timers/windows.py, built from
the follow-up settings) to groups of leads.

A `Band` is a range a figure should sit in (qualification rate 20-40 %) or a one-sided target
(routing accuracy at least 90 %: low only; time to assignment at most 5 minutes: high only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.services.timers.windows import WorkHours, zone


@dataclass(frozen=True)
class Band:
    low: float | None = None
    high: float | None = None

    def status(self, value: float | None) -> str | None:
        """'below', 'within' or 'above' the band; None when there is no figure."""
        if value is None:
            return None
        if self.low is not None and value < self.low:
            return "below"
        if self.high is not None and value > self.high:
            return "above"
        return "within"

    def text(self, fmt: str = "{:.0%}") -> str:
        if self.low is not None and self.high is not None:
            return f"{fmt.format(self.low)}–{fmt.format(self.high)}"
        if self.low is not None:
            return f"≥ {fmt.format(self.low)}"
        if self.high is not None:
            return f"≤ {fmt.format(self.high)}"
        return ""


QUALIFICATION_RATE = Band(0.20, 0.40)  # captured leads that sales accepts (past New)
LEAD_TO_OPPORTUNITY = Band(0.10, 0.20)  # captured leads that become opportunities
ROUTING_ACCURACY = Band(low=0.90)  # routed leads still with their first rep
SLA_COMPLIANCE = Band(low=0.90)  # leads contacted within their tier's window
TIME_TO_ASSIGNMENT_MINUTES = Band(high=5.0)  # median capture -> owner: the Urgent window
OPPORTUNITY_RANK = 2  # funnel position where a lead becomes an opportunity (Discovery complete)
MQL_TIERS = ("Urgent", "High", "Medium")  # scored at or above the Medium threshold

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a Thursday: weekday of day number d is (d + 3) % 7


def close_of_business(day: int, after_close: bool, hours: WorkHours) -> float:
    """The close of the working day a capture on local `day` (days since 1970 in the team's
    time zone) falls in, as a local day number: that day's close, or the next working day's
    when captured after the close or on a day off. The arithmetic twin of
    WorkHours.close_of_business (timers/windows.py, the one definition), so a report applies
    it to whole groups of leads."""
    if not hours.days:
        return day + 1.0 + hours.end_hour / 24.0
    if after_close or (day + 3) % 7 not in hours.days:
        day += 1
        while (day + 3) % 7 not in hours.days:
            day += 1
    return day + hours.end_hour / 24.0


def utc_offsets(timezone: str, first_day: float, last_day: float) -> list[tuple[float, float]]:
    """The time zone's UTC offset (in days) over [first_day, last_day] as (from day, offset)
    pieces, the first from minus infinity: one piece per daylight-saving change."""

    tz = zone(timezone) or UTC

    def offset(day: float) -> float:
        local = (_EPOCH + timedelta(days=day)).astimezone(tz)
        return (local.utcoffset() or timedelta()).total_seconds() / 86400.0

    pieces = [(-math.inf, offset(first_day))]
    day = float(math.floor(first_day))
    while day <= last_day:
        if offset(day + 1) != pieces[-1][1]:
            lo, hi = day, day + 1  # the change is in this day: narrow it to a second
            while hi - lo > 1 / 86400:
                mid = (lo + hi) / 2
                lo, hi = (lo, mid) if offset(mid) != pieces[-1][1] else (mid, hi)
            pieces.append((hi, offset(day + 1)))
        day += 1
    return pieces
