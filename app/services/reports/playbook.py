"""The lead-management playbook's benchmarks, as the reports draw and print them, and the
first-response window each tier is measured against.

A `Band` is a range a figure should sit in (qualification rate 20-40 %) or a one-sided target
(routing accuracy at least 90 %: low only; time to assignment at most 5 minutes: high only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta


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
BUSINESS_END = time(18, 0)
BUSINESS_DAYS = range(0, 5)


def response_window(tier: str | None, captured_at: datetime) -> timedelta | None:
    """How long a lead of `tier` captured at `captured_at` may wait for its first contact:
    Urgent 5 minutes, High the same business day, Medium 24 hours, Low none (automated
    nurture). The one definition the SLA report measures against."""
    if tier == "Urgent":
        return timedelta(minutes=5)
    if tier == "Medium":
        return timedelta(hours=24)
    if tier != "High":
        return None
    at = captured_at.astimezone(UTC)
    day = at.date()
    if at.weekday() not in BUSINESS_DAYS or at.time() >= BUSINESS_END:
        day += timedelta(days=1)
        while day.weekday() not in BUSINESS_DAYS:
            day += timedelta(days=1)
    return datetime.combine(day, BUSINESS_END, UTC) - at
