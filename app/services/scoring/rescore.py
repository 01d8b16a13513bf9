"""Rescoring stored leads in bulk: all of them (new rules), some (an edit), or the open ones
with engagement (the timer sweep's decay). Core statements, no ORM objects per lead."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Select, bindparam, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.clock import Clock, SettableClock
from app.models import AuditEvent, EngagementEvent, Lead, LeadStatus
from app.services.progress import Progress
from app.services.scoring.engine import GROUPS, EventFact, LeadFacts, Scorer, ScoreResult
from app.services.scoring.rules import load_rules

# -- loading facts in bulk ------------------------------------------------------------------
_FACT_COLUMNS = (
    Lead.id,
    Lead.industry,
    Lead.headcount,
    Lead.country,
    Lead.source,
    Lead.title,
    Lead.qualifiers["timeframe"].as_string(),
    Lead.qualifiers["budget"].as_string(),
    Lead.qualifiers["rating"].as_string(),
    Lead.qualifiers["stars"].as_string(),
    Lead.score,
    Lead.tier,
    Lead.fit,
    Lead.intent,
    Lead.authority,
    Lead.timing,
)


def facts_query() -> Select[Any]:
    return select(*_FACT_COLUMNS)


def load_events(
    session: Session, ids: Sequence[int], contiguous: bool
) -> dict[int, list[EventFact]]:
    out: dict[int, list[EventFact]] = defaultdict(list)
    if not ids:
        return out
    e = EngagementEvent
    q = select(
        e.lead_id,
        e.kind,
        # Plain DateTime: naive UTC as stored, without the aware-datetime conversion per row.
        type_coerce(e.at, DateTime()),
        e.detail["rating"].as_string(),
        e.detail["stars"].as_string(),
    )
    # A contiguous id range uses the (lead_id, at) index as one range scan: far cheaper than a
    # 5,000-item IN list.
    q = q.where(e.lead_id.between(ids[0], ids[-1])) if contiguous else q.where(e.lead_id.in_(ids))
    wanted = None if contiguous else set(ids)
    for lead_id, kind, at, rating, stars in session.connection().execute(q).all():
        if wanted is not None and lead_id not in wanted:
            continue
        out[lead_id].append(EventFact(kind, at, rating, stars))
    return out


def row_facts(row: Any) -> LeadFacts:
    return LeadFacts._make(row[:10])


# -- public API -----------------------------------------------------------------------------
@dataclass
class RescoreResult:
    scored: int = 0
    changed: int = 0
    tier_changes: int = 0
    by_transition: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "scored": self.scored,
            "changed": self.changed,
            "tier_changes": self.tier_changes,
            "by_transition": dict(self.by_transition),
            "by_tier": dict(self.by_tier),
            "seconds": round(self.seconds, 3),
            "leads_per_second": round(self.scored / self.seconds) if self.seconds else None,
        }


def refresh_decay(session: Session, now: datetime) -> RescoreResult:
    """Rescore open leads with engagement as of `now`: it decays, tiers follow (timer sweep).

    Only leads with intent points have anything to fade; the others keep their score.
    """
    ids = session.scalars(
        select(Lead.id).where(Lead.status == LeadStatus.OPEN, Lead.intent > 0)
    ).all()
    return rescore_leads(session, SettableClock(now), ids)


# The app's one progress/cancel type (services/progress.py), under its old name here.
ProgressState = Progress


_UPDATE = (
    update(Lead.__table__)  # type: ignore[arg-type]
    .where(Lead.__table__.c.id == bindparam("_id"))
    .values(
        score=bindparam("_score"),
        tier=bindparam("_tier"),
        fit=bindparam("_fit"),
        intent=bindparam("_intent"),
        authority=bindparam("_authority"),
        timing=bindparam("_timing"),
        scored_at=bindparam("_at"),
    )
)


def rescore_leads(
    session: Session,
    clock: Clock,
    ids: Iterable[int] | None = None,
    state: ProgressState | None = None,
    *,
    rules: dict[str, Any] | None = None,
    dry_run: bool = False,
    record_crossings: bool = True,
    batch: int = 5000,
    open_only: bool = False,
) -> RescoreResult:
    """Score leads (all of them when `ids` is None) and write what changed.

    Only changed rows are written (Core executemany, no ORM objects). A score change does not
    bump the lead's `version`: it is derived data, and bumping it would make a rep's open edit
    fail its optimistic-lock check whenever the background rescoring passed by. Tier crossings
    (not first scorings) are appended to the lead's history with why.
    `dry_run` computes without writing: the settings page's preview.
    """
    started = time.perf_counter()
    rules = rules or load_rules(session)
    now = clock.now()
    scorer = Scorer(rules, now)
    result = RescoreResult()
    transitions: dict[str, int] = defaultdict(int)
    by_tier: dict[str, int] = defaultdict(int)
    base = facts_query()
    if open_only:
        base = base.where(Lead.status == LeadStatus.OPEN)
    if not dry_run:
        session.flush()

    id_list: list[int] = []
    if ids is None:
        total = int(session.scalar(select(func.count()).select_from(Lead)) or 0)
        chunks: Iterable[tuple[list[Any], bool]] = _keyset_chunks(session, base, batch)
    else:
        id_list = sorted(set(ids))
        total = len(id_list)
        chunks = (
            (
                list(session.connection().execute(base.where(Lead.id.in_(id_list[i : i + batch])))),
                False,
            )
            for i in range(0, len(id_list), batch)
        )

    done = 0
    for rows, contiguous in chunks:
        if state is not None:
            state.check()
        if not rows:
            continue
        rows.sort(key=lambda r: r[0])
        events = load_events(session, [r[0] for r in rows], contiguous)
        updates: list[dict[str, Any]] = []
        crossings: list[dict[str, Any]] = []
        empty: list[EventFact] = []
        for row in rows:
            res = scorer.score(row_facts(row), events.get(row[0], empty))
            by_tier[res.tier] += 1
            old_score, old_tier = row[10], row[11]
            if (
                res.score == old_score
                and res.tier == old_tier
                and res.fit == row[12]
                and res.intent == row[13]
                and res.authority == row[14]
                and res.timing == row[15]
            ):
                continue
            updates.append(
                {
                    "_id": row[0],
                    "_score": res.score,
                    "_tier": res.tier,
                    "_fit": res.fit,
                    "_intent": res.intent,
                    "_authority": res.authority,
                    "_timing": res.timing,
                    "_at": now,
                }
            )
            if old_tier != res.tier and old_tier is not None:
                transitions[f"{old_tier} → {res.tier}"] += 1
                if record_crossings:
                    crossings.append(_crossing(row, res, now))
        result.scored += len(rows)
        result.changed += len(updates)
        result.tier_changes += sum(1 for _ in crossings) if record_crossings else 0
        if not dry_run:
            if updates:
                session.execute(_UPDATE, updates)
            if crossings:
                session.execute(insert(AuditEvent), crossings)
        done += len(rows)
        if state is not None:
            state.progress(done, total, f"Scored {done:,} of {total:,} leads")
    result.tier_changes = sum(transitions.values())
    result.by_transition = dict(transitions)
    result.by_tier = dict(by_tier)
    result.seconds = time.perf_counter() - started
    if not dry_run:
        _expire(session, None if ids is None else id_list)
    return result


class NewLeadScorer:
    """Scores leads that are not stored yet, exactly as `rescore_leads` would once they are:
    a bulk writer (the import) puts score and tier in the INSERT instead of reading every new
    row back and updating it. `events` are the lead's engagement events (naive UTC `at`)."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.now = clock.now()
        self._scorer = Scorer(load_rules(session), self.now)
        # The time rescoring writes into scored_at.
        self.now_naive = self._scorer.now_naive

    def score(self, facts: LeadFacts, events: Sequence[EventFact]) -> ScoreResult:
        return self._scorer.score(facts, events)


def _keyset_chunks(
    session: Session, base: Select[Any], batch: int
) -> Iterable[tuple[list[Any], bool]]:
    last = 0
    while True:
        query = base.where(Lead.id > last).order_by(Lead.id).limit(batch)
        rows = list(session.connection().execute(query).all())
        if not rows:
            return
        last = rows[-1][0]
        yield rows, True


def _crossing(row: Any, res: ScoreResult, now: datetime) -> dict[str, Any]:
    old = dict(zip(GROUPS, (row[12], row[13], row[14], row[15]), strict=True))
    new = {"fit": res.fit, "intent": res.intent, "authority": res.authority, "timing": res.timing}
    deltas = {g: new[g] - old[g] for g in GROUPS if new[g] != old[g]}
    why = ", ".join(f"{g} {d:+d}" for g, d in sorted(deltas.items(), key=lambda kv: -abs(kv[1])))
    if deltas.get("intent", 0) < 0 and len(deltas) == 1:
        why += " (engagement aged)"
    return {
        "at": now,
        "user_id": None,
        "entity": "lead",
        "entity_id": row[0],
        "action": "tier_changed",
        "data": {
            "text": f"Tier {row[11]} → {res.tier}",
            "detail": f"Score {row[10]} → {res.score}: {why}" if why else None,
            "from": row[11],
            "to": res.tier,
            "score_from": row[10],
            "score_to": res.score,
            "deltas": deltas,
        },
    }


def _expire(session: Session, ids: Iterable[int] | None) -> None:
    """Loaded Lead objects must not keep (or later flush) pre-rescore values."""
    if ids is None:
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Lead):
                session.expire(obj)
        return
    for lid in ids:
        obj = session.identity_map.get(identity_key(Lead, lid))
        if obj is not None:
            session.expire(obj)


def score_lead(session: Session, clock: Clock, lead_id: int) -> ScoreResult | None:
    """Rescore one lead now (after an edit) and return its result."""
    rescore_leads(session, clock, [lead_id])
    row = session.execute(
        select(Lead.fit, Lead.intent, Lead.authority, Lead.timing, Lead.score, Lead.tier).where(
            Lead.id == lead_id
        )
    ).first()
    if row is None:
        return None
    fit, intent, authority, timing, score, tier = row
    return ScoreResult(fit, intent, authority, timing, score, tier or "Low")
