"""The user actions on reports: one function each, `(uow, actor, ...) -> Result`.

Reports are reads: they change nothing a user sees (`Changes` is empty). They do bring the
derived report facts up to date on the way, and keep that work (commit), so the next report
starts from there. The Reports view computes its dashboard with the plain query functions of
this package on the task runner; the CLI calls these.
"""

from __future__ import annotations

from datetime import date

from app.services.auth import Actor, Perm, require
from app.services.changes import Result
from app.services.errors import NotFound
from app.services.reports.dashboard import REPORTS, Dashboard, compute_dashboard, compute_report
from app.services.reports.facts import Report
from app.services.reports.filters import MetricsFilter
from app.store.uow import UnitOfWork


def run_report(
    uow: UnitOfWork,
    actor: Actor,
    flt: MetricsFilter,
    name: str,
    *,
    versus: tuple[date, date] | None = None,
) -> Result[Report]:
    """One report by its CLI name (funnel, conversion, velocity, response-time, ...);
    `versus`: the period the cohorts report compares with."""
    with uow:
        require(actor, Perm.REPORTS_VIEW)
        if name not in REPORTS:
            raise NotFound(f"There is no report '{name}'. Use one of: {', '.join(REPORTS)}.")
        report = compute_report(uow.session, uow.clock, flt, name, versus=versus)
        uow.commit()  # the report facts it brought up to date
    return Result(report)


def run_dashboard(uow: UnitOfWork, actor: Actor, flt: MetricsFilter) -> Result[Dashboard]:
    """Every report for one filter."""
    with uow:
        require(actor, Perm.REPORTS_VIEW)
        dashboard = compute_dashboard(uow.session, uow.clock, flt)
        uow.commit()
    return Result(dashboard)
