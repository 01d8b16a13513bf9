"""Explainable lead scoring: four sub-scores, a composite 0-100, a tier and what to do about it.

The rules are data (a JSON document in the `settings` table under SETTINGS_KEY, merged over
DEFAULT_RULES), so a manager edits points, half-life and thresholds without a release.

One scoring function serves both the bulk path (no explanation objects, ~tens of µs a lead)
and `explain` (every contribution, its points, when it happened and its decayed value). The
bulk path and the explanation therefore cannot disagree: the explanation's integer points are
distributed by largest remainder so they sum exactly to each sub-score, and capping/clamping
appear as explicit contributions.
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import DateTime, Select, bindparam, case, func, insert, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.clock import Clock
from app.models import AuditEvent, EngagementEvent, Lead, LeadStatus, Setting

SETTINGS_KEY = "scoring.rules"
GROUPS = ("fit", "intent", "authority", "timing")
TIER_ORDER = ("Urgent", "High", "Medium", "Low")

DEFAULT_RULES: dict[str, Any] = {
    "half_life_days": 14.0,
    # Lowest score of each tier; anything below Medium is Low.
    "thresholds": {"Urgent": 80, "High": 60, "Medium": 40},
    # Required action and first-response window (minutes; null: no countdown) per tier.
    "actions": {
        "Urgent": {"action": "Contact within 5 minutes", "window_minutes": 5},
        "High": {"action": "Contact the same day", "window_minutes": 480},
        "Medium": {"action": "Structured follow-up within 2 days", "window_minutes": 2880},
        "Low": {"action": "Automated nurture", "window_minutes": None},
    },
    "caps": {"fit": 30, "intent": 40, "authority": 20, "timing": 20},
    "fit": {
        "industry": {
            "Software": 8,
            "Financial services": 8,
            "Manufacturing": 6,
            "Healthcare": 6,
            "Logistics": 6,
            "Retail": 2,
            "Energy": 2,
        },
        # [minimum headcount, points], highest matching minimum wins.
        "size": [[1, 1], [11, 3], [51, 6], [201, 8], [1001, 6]],
        "country": {
            "United States": 4,
            "Canada": 3,
            "Germany": 4,
            "Austria": 3,
            "Switzerland": 3,
            "United Kingdom": 4,
            "Ireland": 3,
            "Sweden": 3,
            "Norway": 3,
            "Denmark": 3,
            "Finland": 3,
            "Spain": 2,
            "Italy": 2,
            "Portugal": 2,
            "France": 2,
        },
        # Ideal customer profile: a target industry and a headcount in range.
        "ideal": {
            "industries": ["Software", "Financial services", "Manufacturing", "Healthcare"],
            "min_headcount": 51,
            "max_headcount": 2000,
            "points": 6,
        },
        # Per-source weight; the source-quality report suggests changes to these.
        "source": {"Referral": 4, "Partner": 3, "Event scan": 2, "Web form": 1, "LinkedIn": 0},
    },
    "intent": {
        "events": {
            "demo_request": 22,
            "pricing_visit": 8,
            "email_reply": 10,
            "content_download": 5,
            "webinar": 5,
            "badge_scan": 6,
        },
        # Badge-scan qualifiers: the rating a booth rep gave and optional 1-5 stars.
        "rating": {"Hot": 14, "Warm": 7, "Cold": 0},
        "per_star": 2,
    },
    "authority": {
        "points": {"decision_maker": 20, "influencer": 12, "evaluator": 6, "none": 0},
        # Title keywords per role, checked in this order (first match wins).
        "keywords": {
            "decision_maker": [
                "ceo",
                "cfo",
                "cto",
                "coo",
                "cio",
                "chief",
                "founder",
                "owner",
                "president",
                "vp",
                "vice president",
                "head of",
                "director",
                "partner",
            ],
            "influencer": ["manager", "lead", "principal", "procurement"],
            "evaluator": [
                "engineer",
                "analyst",
                "architect",
                "developer",
                "scientist",
                "specialist",
                "consultant",
                "administrator",
            ],
        },
    },
    "timing": {
        "timeframe": {
            "Immediately": 12,
            "This quarter": 12,
            "Next quarter": 7,
            "6-12 months": 3,
            "No timeline": 0,
        },
        "budget": {"Approved": 8, "Planned": 4, "None": 0, "Unknown": 0},
    },
}

ROLE_WORDS = {
    "decision_maker": "Decision maker",
    "influencer": "Influencer",
    "evaluator": "Evaluator",
    "none": "No buying role",
}
EVENT_WORDS = {
    "demo_request": "Demo request",
    "pricing_visit": "Pricing page visit",
    "email_reply": "E-mail reply",
    "content_download": "Content download",
    "webinar": "Webinar",
    "badge_scan": "Badge scan",
}


# -- rules ----------------------------------------------------------------------------------
def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def default_rules() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_RULES)


def load_rules(session: Session) -> dict[str, Any]:
    """The rules in force: stored overrides merged over the defaults."""
    stored = session.get(Setting, SETTINGS_KEY)
    if stored is None or not isinstance(stored.value, dict):
        return default_rules()
    return _merge(DEFAULT_RULES, stored.value)


def validate_rules(rules: dict[str, Any]) -> None:
    """Raise ValueError with a user-facing sentence when the rules cannot work."""
    half = float(rules.get("half_life_days", 0))
    if half <= 0:
        raise ValueError("The half-life must be more than 0 days.")
    t = rules["thresholds"]
    if not 0 < int(t["Medium"]) < int(t["High"]) < int(t["Urgent"]) <= 100:
        raise ValueError("Tier thresholds must rise: 0 < Medium < High < Urgent ≤ 100.")


def save_rules(
    session: Session, clock: Clock, rules: dict[str, Any], *, by_user_id: int | None = None
) -> None:
    validate_rules(rules)
    row = session.get(Setting, SETTINGS_KEY)
    if row is None:
        session.add(Setting(key=SETTINGS_KEY, value=copy.deepcopy(rules), updated_at=clock.now()))
    else:
        row.value = copy.deepcopy(rules)
        row.updated_at = clock.now()
    from app.services import audit

    audit.record(
        session,
        at=clock.now(),
        entity="settings",
        entity_id=None,
        action="scoring_rules_saved",
        user_id=by_user_id,
        data={"key": SETTINGS_KEY},
    )


def tier_for(score: int, rules: dict[str, Any]) -> str:
    t = rules["thresholds"]
    if score >= int(t["Urgent"]):
        return "Urgent"
    if score >= int(t["High"]):
        return "High"
    if score >= int(t["Medium"]):
        return "Medium"
    return "Low"


def tier_action(tier: str | None, rules: dict[str, Any]) -> str:
    return str(rules["actions"].get(tier or "", {}).get("action") or "")


def response_windows(rules: dict[str, Any]) -> dict[str, timedelta | None]:
    out: dict[str, timedelta | None] = {}
    for tier in TIER_ORDER:
        minutes = rules["actions"].get(tier, {}).get("window_minutes")
        out[tier] = timedelta(minutes=float(minutes)) if minutes else None
    return out


def first_response_due(
    captured_at: datetime | None, tier: str | None, windows: dict[str, timedelta | None]
) -> datetime | None:
    """When the first contact is due: capture time plus the tier's window (None: no SLA)."""
    if captured_at is None or tier is None:
        return None
    window = windows.get(tier)
    return captured_at + window if window is not None else None


def window_words(minutes: float | None) -> str:
    if not minutes:
        return "no deadline"
    if minutes < 60:
        return f"{minutes:g} min"
    if minutes < 1440:
        return f"{minutes / 60:g} h"
    return f"{minutes / 1440:g} days"


# -- the scoring core -----------------------------------------------------------------------
class LeadFacts(NamedTuple):
    """What scoring reads from a lead (a row, not an ORM object: the bulk path is Core).
    Named tuples, not dataclasses: a million of them are built per full rescoring."""

    id: int
    industry: str | None
    headcount: int | None
    country: str | None
    source: str | None
    title: str | None
    timeframe: str | None
    budget: str | None
    rating: str | None
    stars: Any = None


class EventFact(NamedTuple):
    kind: str
    at: datetime  # naive UTC in the bulk path (the store's own convention)
    rating: str | None = None
    stars: Any = None


@dataclass(frozen=True)
class Contribution:
    group: str
    rule: str
    points: int  # integer share of the score; all contributions sum to the score
    value: float  # the exact (decayed) value before rounding
    base: float  # the undecayed points of the rule
    when: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "rule": self.rule,
            "points": self.points,
            "value": round(self.value, 3),
            "base": self.base,
            "when": self.when.isoformat() if self.when else None,
        }


class ScoreResult(NamedTuple):
    fit: int
    intent: int
    authority: int
    timing: int
    score: int
    tier: str


Collect = Callable[[str, str, float, float, datetime | None], None]


class _Scorer:
    """Rules compiled into lookups once per run, so scoring a lead is dictionary work."""

    def __init__(self, rules: dict[str, Any], now: datetime) -> None:
        self.rules = rules
        self.now = now
        # Events come from the store as naive UTC; compare like with like (no tz per event).
        self.now_naive = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
        self.half_life = float(rules["half_life_days"]) * 86400.0
        fit = rules["fit"]
        self.industry = _lookup(fit["industry"])
        self.size = sorted((int(a), float(b)) for a, b in fit["size"])
        self.country = _lookup(fit["country"])
        ideal = fit["ideal"]
        self.ideal_ind = {s.lower() for s in ideal["industries"]} | set(ideal["industries"])
        self.ideal_min = int(ideal["min_headcount"])
        self.ideal_max = int(ideal["max_headcount"])
        self.ideal_pts = float(ideal["points"])
        self.source = _lookup(fit["source"])
        intent = rules["intent"]
        self.events = {k: float(v) for k, v in intent["events"].items()}
        self.rating = _lookup(intent["rating"])
        self.per_star = float(intent["per_star"])
        auth = rules["authority"]
        self.role_points = {k: float(v) for k, v in auth["points"].items()}
        self.keywords = [
            (role, [w.lower() for w in words]) for role, words in auth["keywords"].items()
        ]
        self.timeframe = _lookup(rules["timing"]["timeframe"])
        self.budget = _lookup(rules["timing"]["budget"])
        self.caps = {g: int(rules["caps"][g]) for g in GROUPS}
        t = rules["thresholds"]
        self.t_urgent, self.t_high, self.t_medium = (
            int(t["Urgent"]),
            int(t["High"]),
            int(t["Medium"]),
        )
        self._roles: dict[str, str] = {}

    # Authority: titles repeat a lot, so classify each distinct title once.
    def role(self, title: str | None) -> str:
        if not title:
            return "none"
        found = self._roles.get(title)
        if found is None:
            low = f" {title.lower()} "
            found = "none"
            for role, words in self.keywords:
                if any(_word_in(w, low) for w in words):
                    found = role
                    break
            self._roles[title] = found
        return found

    def decay(self, at: datetime) -> float:
        age = ((self.now_naive if at.tzinfo is None else self.now) - at).total_seconds()
        if age <= 0:
            return 1.0
        return 0.5 ** (age / self.half_life)

    def tier(self, score: int) -> str:
        if score >= self.t_urgent:
            return "Urgent"
        if score >= self.t_high:
            return "High"
        if score >= self.t_medium:
            return "Medium"
        return "Low"

    def score(
        self, lead: LeadFacts, events: Sequence[EventFact], collect: Collect | None = None
    ) -> ScoreResult:
        # fit
        fit = 0.0
        if lead.industry:
            v = _get(self.industry, lead.industry)
            fit += v
            if collect and v:
                collect("fit", f"Industry: {lead.industry}", v, v, None)
        if lead.headcount:
            v = 0.0
            for minimum, pts in self.size:
                if lead.headcount >= minimum:
                    v = pts
            fit += v
            if collect and v:
                collect("fit", f"Company size: {lead.headcount:,} employees", v, v, None)
        if lead.country:
            v = _get(self.country, lead.country)
            fit += v
            if collect and v:
                collect("fit", f"Country: {lead.country}", v, v, None)
        if (
            lead.industry
            and lead.headcount
            and (lead.industry in self.ideal_ind or lead.industry.lower() in self.ideal_ind)
            and self.ideal_min <= lead.headcount <= self.ideal_max
        ):
            fit += self.ideal_pts
            if collect and self.ideal_pts:
                collect("fit", "Ideal customer profile", self.ideal_pts, self.ideal_pts, None)
        if lead.source:
            v = _get(self.source, lead.source)
            fit += v
            if collect and v:
                collect("fit", f"Source: {lead.source}", v, v, None)

        # intent: each event decays with age
        intent = 0.0
        for ev in events:
            base = self.events.get(ev.kind, 0.0)
            rating = ev.rating or (lead.rating if ev.kind == "badge_scan" else None)
            stars = (
                ev.stars
                if ev.stars is not None
                else (lead.stars if ev.kind == "badge_scan" else None)
            )
            if not base and ev.kind != "badge_scan":
                continue
            d = self.decay(ev.at)
            intent += base * d
            if collect and base:
                collect("intent", EVENT_WORDS.get(ev.kind, ev.kind), base * d, base, ev.at)
            if rating:
                r = _get(self.rating, str(rating))
                intent += r * d
                if collect and r:
                    collect("intent", f"Badge rating: {rating}", r * d, r, ev.at)
            if stars:
                s = _stars(stars) * self.per_star
                intent += s * d
                if collect and s:
                    collect("intent", f"Badge stars: {_stars(stars)}", s * d, s, ev.at)

        role = self.role(lead.title)
        authority = self.role_points.get(role, 0.0)
        if collect and authority:
            collect(
                "authority",
                f"{ROLE_WORDS.get(role, role)} ({lead.title})",
                authority,
                authority,
                None,
            )

        timing = 0.0
        if lead.timeframe:
            v = _get(self.timeframe, str(lead.timeframe))
            timing += v
            if collect and v:
                collect("timing", f"Timeframe: {lead.timeframe}", v, v, None)
        if lead.budget:
            v = _get(self.budget, str(lead.budget))
            timing += v
            if collect and v:
                collect("timing", f"Budget: {lead.budget}", v, v, None)

        caps = self.caps
        f = _clamp(_round(fit), 0, caps["fit"])
        i = _clamp(_round(intent), 0, caps["intent"])
        a = _clamp(_round(authority), 0, caps["authority"])
        t = _clamp(_round(timing), 0, caps["timing"])
        total = _clamp(f + i + a + t, 0, 100)
        if total >= self.t_urgent:
            tier = "Urgent"
        elif total >= self.t_high:
            tier = "High"
        elif total >= self.t_medium:
            tier = "Medium"
        else:
            tier = "Low"
        return ScoreResult(f, i, a, t, total, tier)


def _lookup(points: dict[str, Any]) -> dict[str, float]:
    """Points by exact key and by lower-cased key: the exact hit (the common case) skips a
    .lower() per lead."""
    out = {k.lower(): float(v) for k, v in points.items()}
    out.update({k: float(v) for k, v in points.items()})
    return out


def _get(table: dict[str, float], key: str) -> float:
    v = table.get(key)
    if v is None:
        v = table.get(key.lower(), 0.0)
    return v


def _word_in(word: str, padded_title: str) -> bool:
    # Short words (vp, ceo) must match whole words: "cto" must not match "director".
    if len(word) <= 4:
        return any(
            f"{sep}{word}{end}" in padded_title
            for sep in (" ", ",", "/", "(")
            for end in (" ", ",", "/", ")")
        )
    return word in padded_title


def _stars(value: Any) -> int:
    try:
        return max(0, min(5, int(float(value))))
    except (TypeError, ValueError):
        return 0


def _round(x: float) -> int:
    # Half up (not banker's rounding), identical in the bulk path and the explanation.
    return math.floor(x + 0.5)


def _clamp(x: int, lo: int, hi: int) -> int:
    return lo if x < lo else hi if x > hi else x


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


def _facts_query() -> Select[Any]:
    return select(*_FACT_COLUMNS)


def _load_events(
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


def _facts(row: Any) -> LeadFacts:
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
    from app.clock import SettableClock

    ids = session.scalars(
        select(Lead.id).where(Lead.status == LeadStatus.OPEN, Lead.intent > 0)
    ).all()
    return rescore_leads(session, SettableClock(now), ids)


class ProgressState(Protocol):
    def progress(self, done: int, total: int, text: str = "") -> None: ...

    def check(self) -> None: ...


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
    import time

    started = time.perf_counter()
    rules = rules or load_rules(session)
    now = clock.now()
    scorer = _Scorer(rules, now)
    result = RescoreResult()
    transitions: dict[str, int] = defaultdict(int)
    by_tier: dict[str, int] = defaultdict(int)
    base = _facts_query()
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
        events = _load_events(session, [r[0] for r in rows], contiguous)
        updates: list[dict[str, Any]] = []
        crossings: list[dict[str, Any]] = []
        empty: list[EventFact] = []
        for row in rows:
            res = scorer.score(_facts(row), events.get(row[0], empty))
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
        self._scorer = _Scorer(load_rules(session), self.now)
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


@dataclass(frozen=True)
class Explanation:
    lead_id: int
    score: int
    tier: str
    action: str
    window_minutes: float | None
    sub_scores: dict[str, int]
    contributions: list[Contribution]
    tier_changes: list[dict[str, Any]]

    def group(self, name: str) -> list[Contribution]:
        return [c for c in self.contributions if c.group == name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "score": self.score,
            "tier": self.tier,
            "action": self.action,
            "first_response_window_minutes": self.window_minutes,
            "sub_scores": dict(self.sub_scores),
            "contributions": [c.to_dict() for c in self.contributions],
            "tier_changes": self.tier_changes,
        }


def explain(
    session: Session, clock: Clock, lead_id: int, rules: dict[str, Any] | None = None
) -> Explanation | None:
    """Every contribution to the lead's score now; their points sum exactly to the score."""
    rules = rules or load_rules(session)
    row = session.execute(_facts_query().where(Lead.id == lead_id)).first()
    if row is None:
        return None
    events = _load_events(session, [lead_id], False).get(lead_id, [])
    scorer = _Scorer(rules, clock.now())
    raw: list[tuple[str, str, float, float, datetime | None]] = []
    res = scorer.score(_facts(row), events, lambda g, r, v, b, w: raw.append((g, r, v, b, w)))
    subs = {"fit": res.fit, "intent": res.intent, "authority": res.authority, "timing": res.timing}
    contributions: list[Contribution] = []
    for group in GROUPS:
        items = [x for x in raw if x[0] == group]
        unclamped = _round(sum(x[2] for x in items))
        points = _largest_remainder([x[2] for x in items], unclamped)
        for (g, rule, value, base, when), pts in zip(items, points, strict=True):
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            contributions.append(Contribution(g, rule, pts, value, base, when))
        if subs[group] != unclamped:
            cap = scorer.caps[group]
            label = (
                f"{group.title()} capped at {cap}"
                if unclamped > cap
                else f"{group.title()} floor 0"
            )
            contributions.append(
                Contribution(group, label, subs[group] - unclamped, 0.0, 0.0, None)
            )
    raw_total = sum(subs.values())
    if raw_total != res.score:
        contributions.append(
            Contribution("total", "Score capped at 100", res.score - raw_total, 0.0, 0.0, None)
        )
    assert sum(c.points for c in contributions) == res.score
    window = rules["actions"].get(res.tier, {}).get("window_minutes")
    history = session.execute(
        select(AuditEvent.at, AuditEvent.data)
        .where(
            AuditEvent.entity == "lead",
            AuditEvent.entity_id == lead_id,
            AuditEvent.action == "tier_changed",
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(5)
    )
    changes = [
        {"at": at.isoformat(), "text": d.get("text"), "detail": d.get("detail")}
        for at, d in history
    ]
    return Explanation(
        lead_id=lead_id,
        score=res.score,
        tier=res.tier,
        action=tier_action(res.tier, rules),
        window_minutes=float(window) if window else None,
        sub_scores=subs,
        contributions=contributions,
        tier_changes=changes,
    )


def _largest_remainder(values: Sequence[float], target: int) -> list[int]:
    """Integers, each floor or ceil of its value, summing to `target` (= round(sum))."""
    floors = [math.floor(v) for v in values]
    rest = target - sum(floors)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: max(0, rest)]:
        floors[i] += 1
    return floors


@dataclass(frozen=True)
class TierPreview:
    scored: int
    changes: int
    by_transition: dict[str, int]
    by_tier_before: dict[str, int]
    by_tier_after: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def preview_rules(
    session: Session, clock: Clock, rules: dict[str, Any], state: ProgressState | None = None
) -> TierPreview:
    """How many leads would change tier under `rules` (against their stored tiers)."""
    validate_rules(rules)
    before = dict(
        session.execute(
            select(Lead.tier, func.count()).where(Lead.tier.is_not(None)).group_by(Lead.tier)
        ).all()
    )
    res = rescore_leads(session, clock, None, state, rules=rules, dry_run=True)
    return TierPreview(
        scored=res.scored,
        changes=res.tier_changes,
        by_transition=res.by_transition,
        by_tier_before={str(k): int(v) for k, v in before.items()},
        by_tier_after=res.by_tier,
    )


# -- source quality -------------------------------------------------------------------------
@dataclass(frozen=True)
class SourceQuality:
    source: str
    closed: int
    won: int
    close_rate: float
    weight: float
    suggested_weight: float

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def source_quality(
    session: Session, clock: Clock, days: int = 90, rules: dict[str, Any] | None = None
) -> list[SourceQuality]:
    """Close rate (won / closed) by source over the trailing `days`, with suggested weights.

    A source closing better than the average earns weight, one worse loses it, in proportion
    to the gap and damped for small samples, so one lucky deal does not swing the rules.
    """
    rules = rules or load_rules(session)
    since = clock.now() - timedelta(days=days)
    closed_statuses = (LeadStatus.WON, LeadStatus.LOST, LeadStatus.DISQUALIFIED)
    rows = session.execute(
        select(
            Lead.source,
            func.count(),
            func.sum(case((Lead.status == LeadStatus.WON, 1), else_=0)),
        )
        .where(
            Lead.status.in_(closed_statuses),
            Lead.stage_entered_at >= since,
            Lead.source.is_not(None),
        )
        .group_by(Lead.source)
    ).all()
    total_closed = sum(int(r[1]) for r in rows)
    total_won = sum(int(r[2] or 0) for r in rows)
    overall = total_won / total_closed if total_closed else 0.0
    weights = rules["fit"]["source"]
    out = []
    for source, closed, won in rows:
        closed, won = int(closed), int(won or 0)
        rate = won / closed if closed else 0.0
        current = float(weights.get(source, 0))
        confidence = closed / (closed + 30.0)
        gap = (rate - overall) / overall if overall else 0.0
        suggested = max(0.0, min(10.0, round(current + 4.0 * gap * confidence)))
        out.append(SourceQuality(source, closed, won, rate, current, suggested))
    out.sort(key=lambda s: -s.close_rate)
    return out


def apply_source_weights(
    session: Session, clock: Clock, weights: dict[str, float], *, by_user_id: int | None = None
) -> dict[str, Any]:
    """A manager accepts suggested source weights: saved into the rules (rescore separately)."""
    rules = load_rules(session)
    rules["fit"]["source"].update({k: float(v) for k, v in weights.items()})
    save_rules(session, clock, rules, by_user_id=by_user_id)
    return rules
