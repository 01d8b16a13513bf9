"""The team's timer-sweep record: one row saying how far the team's sweeps have got."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class TeamSweep(Base):
    """The last completed sweep of the team (key 'team'), written under the sweep's advisory
    lock by whichever workstation swept (services/timers/team.py), so the next one, on any
    workstation, sweeps incrementally from it instead of sweeping every lead."""

    __tablename__ = "team_sweeps"

    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    swept_at: Mapped[datetime]  # the `now` of the last completed sweep
    full_at: Mapped[datetime | None]  # the `now` of the last full sweep
    # A rep's login left alerts unfired for leads it may not change since this moment: the
    # next sweep by a login the server does not restrict covers the window from here.
    held_since: Mapped[datetime | None]
    swept_by: Mapped[str] = mapped_column(String(255))
