"""SLA compliance per tier: the share of leads contacted within their tier's first-response
window (the follow-up settings' response_windows(), the definition the inbox countdown and the
alerts use), against the 90 % target. Leads whose window is still
running and who were not contacted yet are neither kept nor missed: they are pending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.services.followups.settings import load_settings
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter, day_of
from app.services.reports.formatting import pct, rate
from app.services.reports.journeys import floor_int
from app.services.reports.playbook import (
    SLA_COMPLIANCE,
    Band,
    close_of_business,
    utc_offsets,
)
from app.services.timers.windows import ResponseWindows

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


def window_text(windows: ResponseWindows, tier: str) -> str:
    """The window as the report's table says it: 5 min, same business day, 24 h, none."""
    if tier in windows.same_day:
        return "same business day"
    return windows.describe(tier) if windows.minutes.get(tier) else "none"


def _local(expr: Any, pieces: list[tuple[float, float]]) -> Any:
    """A UTC day number as the team time zone's day number (pieces: playbook.utc_offsets)."""
    if len(pieces) == 1:
        return expr + pieces[0][1]
    starts = [start for start, _ in pieces[1:]]
    whens = [(expr < start, off) for start, (_, off) in zip(starts, pieces[:-1], strict=True)]
    return expr + case(*whens, else_=pieces[-1][1])


def sla(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> SlaCompliance:
    """Leads captured in the period, per tier: contacted within the tier's window or not."""
    st = _j.st if _j else stages_for(session, flt)
    windows = load_settings(session).response_windows()
    hours = windows.hours
    now_day = day_of(clock.now()) or 0.0
    counts = {t: [0, 0, 0, 0] for t in TIERS}  # leads, within, missed, pending
    same_day = [t for t in TIERS if t in windows.same_day]
    with journeys(session, flt, st, _j) as j:
        c = j.c
        # Windows in minutes (Urgent, Medium) and no window (Low) count in SQL...
        minutes = {
            t: float(windows.minutes.get(t) or 0)
            for t in TIERS
            if t not in same_day and windows.minutes.get(t)
        }
        limit = case(minutes, value=c.tier, else_=None) if minutes else literal(None)
        verdict = case(
            (limit.is_(None), "none"),
            (c.contact_bin < limit, "within"),
            (c.contact_bin.is_(None) & (c.captured_at > now_day - limit / 1440.0), "pending"),
            else_="missed",
        )
        for tier, outcome, n in session.execute(
            select(c.tier, verdict, func.count())
            .where(*j.cohort(), c.tier.in_([t for t in TIERS if t not in same_day]))
            .group_by(c.tier, verdict)
        ):
            _count(counts[tier], outcome, int(n))
        # ...the same business day (High) depends on the capture's day and whether it came
        # after the close, in the team's time zone and working days: leads are grouped by
        # those two and by the same two of their first contact, which decide whether it came
        # before the close. The team's hours only: a rep's own time zone (Team page) moves
        # their inbox countdown and alerts, not this grouped figure. (A hair under the split,
        # ~10 ms: a contact at the deadline's very minute is late.)
        contact = c.captured_at + c.contact_bin / 1440.0
        cohort = [*j.cohort(), c.tier.in_(same_day), c.captured_at.is_not(None)]
        first, last, last_contact = session.execute(
            select(func.min(c.captured_at), func.max(c.captured_at), func.max(contact)).where(
                *cohort
            )
        ).one()
        rows: Sequence[Any] = []
        split = hours.end_hour / 24.0
        hair = split - 1e-7
        if first is not None:
            pieces = utc_offsets(
                hours.timezone, first - 1, max(last, last_contact or last, now_day) + 1
            )
            captured = _local(c.captured_at, pieces)
            day = floor_int(session, captured)
            late = case((captured - day >= hair, 1), else_=0)
            contacted = _local(contact, pieces)
            contact_day = floor_int(session, contacted)
            contact_late = case((contacted - contact_day >= hair, 1), else_=0)
            rows = session.execute(
                select(c.tier, day, late, contact_day, contact_late, func.count())
                .where(*cohort)
                .group_by(c.tier, day, late, contact_day, contact_late)
            ).all()
            now_day += next(off for start, off in reversed(pieces) if now_day >= start)
    for tier, d, is_late, cd, contact_is_late, n in rows:
        deadline = close_of_business(d, bool(is_late), hours)
        if cd is not None and cd + (split if contact_is_late else 0.0) < deadline:
            outcome = "within"
        elif cd is None and now_day < deadline:
            outcome = "pending"
        else:
            outcome = "missed"
        _count(counts[tier], outcome, int(n))
    tiers = []
    for t in TIERS:
        leads, within, missed, pending = counts[t]
        share = rate(within, within + missed) if t != "Low" else None
        tiers.append(
            TierSla(
                t,
                window_text(windows, t),
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
            f"({window_text(windows, worst.tier)})"
        )
    return SlaCompliance(title=title, band=SLA_COMPLIANCE, compliance=overall, tiers=tiers)
