"""SLA compliance per tier: the share of leads contacted within their tier's first-response
window (playbook.response_window), against the 90 % target. Leads whose window is still
running and who were not contacted yet are neither kept nor missed: they are pending."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter, day_of
from app.services.reports.formatting import pct, rate
from app.services.reports.journeys import floor_int
from app.services.reports.playbook import (
    BUSINESS_END_HOUR,
    FIXED_WINDOWS,
    SLA_COMPLIANCE,
    Band,
    response_deadline,
)

TIERS = ("Urgent", "High", "Medium", "Low")


@dataclass(frozen=True)
class TierSla:
    tier: str
    window: str  # as people say it: 5 min, same business day, 24 h, none
    leads: int
    within: int  # contacted within the window
    missed: int  # contacted late, or not at all once the window ran out
    pending: int  # window still running, not contacted yet
    compliance: float | None  # within / (within + missed); None for Low (no window)
    status: str | None


@dataclass(frozen=True)
class SlaCompliance(Report):
    title: str
    band: Band
    compliance: float | None  # over the tiers with a window
    tiers: list[TierSla]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        return (
            ["Tier", "Window", "Leads", "Within", "Missed", "Pending", "Compliance"],
            [
                [t.tier, t.window, t.leads, t.within, t.missed, t.pending, pct(t.compliance, 1)]
                for t in self.tiers
            ],
        )


def _count(acc: list[int], outcome: str, n: int) -> None:
    acc[0] += n
    index = {"within": 1, "missed": 2, "pending": 3}.get(outcome)
    if index is not None:
        acc[index] += n


WINDOW_TEXT = {"Urgent": "5 min", "High": "same business day", "Medium": "24 h", "Low": "none"}


def sla(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> SlaCompliance:
    """Leads captured in the period, per tier: contacted within the tier's window or not."""
    st = _j.st if _j else stages_for(session, flt)
    now_day = day_of(clock.now()) or 0.0
    counts = {t: [0, 0, 0, 0] for t in TIERS}  # leads, within, missed, pending
    with journeys(session, flt, st, _j) as j:
        c = j.c
        # Fixed windows (Urgent, Medium) and no window (Low) count in SQL...
        minutes = {t: w.total_seconds() / 60.0 for t, w in FIXED_WINDOWS.items()}
        limit = case(minutes, value=c.tier, else_=None)
        verdict = case(
            (limit.is_(None), "none"),
            (c.contact_bin < limit, "within"),
            (c.contact_bin.is_(None) & (c.captured_at > now_day - limit / 1440.0), "pending"),
            else_="missed",
        )
        for tier, outcome, n in session.execute(
            select(c.tier, verdict, func.count())
            .where(*j.cohort(), c.tier.in_([t for t in TIERS if t != "High"]))
            .group_by(c.tier, verdict)
        ):
            _count(counts[tier], outcome, int(n))
        # ...the same business day (High) depends on the capture's day and whether it came
        # after hours (playbook.response_deadline): leads are grouped by those two and by the
        # same two of their first contact, which decide whether it came before the deadline.
        # (A hair under the split, ~10 ms: a contact at the deadline's very minute is late.)
        split = BUSINESS_END_HOUR / 24.0
        hair = split - 1e-7
        day = floor_int(session, c.captured_at)
        late = case((c.captured_at - day >= hair, 1), else_=0)
        contact = c.captured_at + c.contact_bin / 1440.0
        contact_day = floor_int(session, contact)
        contact_late = case((contact - contact_day >= hair, 1), else_=0)
        rows = session.execute(
            select(day, late, contact_day, contact_late, func.count())
            .where(*j.cohort(), c.tier == "High", c.captured_at.is_not(None))
            .group_by(day, late, contact_day, contact_late)
        ).all()
    for d, is_late, cd, contact_is_late, n in rows:
        deadline = response_deadline("High", d + (split if is_late else 0.0)) or 0.0
        if cd is not None and cd + (split if contact_is_late else 0.0) < deadline:
            outcome = "within"
        elif cd is None and now_day < deadline:
            outcome = "pending"
        else:
            outcome = "missed"
        _count(counts["High"], outcome, int(n))
    tiers = []
    for t in TIERS:
        leads, within, missed, pending = counts[t]
        share = rate(within, within + missed) if t != "Low" else None
        tiers.append(
            TierSla(
                t,
                WINDOW_TEXT[t],
                leads,
                within,
                missed,
                pending,
                share,
                SLA_COMPLIANCE.status(share),
            )
        )
    kept = sum(t.within for t in tiers)
    overall = rate(kept, kept + sum(t.missed for t in tiers))
    measured = [t for t in tiers if t.compliance is not None]
    if not measured:
        title = "No leads with a response window were captured in this period"
    else:
        worst = min(measured, key=lambda t: t.compliance or 0)
        title = (
            f"{pct(overall)} of leads contacted within their tier's window (target "
            f"{SLA_COMPLIANCE.text()}); weakest: {worst.tier} at {pct(worst.compliance)} "
            f"({WINDOW_TEXT[worst.tier]})"
        )
    return SlaCompliance(title=title, band=SLA_COMPLIANCE, compliance=overall, tiers=tiers)
