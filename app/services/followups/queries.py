"""Read models for the follow-up views (plain `(session, ...)` functions run on the task runner)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.services.followups.cadence import CadenceInfo, ensure_default_cadences, list_cadences
from app.services.followups.settings import FollowupSettings, load_settings


@dataclass(frozen=True)
class CadenceOverview:
    cadences: list[CadenceInfo]
    settings: FollowupSettings


def cadence_overview(session: Session) -> CadenceOverview:
    """Every cadence with its steps and the effective follow-up settings.

    A store that never planned a follow-up gets the default cadences first (the same lazy
    seeding as `cadence_for_tier`), so there is always something to read and edit.
    """
    ensure_default_cadences(session)
    return CadenceOverview(list_cadences(session), load_settings(session))
