"""What an action changed: every API function returns its value with a `Changes`.

The UI broadcasts a Changes once (whether it came from this window, the timer sweep or
another workstation) and every view refreshes from it; the CLI prints the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Changes:
    leads: frozenset[int] = frozenset()
    all_leads: bool = False  # many or unknown leads (an import, a rescore, a sweep)
    pipeline: bool = False  # stages and gates
    followups: bool = False  # planned steps, tasks, cadences
    alerts: bool = False
    settings: bool = False  # scoring, routing and follow-up settings
    users: bool = False
    imports: bool = False

    @classmethod
    def for_leads(cls, ids: Iterable[int], **kinds: bool) -> Changes:
        return cls(leads=frozenset(ids), **kinds)

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            leads=self.leads | other.leads,
            all_leads=self.all_leads or other.all_leads,
            pipeline=self.pipeline or other.pipeline,
            followups=self.followups or other.followups,
            alerts=self.alerts or other.alerts,
            settings=self.settings or other.settings,
            users=self.users or other.users,
            imports=self.imports or other.imports,
        )

    @classmethod
    def from_table(cls, table: str, ids: Iterable[int] | None) -> Changes:
        """What a change notification from another workstation means (ids None: many)."""
        if table == "leads":
            return cls(leads=frozenset(ids)) if ids else cls(all_leads=True)
        if table == "activities":
            return cls(followups=True, all_leads=True)  # a touch moves countdowns and history
        if table == "alerts":
            return cls(alerts=True)
        return cls(all_leads=True)

    def affects(self, lead_id: int | None) -> bool:
        """Whether this lead may have changed."""
        return lead_id is not None and (self.all_leads or lead_id in self.leads)

    @property
    def touches_leads(self) -> bool:
        return self.all_leads or bool(self.leads)

    def __bool__(self) -> bool:
        return self != NOTHING

    def to_dict(self) -> dict[str, object]:
        return {
            "leads": sorted(self.leads),
            "all_leads": self.all_leads,
            "pipeline": self.pipeline,
            "followups": self.followups,
            "alerts": self.alerts,
            "settings": self.settings,
            "users": self.users,
            "imports": self.imports,
        }


NOTHING = Changes()


@dataclass(frozen=True)
class Result(Generic[T]):
    """An API function's answer: its value and what it changed in the store."""

    value: T
    changes: Changes = field(default=NOTHING)
