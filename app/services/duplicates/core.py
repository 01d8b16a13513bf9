"""Duplicate checks for one lead being entered, merging two leads, and redirected ids.

A manual entry is checked like an import row: the same normalised e-mail is a duplicate; a
very similar name at a similar company (rapidfuzz, the import's thresholds) is a possible one.
Merging keeps one lead: per field the kept value unless the other's is chosen (or the kept one
is empty), details combined, the other's history, activities, scans and alerts moved over,
and its id recorded in `lead_redirects` so it still opens the kept lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import (
    Activity,
    ActivityStatus,
    Alert,
    AuditEvent,
    DuplicateDismissal,
    EngagementEvent,
    Lead,
    LeadRedirect,
    StageTransition,
    User,
)
from app.services.accounts.core import email_domain
from app.services.errors import ActionError, NotFound
from app.services.importing.dedup import COMPANY_THRESHOLD, NAME_THRESHOLD
from app.services.leads.queries import normalize_email, record_lead_event, touch
from app.services.leads.transitions import check_version

# Fields the Merge dialog offers a choice for (typed columns), in display order.
MERGE_FIELDS: tuple[str, ...] = (
    "display_name", "first_name", "last_name", "email", "phone", "title", "company",
    "industry", "headcount", "country", "source", "event", "deal_value", "owner_id",
)  # fmt: skip
CANDIDATES = 2000  # leads compared by rapidfuzz for one manual entry


class DuplicateLeadError(ActionError):
    """A new lead matches an existing one; created only with a reason."""

    exit_code = 5

    def __init__(self, message: str, matches: list[Match]) -> None:
        super().__init__(message)
        self.matches = matches


@dataclass(frozen=True)
class Match:
    lead_id: int
    name: str
    company: str | None
    email: str | None
    owner: str | None
    reason: str  # "same e-mail" | "similar name and company"
    score: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "name": self.name,
            "company": self.company,
            "email": self.email,
            "owner": self.owner,
            "reason": self.reason,
            "score": self.score,
        }

    def sentence(self) -> str:
        at = f", {self.company}" if self.company else ""
        owner = f", owned by {self.owner}" if self.owner else ", unassigned"
        return f"lead {self.lead_id} ({self.name}{at}{owner}) has {self._what()}"

    def _what(self) -> str:
        if self.reason == "same e-mail":
            return f"the same e-mail {self.email}"
        return "a very similar name and company"


def _name_of(values: dict[str, Any]) -> str:
    name = str(values.get("display_name") or values.get("name") or "").strip()
    if not name:
        name = " ".join(
            str(values.get(k) or "").strip() for k in ("first_name", "last_name")
        ).strip()
    return name


def find_matches(session: Session, values: dict[str, Any], limit: int = 5) -> list[Match]:
    """Existing leads that look like the lead `values` would create, best first."""
    email = normalize_email(str(values.get("email") or "") or None)
    name = _name_of(values)
    company = str(values.get("company") or "").strip()
    cols = (Lead.id, Lead.display_name, Lead.company, Lead.email, User.name)
    found: dict[int, Match] = {}
    if email:
        for row in session.execute(
            select(*cols)
            .outerjoin(User, User.id == Lead.owner_id)
            .where(Lead.email_normalized == email)
            .order_by(Lead.id)
        ):
            found[row[0]] = Match(row[0], row[1], row[2], row[3], row[4], "same e-mail", 100)
    if name and (company or email_domain(email)):
        domain = email_domain(email)
        conds = []
        if company:
            conds.append(func.lower(Lead.company).like(company[:3].lower() + "%"))
        if domain:
            conds.append(Lead.email_normalized.like("%@" + domain))
        rows = session.execute(
            select(*cols, Lead.email_normalized)
            .outerjoin(User, User.id == Lead.owner_id)
            .where(or_(*conds))
            .limit(CANDIDATES)
        )
        for lead_id, other, other_company, other_email, owner, other_norm in rows:
            if lead_id in found or not other:
                continue
            score = int(fuzz.token_sort_ratio(name.casefold(), other.casefold()))
            if score < NAME_THRESHOLD:
                continue
            same_domain = domain is not None and email_domain(other_norm) == domain
            similar = (
                bool(company and other_company)
                and fuzz.token_set_ratio(company.casefold(), str(other_company).casefold())
                >= COMPANY_THRESHOLD
            )
            if same_domain or similar:
                found[lead_id] = Match(
                    lead_id, other, other_company, other_email, owner,
                    "similar name and company", score,
                )  # fmt: skip
    return sorted(found.values(), key=lambda m: (-m.score, m.lead_id))[:limit]


def refuse_duplicates(matches: list[Match]) -> None:
    """Raise the one-line refusal for a new lead that matches existing ones."""
    if not matches:
        return
    first = matches[0]
    more = f" (and {len(matches) - 1} more)" if len(matches) > 1 else ""
    raise DuplicateLeadError(
        f"Not created: {first.sentence()}{more}. Open lead {first.lead_id}, or create it anyway "
        "with a reason (--allow-duplicate REASON).",
        matches,
    )


# -- redirects --------------------------------------------------------------------------------


def resolve_lead_id(session: Session, lead_id: int) -> int:
    """The lead an id stands for now: a merged-away id gives the kept lead."""
    seen = {lead_id}
    while True:
        target = session.scalar(select(LeadRedirect.lead_id).where(LeadRedirect.old_id == lead_id))
        if target is None or target in seen:
            return lead_id
        seen.add(target)
        lead_id = target


# -- merging ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChoice:
    field: str
    keep: Any
    other: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "keep": _plain(self.keep), "other": _plain(self.other)}


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _load(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"There is no lead {lead_id}.")
    return lead


def differing_fields(session: Session, keep_id: int, other_id: int) -> list[FieldChoice]:
    """Fields where both leads hold a value and the values differ (the Merge dialog's radios),
    typed columns first, then details."""
    keep, other = _load(session, keep_id), _load(session, other_id)
    out = []
    for name in MERGE_FIELDS:
        a, b = getattr(keep, name), getattr(other, name)
        if not _empty(a) and not _empty(b) and a != b:
            if name == "owner_id":  # people read names, not ids
                a, b = session.get(User, a), session.get(User, b)
                a, b = (a.name if a else None), (b.name if b else None)
            out.append(FieldChoice(name, a, b))
    kd, od = dict(keep.details or {}), dict(other.details or {})
    for key in sorted(set(kd) & set(od)):
        if not _empty(kd[key]) and not _empty(od[key]) and kd[key] != od[key]:
            out.append(FieldChoice(f"details.{key}", kd[key], od[key]))
    return out


def merge_leads(
    session: Session,
    clock: Clock,
    keep_id: int,
    other_id: int,
    take_other: set[str],
    by_user: int | None,
    keep_version: int | None = None,
    other_version: int | None = None,
) -> Lead:
    """Merge `other_id` into `keep_id` (see the module doc); returns the kept lead."""
    if keep_id == other_id:
        raise ActionError(f"Lead {keep_id} cannot be merged with itself.")
    keep, other = _load(session, keep_id), _load(session, other_id)
    check_version(session, keep, keep_version)
    check_version(session, other, other_version)
    unknown = {f for f in take_other if f not in MERGE_FIELDS and not f.startswith("details.")}
    if unknown:
        raise ActionError(f"Cannot choose {', '.join(sorted(unknown))}: not a lead field.")
    for name in MERGE_FIELDS:
        mine, theirs = getattr(keep, name), getattr(other, name)
        if (name in take_other or _empty(mine)) and not _empty(theirs):
            setattr(keep, name, theirs)
    keep.email_normalized = normalize_email(keep.email)
    keep.phone_normalized = keep.phone_normalized or other.phone_normalized
    if keep.first_owner_id is None:
        keep.first_owner_id = other.first_owner_id
    details = dict(keep.details or {})
    for key, value in (other.details or {}).items():
        if (f"details.{key}" in take_other or _empty(details.get(key))) and not _empty(value):
            details[key] = value
    keep.details = details
    qualifiers = dict(other.qualifiers or {}) | dict(keep.qualifiers or {})
    keep.qualifiers = qualifiers
    if keep.account_id is None:
        keep.account_id = other.account_id
    for stamp in ("captured_at", "first_contacted_at"):
        a, b = getattr(keep, stamp), getattr(other, stamp)
        if b is not None and (a is None or b < a):
            setattr(keep, stamp, b)
    if other.last_touch_at and (
        keep.last_touch_at is None or other.last_touch_at > keep.last_touch_at
    ):
        keep.last_touch_at = other.last_touch_at
    # One cadence per lead: the other's planned cadence steps are cancelled, not doubled.
    session.execute(
        update(Activity)
        .where(
            Activity.lead_id == other_id,
            Activity.status == ActivityStatus.PLANNED,
            Activity.cadence_step_id.is_not(None),
        )
        .values(status=ActivityStatus.CANCELLED)
    )
    for table in (Activity, EngagementEvent, Alert, StageTransition):
        session.execute(update(table).where(table.lead_id == other_id).values(lead_id=keep_id))
    session.execute(
        update(LeadRedirect).where(LeadRedirect.lead_id == other_id).values(lead_id=keep_id)
    )
    session.execute(
        update(AuditEvent)
        .where(AuditEvent.entity == "lead", AuditEvent.entity_id == other_id)
        .values(entity_id=keep_id)
    )
    session.execute(
        delete(DuplicateDismissal).where(
            or_(DuplicateDismissal.lead_a_id == other_id, DuplicateDismissal.lead_b_id == other_id)
        )
    )
    other_name = other.display_name
    session.flush()
    session.delete(other)
    session.flush()
    session.add(
        LeadRedirect(old_id=other_id, lead_id=keep_id, old_name=other_name, merged_at=clock.now(),
                     by_user_id=by_user)
    )  # fmt: skip
    keep.details = details
    touch(keep, clock, by_user)  # the version goes up on flush (version_id_col)
    chosen = ", ".join(sorted(take_other)) or "none"
    record_lead_event(
        session, clock, keep_id, "merged", by_user,
        text=f"Merged lead {other_id} ({other_name}) into this lead; took its {chosen}",
        other_id=other_id,
    )  # fmt: skip
    session.flush()
    return keep


def dismiss_pair(session: Session, clock: Clock, a: int, b: int, by_user: int | None) -> bool:
    """Record that two leads are different people; False when already dismissed."""
    lo, hi = sorted((a, b))
    _load(session, lo), _load(session, hi)
    exists = session.scalar(
        select(DuplicateDismissal.id).where(
            DuplicateDismissal.lead_a_id == lo, DuplicateDismissal.lead_b_id == hi
        )
    )
    if exists is not None:
        return False
    session.add(
        DuplicateDismissal(lead_a_id=lo, lead_b_id=hi, dismissed_at=clock.now(), by_user_id=by_user)
    )
    session.flush()
    return True


def dismissed_pairs(session: Session, lead_ids: list[int]) -> set[tuple[int, int]]:
    if not lead_ids:
        return set()
    rows = session.execute(
        select(DuplicateDismissal.lead_a_id, DuplicateDismissal.lead_b_id).where(
            DuplicateDismissal.lead_a_id.in_(lead_ids) | DuplicateDismissal.lead_b_id.in_(lead_ids)
        )
    )
    return {(a, b) for a, b in rows}


@dataclass(frozen=True)
class LeadSummary:
    """What the Merge and review lists show of a lead."""

    id: int
    name: str
    company: str | None
    email: str | None
    owner: str | None
    stage: str | None
    status: str
    version: int
    captured_at: Any


def lead_summaries(session: Session, lead_ids: list[int]) -> dict[int, LeadSummary]:
    from app.models import Stage

    rows = session.execute(
        select(
            Lead.id,
            Lead.display_name,
            Lead.company,
            Lead.email,
            User.name,
            Stage.name,
            Lead.status,
            Lead.version,
            Lead.captured_at,
        )
        .outerjoin(User, User.id == Lead.owner_id)
        .outerjoin(Stage, Stage.id == Lead.stage_id)
        .where(Lead.id.in_(lead_ids or [0]))
    )
    return {r[0]: LeadSummary(*r) for r in rows}


@dataclass(frozen=True)
class MergePlan:
    """Both leads and the fields that differ: what the Merge dialog shows."""

    keep: LeadSummary
    other: LeadSummary
    fields: list[FieldChoice]


def merge_plan(session: Session, keep_id: int, other_id: int) -> MergePlan:
    keep_id, other_id = resolve_lead_id(session, keep_id), resolve_lead_id(session, other_id)
    found = lead_summaries(session, [keep_id, other_id])
    for lead_id in (keep_id, other_id):
        if lead_id not in found:
            raise NotFound(f"There is no lead {lead_id}.")
    return MergePlan(found[keep_id], found[other_id], differing_fields(session, keep_id, other_id))
