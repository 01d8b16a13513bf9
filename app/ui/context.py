"""What every view gets: the store, the clock, the current user, the task runner, app events."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.clock import Clock
from app.services.team.users import UserInfo
from app.store.db import Store
from app.ui.workers import TaskRunner


class AppEvents(QObject):
    """App-wide notifications, so views stay independent of each other."""

    leads_changed = Signal(list)  # lead ids whose data changed (empty list: many/unknown)
    lead_selected = Signal(int)  # show this lead in the detail panel (0 clears it)
    open_lead = Signal(int)  # bring this lead to the front (from an alert, a chart...)
    # Show a list of leads: a dict of LeadFilter fields (and optionally "title") from a chart,
    # an alert, a report drill-down. The lead list view switches to it.
    show_leads = Signal(object)
    user_changed = Signal(object)  # UserInfo
    # Another workstation (or a background job) changed rows: table name, ids ([] = many).
    store_changed = Signal(str, list)
    status_message = Signal(str)


@dataclass
class AppContext:
    store: Store
    clock: Clock
    user: UserInfo
    tasks: TaskRunner
    events: AppEvents = field(default_factory=AppEvents)

    def set_user(self, user: UserInfo) -> None:
        self.user = user
        self.events.user_changed.emit(user)
