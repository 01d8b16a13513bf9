"""Explainable lead scoring, the pure part: facts and rules in, four sub-scores, a composite
0-100, a tier and the explanation lines out. No SQLAlchemy, no Qt: tested without a store.

One scoring function serves both the bulk path (no explanation objects, ~tens of µs a lead)
and the explanation (every contribution, its points, when it happened and its decayed value).
The two therefore cannot disagree: the explanation's integer points are distributed by largest
remainder so they sum exactly to each sub-score, and capping/clamping appear as explicit
contributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

GROUPS = ("fit", "intent", "authority", "timing")
TIER_ORDER = ("Urgent", "High", "Medium", "Low")

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


class Scorer:
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
        return float(0.5 ** (age / self.half_life))

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
        caps = self.caps
        f = _clamp(_round(self._fit(lead, collect)), 0, caps["fit"])
        # No call for a lead without events: this runs once per lead on the bulk path.
        intent = self._intent(lead, events, collect) if events else 0.0
        i = _clamp(_round(intent), 0, caps["intent"])
        a = _clamp(_round(self._authority(lead, collect)), 0, caps["authority"])
        t = _clamp(_round(self._timing(lead, collect)), 0, caps["timing"])
        total = _clamp(f + i + a + t, 0, 100)
        return ScoreResult(f, i, a, t, total, self.tier(total))

    # The sub-scores below run once per lead on the bulk path: plain locals and dictionary
    # lookups, and `collect` is only called (with the explanation's words) when given.
    def _fit(self, lead: LeadFacts, collect: Collect | None) -> float:
        fit = 0.0
        if lead.industry:
            v = _get(self.industry, lead.industry)
            fit += v
            if collect and v:
                collect("fit", f"Industry: {lead.industry}", v, v, None)
        if lead.headcount:
            # The bands are sorted by minimum: the last band reached wins.
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
        return fit

    def _intent(
        self, lead: LeadFacts, events: Sequence[EventFact], collect: Collect | None
    ) -> float:
        """Each event's points, rating and stars, decayed with the event's age."""
        intent = 0.0
        for ev in events:
            base = self.events.get(ev.kind, 0.0)
            rating = ev.rating or (lead.rating if ev.kind == "badge_scan" else None)
            stars = (
                ev.stars
                if ev.stars is not None
                else (lead.stars if ev.kind == "badge_scan" else None)
            )
            # A badge scan still counts for its rating and stars when the scan has no points.
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
        return intent

    def _authority(self, lead: LeadFacts, collect: Collect | None) -> float:
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
        return authority

    def _timing(self, lead: LeadFacts, collect: Collect | None) -> float:
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
        return timing


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


def _largest_remainder(values: Sequence[float], target: int) -> list[int]:
    """Integers, each floor or ceil of its value, summing to `target` (= round(sum))."""
    floors = [math.floor(v) for v in values]
    rest = target - sum(floors)
    order = sorted(range(len(values)), key=lambda i: values[i] - floors[i], reverse=True)
    for i in order[: max(0, rest)]:
        floors[i] += 1
    return floors


def explain_facts(
    rules: dict[str, Any], now: datetime, lead: LeadFacts, events: Sequence[EventFact]
) -> tuple[ScoreResult, list[Contribution]]:
    """The score and its explanation lines: every contribution with its integer points, plus
    explicit lines for a capped or floored sub-score and a capped total, so that the lines'
    points always sum exactly to the score."""
    scorer = Scorer(rules, now)
    raw: list[tuple[str, str, float, float, datetime | None]] = []
    res = scorer.score(lead, events, lambda g, r, v, b, w: raw.append((g, r, v, b, w)))
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
    return res, contributions
