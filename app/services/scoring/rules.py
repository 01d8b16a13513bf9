"""The scoring rules: defaults, and loading, checking and saving the team's own.

The rules are data (a JSON document in the `settings` table under SETTINGS_KEY, merged over
DEFAULT_RULES), so a manager edits points, half-life and thresholds without a release.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Setting
from app.services import audit

SETTINGS_KEY = "scoring.rules"

DEFAULT_RULES: dict[str, Any] = {
    "half_life_days": 14.0,
    # Lowest score of each tier; anything below Medium is Low.
    "thresholds": {"Urgent": 80, "High": 60, "Medium": 40},
    # Required action per tier. The first-response window itself is the follow-up settings'
    # (timers/windows.py), the one definition the countdown, alerts and reports share.
    "actions": {
        "Urgent": {"action": "Contact within 5 minutes"},
        "High": {"action": "Contact the same business day"},
        "Medium": {"action": "Structured follow-up, first contact within 24 hours"},
        "Low": {"action": "Automated nurture"},
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
    audit.record(
        session,
        at=clock.now(),
        entity="settings",
        entity_id=None,
        action="scoring_rules_saved",
        user_id=by_user_id,
        data={"key": SETTINGS_KEY},
    )
