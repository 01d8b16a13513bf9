"""What every view gets: the store, the clock, the current user, the task runner, app events."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from app.clock import Clock
from app.services.auth import Actor, Perm, can
from app.services.team.users import UserInfo
from app.store.db import Store
from app.store.uow import UnitOfWork
from app.ui.workers import TaskRunner


class AppEvents(QObject):
    """App-wide notifications, so views stay independent of each other."""

    # The one change broadcast: a services.changes.Changes, from this window's actions (through
    # app.ui.ops), the timer sweep and other workstations (LISTEN/NOTIFY). Every view refreshes
    # from it.
    changed = Signal(object)
    lead_selected = Signal(int)  # show this lead in the detail panel (0 clears it)
    open_lead = Signal(int)  # bring this lead to the front (from an alert, a chart...)
    # Show a list of leads: a dict of LeadFilter fields (and optionally "title") from a chart,
    # an alert, a report drill-down. The lead list view switches to it.
    show_leads = Signal(object)
    show_page = Signal(str)  # bring a page forward by its key in app.ui.views (e.g. "response")
    user_changed = Signal(object)  # UserInfo
    status_message = Signal(str)


@dataclass
class AppContext:
    store: Store
    clock: Clock
    user: UserInfo
    tasks: TaskRunner
    events: AppEvents = field(default_factory=AppEvents)
    # How the signed-in member was decided, for the status bar.
    how: str = "chosen at start-up on this workstation"

    @property
    def identity_fixed(self) -> bool:
        """On a team database the member is the login: no switching to someone else."""
        return not self.store.is_sqlite

    @property
    def actor(self) -> Actor:
        return self.user.as_actor()

    def can(self, perm: Perm) -> bool:
        """Whether the signed-in user's role allows `perm` (to hide what it does not)."""
        return can(self.actor, perm)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.store.session_factory, self.clock)

    def set_user(self, user: UserInfo, how: str | None = None) -> None:
        self.user = user
        if how is not None:
            self.how = how
        self.events.user_changed.emit(user)
