"""The lead-management playbook's benchmarks, as the reports draw and print them, and the
first-response window each tier is measured against.

A `Band` is a range a figure should sit in (qualification rate 20-40 %) or a one-sided target
(routing accuracy at least 90 %: low only; time to assignment at most 5 minutes: high only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


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

# Working hours for "the same business day" (High): Monday-Friday, until 18:00 UTC.
# Until the settings service defines per-rep working hours (issue 14 item 3), these stand in.
BUSINESS_END_HOUR = 18
BUSINESS_DAYS = 5  # Monday (0) to Friday (4)
FIXED_WINDOWS = {"Urgent": timedelta(minutes=5), "Medium": timedelta(hours=24)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a Thursday: weekday of day number d is (d + 3) % 7


def response_deadline(tier: str | None, captured_day: float) -> float | None:
    """When a lead of `tier` captured at day number `captured_day` (days since 1970, UTC) must
    have had its first contact, as a day number: Urgent 5 minutes, Medium 24 hours later, High
    by the end of the business day (the next one's when captured after hours or at the
    weekend), Low never (automated nurture). Plain arithmetic, so a report applies it to
    every lead of a period quickly."""
    fixed = FIXED_WINDOWS.get(tier or "")
    if fixed is not None:
        return captured_day + fixed.total_seconds() / 86400.0
    if tier != "High":
        return None
    day = math.floor(captured_day)
    end = BUSINESS_END_HOUR / 24.0
    if (day + 3) % 7 >= BUSINESS_DAYS or captured_day - day >= end:
        day += 1
        while (day + 3) % 7 >= BUSINESS_DAYS:
            day += 1
    return day + end


def response_window(tier: str | None, captured_at: datetime) -> timedelta | None:
    """How long a lead of `tier` captured at `captured_at` may wait for its first contact (see
    response_deadline): the one definition the SLA report measures against."""
    captured_day = (captured_at.astimezone(UTC) - _EPOCH).total_seconds() / 86400.0
    deadline = response_deadline(tier, captured_day)
    if deadline is None:
        return None
    return timedelta(days=deadline - captured_day)
