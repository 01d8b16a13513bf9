"""Stalls: the gate criteria that refuse moves most often, and why leads leave."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import LeadStatus
from app.services.reports.facts import Journeys, Report, journeys, stages_for
from app.services.reports.filters import MetricsFilter
from app.services.reports.formatting import humanize_code, pct, rate


@dataclass(frozen=True)
class Blocker:
    label: str
    stage: str | None
    count: int
    share: float | None


@dataclass(frozen=True)
class ExitReason:
    status: str
    reason_code: str | None
    label: str
    count: int


@dataclass(frozen=True)
class Stalls(Report):
    title: str
    blocked_attempts: int
    blockers: list[Blocker]
    exits: int
    reasons: list[ExitReason]

    def table(self) -> tuple[list[str], list[list[Any]]]:
        rows: list[list[Any]] = [
            ["Blocked by", b.label, b.stage or "", b.count, pct(b.share, 1)] for b in self.blockers
        ]
        rows += [
            [f"Exit: {r.status}", r.label, "", r.count, pct(rate(r.count, self.exits), 1)]
            for r in self.reasons
        ]
        return (["Kind", "Criterion or reason", "Stage", "Count", "Share"], rows)


def stalls(
    session: Session, clock: Clock, flt: MetricsFilter, *, _j: Journeys | None = None
) -> Stalls:
    """Which gate criteria refused moves most often (blocked attempts in the period), and why
    leads left the pipeline (exits in the period, by reason code)."""
    st = _j.st if _j else stages_for(session, flt)
    names = {s.id: s.name for s in [*st.funnel, *st.lost]}
    status_of = {s.id: s.exit_status or s.name for s in st.lost}
    with journeys(session, flt, st, _j) as j:
        x = j.x
        where = [*j.scope(x), *j.owned(x.owner_id), *j.period(x.at)]
        counted = session.execute(
            select(x.kind, x.stage_id, x.code, func.count())
            .where(x.kind.in_(("b", "x")), *where)
            .group_by(x.kind, x.stage_id, x.code)
        ).all()
        blocker_rows = session.execute(
            select(x.code, x.stage_id, func.count())
            .where(x.kind == "l", *where)
            .group_by(x.code, x.stage_id)
        ).all()
    attempts = sum(int(n) for kind, _s, _c, n in counted if kind == "b")
    reason_rows = [(sid, code, n) for kind, sid, code, n in counted if kind == "x"]
    by_label: dict[str, list[Any]] = {}
    for value, from_stage, n in blocker_rows:
        entry = by_label.setdefault(str(value), [Counter(), 0])
        entry[0][names.get(from_stage, "")] += int(n)
        entry[1] += int(n)
    blockers = sorted(
        (
            Blocker(
                label=lab,
                stage=stages.most_common(1)[0][0] or None,
                count=n,
                share=rate(n, attempts),
            )
            for lab, (stages, n) in by_label.items()
        ),
        key=lambda b: (-b.count, b.label),
    )
    reasons = sorted(
        (
            ExitReason(
                status=str(status_of.get(sid, "")),
                reason_code=code,
                label=humanize_code(code),
                count=int(n),
            )
            for sid, code, n in reason_rows
        ),
        key=lambda r: (-r.count, r.status, r.label),
    )
    exits = sum(r.count for r in reasons)
    parts = []
    if blockers:
        top = blockers[0]
        parts.append(
            f"“{top.label}” blocks moves most often ({pct(top.share)} of blocked attempts)"
        )
    lost = [r for r in reasons if r.status == LeadStatus.LOST]
    if lost:
        parts.append(f"deals are lost mostly to “{lost[0].label.lower()}”")
    elif reasons:
        parts.append(f"leads leave mostly for “{reasons[0].label.lower()}”")
    title = "; ".join(parts) if parts else "No blocked moves or exits in this period"
    title = title[:1].upper() + title[1:]
    return Stalls(
        title=title, blocked_attempts=attempts, blockers=blockers, exits=exits, reasons=reasons
    )
