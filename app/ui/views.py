"""The views the navigation rail offers, in order. A feature adds its view here.

A view is a QWidget built by `factory(ctx)`. It may define `activate()` (called when shown)
and `focus_search()` (Ctrl+F). It reports the lead it selects through ctx.events.lead_selected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # the window's shell is built before the database layer is imported
    from app.ui.context import AppContext


class ViewSpec(NamedTuple):  # not a dataclass: `dataclasses` stays out of the first frame
    key: str
    title: str
    icon: str  # mdi6 icon name
    factory: Callable[[AppContext], QWidget]


def _inbox(ctx: AppContext) -> QWidget:
    from app.ui.inbox.view import InboxView

    return InboxView(ctx)


def _pipeline(ctx: AppContext) -> QWidget:
    from app.ui.pipeline.view import PipelineView

    return PipelineView(ctx)


def _calendar(ctx: AppContext) -> QWidget:
    from app.ui.calendar.view import CalendarView

    return CalendarView(ctx)


def _reports(ctx: AppContext) -> QWidget:
    # Imported on first use: pyqtgraph stays out of start-up.
    from app.ui.reports.view import ReportsView

    return ReportsView(ctx)


def _team(ctx: AppContext) -> QWidget:
    from app.ui.team.view import TeamView

    return TeamView(ctx)


def _routing(ctx: AppContext) -> QWidget:
    from app.ui.team.routing_view import RoutingView

    return RoutingView(ctx)


def _response(ctx: AppContext) -> QWidget:
    from app.ui.team.response_view import ResponseView

    return ResponseView(ctx)


def view_specs() -> list[ViewSpec]:
    return [
        ViewSpec("pipeline", "Pipeline", "view-column-outline", _pipeline),
        ViewSpec("inbox", "Inbox", "inbox-arrow-down-outline", _inbox),
        ViewSpec("calendar", "Calendar", "calendar-month-outline", _calendar),
        ViewSpec("reports", "Reports", "chart-box-outline", _reports),
        ViewSpec("team", "Team", "account-group-outline", _team),
        ViewSpec("routing", "Routing", "call-split", _routing),
        ViewSpec("response", "Response", "timer-outline", _response),
    ]
