"""SLA compliance per tier: the share of leads contacted within their tier's first-response
window (playbook.response_window), against the 90 % target. Leads whose window is still
running and who were not contacted yet are neither kept nor missed: they are pending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import pct, rate
from app.services.reports.playbook import SLA_COMPLIANCE, Band, response_window

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # day numbers in the facts count from here
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


WINDOW_TEXT = {"Urgent": "5 min", "High": "same business day", "Medium": "24 h", "Low": "none"}


def sla(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> SlaCompliance:
    """Leads captured in the period, per tier: contacted within the tier's window or not."""
    st = _j.st if _j else stages_for(session, flt)
    with journeys(session, flt, st, _j) as j:
        c = j.c
        rows = session.execute(
            select(c.tier, c.captured_at, c.contact_bin).where(
                *j.cohort(), c.tier.in_(TIERS), c.captured_at.is_not(None)
            )
        ).all()
    now = clock.now()
    counts = {t: [0, 0, 0, 0] for t in TIERS}  # leads, within, missed, pending
    for tier, captured_day, contact_minutes in rows:
        acc = counts[tier]
        acc[0] += 1
        captured = EPOCH + timedelta(days=float(captured_day))
        window = response_window(tier, captured)
        if window is None:
            continue
        limit = window.total_seconds() / 60.0
        if contact_minutes is not None and contact_minutes < limit:
            acc[1] += 1
        elif contact_minutes is None and now < captured + window:
            acc[3] += 1
        else:
            acc[2] += 1
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
