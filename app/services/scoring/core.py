"""Explainable lead scoring (kept importable: the names other areas import live on here).

The package has one job per module:
  rules.py    the rules: defaults, load / validate / save
  engine.py   pure scoring: facts + rules -> sub-scores, score, tier, explanation lines
  rescore.py  rescoring stored leads in bulk (rescore_leads, refresh_decay, NewLeadScorer)
  explain.py  what a stored lead's score is made of now
  tuning.py   preview a rules change, source quality and suggested source weights
  api.py      the user actions (save rules, rescore everything, apply source weights)
"""

from __future__ import annotations

from app.services.scoring.engine import (
    EVENT_WORDS,
    GROUPS,
    ROLE_WORDS,
    TIER_ORDER,
    Collect,
    Contribution,
    EventFact,
    LeadFacts,
    Scorer,
    ScoreResult,
    _largest_remainder,
    explain_facts,
    tier_action,
    tier_for,
)
from app.services.scoring.explain import Explanation, explain
from app.services.scoring.rescore import (
    NewLeadScorer,
    ProgressState,
    RescoreResult,
    refresh_decay,
    rescore_leads,
    score_lead,
)
from app.services.scoring.rules import (
    DEFAULT_RULES,
    SETTINGS_KEY,
    _merge,
    default_rules,
    load_rules,
    save_rules,
    validate_rules,
)
from app.services.scoring.tuning import (
    SourceQuality,
    TierPreview,
    apply_source_weights,
    preview_rules,
    source_quality,
)

_Scorer = Scorer  # the old private name

__all__ = [
    "DEFAULT_RULES",
    "EVENT_WORDS",
    "GROUPS",
    "ROLE_WORDS",
    "SETTINGS_KEY",
    "TIER_ORDER",
    "Collect",
    "Contribution",
    "EventFact",
    "Explanation",
    "LeadFacts",
    "NewLeadScorer",
    "ProgressState",
    "RescoreResult",
    "ScoreResult",
    "Scorer",
    "SourceQuality",
    "TierPreview",
    "_Scorer",
    "_largest_remainder",
    "_merge",
    "apply_source_weights",
    "default_rules",
    "explain",
    "explain_facts",
    "load_rules",
    "preview_rules",
    "refresh_decay",
    "rescore_leads",
    "save_rules",
    "score_lead",
    "source_quality",
    "tier_action",
    "tier_for",
    "validate_rules",
]
