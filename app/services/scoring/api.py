"""The user actions on scoring: one function each, `(uow, actor, ...) -> Result`.

Each checks the actor's permission first (services/auth.py), does the work through the
session-level functions of this package in one unit of work, commits, and says what changed:
new rules rescore every lead, so they change `settings` and `all_leads`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError
from app.services.scoring.rescore import ProgressState, RescoreResult, rescore_leads
from app.services.scoring.rules import save_rules as _save_rules
from app.services.scoring.rules import validate_rules
from app.services.scoring.tuning import apply_source_weights as _apply_source_weights
from app.services.validation import finite_number
from app.store.uow import UnitOfWork

RULES_CHANGED = Changes(all_leads=True, settings=True)


MAX_RULE_NUMBER = 1_000_000.0


def _finite_numbers(path: str, value: Any) -> None:
    """Every number in the rules is finite and of a sane size (NaN would score every lead NaN)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _finite_numbers(f"{path}.{key}", item)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _finite_numbers(f"{path}[{i}]", item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        finite_number(path, value, -MAX_RULE_NUMBER, MAX_RULE_NUMBER)


def save_rules(
    uow: UnitOfWork,
    actor: Actor,
    rules: dict[str, Any],
    *,
    state: ProgressState | None = None,
) -> Result[RescoreResult]:
    """Save the team's scoring rules and rescore every lead under them, all or nothing."""
    with uow:
        require(actor, Perm.SCORING_EDIT)
        _finite_numbers("rules", rules)
        try:
            validate_rules(rules)
        except (KeyError, TypeError, ValueError) as exc:
            raise ActionError(_rules_error(exc)) from exc
        _save_rules(uow.session, uow.clock, rules, by_user_id=actor.user_id)
        uow.session.flush()
        result = rescore_leads(uow.session, uow.clock, None, state, rules=rules)
        uow.commit()
    return Result(result, RULES_CHANGED)


def rescore_all(
    uow: UnitOfWork, actor: Actor, *, state: ProgressState | None = None
) -> Result[RescoreResult]:
    """Rescore every lead under the rules in force (tier crossings go to each lead's history)."""
    with uow:
        require(actor, Perm.LEAD_RESCORE)
        result = rescore_leads(uow.session, uow.clock, None, state)
        uow.commit()
    return Result(result, Changes(all_leads=True))


def apply_source_weights(
    uow: UnitOfWork,
    actor: Actor,
    weights: Mapping[str, float],
    *,
    state: ProgressState | None = None,
) -> Result[RescoreResult]:
    """Accept source weights (e.g. the source-quality suggestions) and rescore under them."""
    with uow:
        require(actor, Perm.SCORING_EDIT)
        bad = [name for name, w in weights.items() if not 0 <= float(w) <= 100]
        if bad:
            raise ActionError(f"A source weight must be between 0 and 100 ({', '.join(bad)}).")
        rules = _apply_source_weights(
            uow.session, uow.clock, dict(weights), by_user_id=actor.user_id
        )
        uow.session.flush()
        result = rescore_leads(uow.session, uow.clock, None, state, rules=rules)
        uow.commit()
    return Result(result, RULES_CHANGED)


def _rules_error(exc: Exception) -> str:
    if isinstance(exc, ValueError):
        return str(exc)
    return f"The scoring rules are incomplete or malformed ({exc})."
