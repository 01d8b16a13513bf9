"""What every report is restricted to (MetricsFilter), the options the filters bar offers, and
the period arithmetic shared by the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.models import Lead, Pipeline, User

_l = Lead.__table__


@dataclass(frozen=True)
class MetricsFilter:
    """What every chart is restricted to.

    The period (UTC days, both ends inclusive) selects the cohort of leads *captured* in it for
    the funnel, sources and speed to lead, and the *events* in it (stage entries, weeks, blocked
    attempts, exits) for the others. The rest restricts leads by their current fields.
    """

    date_from: date | None = None
    date_to: date | None = None
    pipeline_id: int | None = None
    owner_ids: tuple[int, ...] = ()
    source: str | None = None
    event: str | None = None

    @property
    def start(self) -> datetime | None:
        return datetime.combine(self.date_from, time(), UTC) if self.date_from else None

    @property
    def end(self) -> datetime | None:
        """Exclusive end: midnight after `date_to`."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time(), UTC)

    def lead_clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.pipeline_id is not None:
            clauses.append(_l.c.pipeline_id == self.pipeline_id)
        if self.owner_ids:
            clauses.append(_l.c.owner_id.in_(self.owner_ids))
        if self.source:
            clauses.append(_l.c.source == self.source)
        if self.event:
            clauses.append(_l.c.event == self.event)
        return clauses

    def cohort_clauses(self) -> list[ColumnElement[bool]]:
        return self.lead_clauses() + between(_l.c.captured_at, self.start, self.end)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "pipeline_id": self.pipeline_id,
            "owner_ids": list(self.owner_ids),
            "source": self.source,
            "event": self.event,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetricsFilter:
        def day(value: Any) -> date | None:
            return date.fromisoformat(value) if isinstance(value, str) and value else None

        return cls(
            date_from=day(data.get("from")),
            date_to=day(data.get("to")),
            pipeline_id=data.get("pipeline_id"),
            owner_ids=tuple(int(i) for i in data.get("owner_ids") or ()),
            source=data.get("source") or None,
            event=data.get("event") or None,
        )

    def period_label(self) -> str:
        if self.date_from and self.date_to:
            return f"{self.date_from:%d %b %Y} – {self.date_to:%d %b %Y}"
        if self.date_from:
            return f"since {self.date_from:%d %b %Y}"
        if self.date_to:
            return f"until {self.date_to:%d %b %Y}"
        return "all time"


def between(column: Any, start: Any, end: Any) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if start is not None:
        clauses.append(column >= start)
    if end is not None:
        clauses.append(column < end)
    return clauses


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def day_of(value: datetime | None) -> float | None:
    """The Python side of `_day_number`, for bounds compared with journey columns."""
    if value is None:
        return None
    return (value.astimezone(UTC) - _EPOCH).total_seconds() / 86400.0


@dataclass(frozen=True)
class FilterOptions:
    pipelines: list[tuple[int, str]] = field(default_factory=list)
    owners: list[tuple[int, str]] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)


def filter_options(session: Session) -> FilterOptions:
    """What the filters bar offers: pipelines, people, and the sources/events in use."""
    return FilterOptions(
        pipelines=[(i, n) for i, n in session.execute(select(Pipeline.id, Pipeline.name))],
        owners=[(i, n) for i, n in session.execute(select(User.id, User.name).order_by(User.name))],
        sources=[
            s
            for s in session.scalars(
                select(_l.c.source).distinct().where(_l.c.source.is_not(None)).order_by(_l.c.source)
            )
        ],
        events=[
            e
            for e in session.scalars(
                select(_l.c.event).distinct().where(_l.c.event.is_not(None)).order_by(_l.c.event)
            )
        ],
    )
