"""The routing set-up as one document (territories, ordered rules, the round-robin pool), read
and replaced whole by the Routing page and `leadgate routing show|set`, and a preview of where
recent leads would go under a draft of it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Account, Lead, Role, RoutingRule, Setting, User
from app.services.routing.core import (
    DEFAULT_TERRITORIES,
    POOL_KEY,
    TERRITORIES_KEY,
    active_rules,
    rep_states,
    round_robin_pool,
    territories,
)
from app.services.routing.engine import (
    DEAL_VALUE_CONDITIONS,
    RouteFacts,
    RoutingEngine,
    RuleSpec,
)

# Rule conditions: lists match any value (case-insensitive); the headcount bounds are whole
# numbers; the deal-value bounds are amounts (a lead without a deal value meets neither).
LIST_CONDITIONS = ("country", "territory", "tier", "source", "industry", "product")
NUMBER_CONDITIONS = ("min_headcount", "max_headcount")
AMOUNT_CONDITIONS = DEAL_VALUE_CONDITIONS
# Deal values are Numeric(14, 2): a bound beyond that could never be met.
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class RuleDoc:
    name: str
    conditions: dict[str, Any]
    target_user_id: int | None = None
    target_pool: list[int] | None = None
    active: bool = True

    def sentence(self, names: Mapping[int, str]) -> str:
        """'Country in Germany, Austria and tier Urgent -> Jonas' (the Routing page's row)."""
        parts = []
        for key in LIST_CONDITIONS:
            if key in self.conditions:
                values = self.conditions[key]
                values = values if isinstance(values, list) else [values]
                parts.append(f"{key} in {', '.join(map(str, values))}")
        if "min_headcount" in self.conditions:
            parts.append(f"headcount ≥ {self.conditions['min_headcount']}")
        if "max_headcount" in self.conditions:
            parts.append(f"headcount ≤ {self.conditions['max_headcount']}")
        if "min_deal_value" in self.conditions:
            parts.append(f"deal value ≥ {amount_text(self.conditions['min_deal_value'])}")
        if "max_deal_value" in self.conditions:
            parts.append(f"deal value ≤ {amount_text(self.conditions['max_deal_value'])}")
        when = " and ".join(parts)
        # Upper-case the first letter only: the values keep their case ("Territory in DACH").
        when = when[:1].upper() + when[1:] if when else "Any lead"
        if self.target_user_id is not None:
            to = names.get(self.target_user_id, f"#{self.target_user_id}")
        else:
            to = "pool of " + ", ".join(names.get(i, f"#{i}") for i in self.target_pool or [])
        return f"{when} → {to}"


@dataclass(frozen=True)
class RoutingConfig:
    territories: dict[str, str]
    rules: list[RuleDoc]
    pool: list[int] | None = None  # None: every rep
    names: dict[int, str] = field(default_factory=dict)  # for display; not saved
    reps: frozenset[int] = frozenset()  # active reps: the pool when none is chosen

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("names")
        data.pop("reps")
        return data


def load_config(session: Session) -> RoutingConfig:
    rules = [
        RuleDoc(
            r.name,
            dict(r.conditions or {}),
            r.target_user_id,
            [int(x) for x in r.target_pool] if r.target_pool else None,
            bool(r.active),
        )
        for r in session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id))
    ]
    names, reps = {}, set()
    for uid, name, role, active in session.execute(
        select(User.id, User.name, User.role, User.active)
    ):
        names[int(uid)] = str(name)
        if role == Role.REP and active is not False:
            reps.add(int(uid))
    return RoutingConfig(
        territories(session), rules, round_robin_pool(session), names, frozenset(reps)
    )


def parse_config(data: Mapping[str, Any], members: Mapping[int, bool]) -> RoutingConfig:
    """A config from its JSON shape; ValueError with one sentence when it cannot work.
    `members` maps user id -> active."""
    if not isinstance(data, Mapping):
        raise ValueError("The routing set-up must be a JSON object.")
    terr = data.get("territories", DEFAULT_TERRITORIES)
    if not isinstance(terr, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip()
        for k, v in terr.items()
    ):
        raise ValueError("territories: map each country to a territory name.")

    def member(uid: Any, where: str) -> int:
        if isinstance(uid, bool) or not isinstance(uid, int) or uid not in members:
            raise ValueError(f"{where}: {uid!r} is no team member id.")
        if not members[uid]:
            raise ValueError(f"{where}: member {uid} is deactivated.")
        return uid

    rules = []
    for n, raw in enumerate(data.get("rules", []), start=1):
        where = f"rule {n}"
        if not isinstance(raw, Mapping) or not str(raw.get("name", "")).strip():
            raise ValueError(f"{where}: give it a name.")
        cond = raw.get("conditions", {})
        if not isinstance(cond, Mapping):
            raise ValueError(f"{where}: conditions must be an object.")
        known = LIST_CONDITIONS + NUMBER_CONDITIONS + AMOUNT_CONDITIONS
        unknown = set(cond) - set(known)
        if unknown:
            raise ValueError(
                f"{where}: unknown condition {', '.join(sorted(unknown))} (use {', '.join(known)})."
            )
        for key in NUMBER_CONDITIONS:
            if key in cond and (isinstance(cond[key], bool) or not isinstance(cond[key], int)
                                or cond[key] < 0):  # fmt: skip
                raise ValueError(f"{where}: {key} must be a whole number, 0 or more.")
        for key in AMOUNT_CONDITIONS:
            if key in cond and not _is_amount(cond[key]):
                raise ValueError(
                    f"{where}: {key} must be an amount from 0 to {MAX_AMOUNT:,}, at most "
                    f"two decimals (such as 25000 or 25000.50)."
                )
        for low, high, what in (
            ("min_headcount", "max_headcount", "headcount"),
            ("min_deal_value", "max_deal_value", "deal value"),
        ):
            if low in cond and high in cond and cond[low] > cond[high]:
                raise ValueError(
                    f"{where}: the minimum {what} ({amount_text(cond[low])}) is above the "
                    f"maximum ({amount_text(cond[high])})."
                )
        target = raw.get("target_user_id")
        pool = raw.get("target_pool")
        if (target is None) == (not pool):
            raise ValueError(f"{where}: send it to one member (target_user_id) or a pool.")
        rules.append(
            RuleDoc(
                str(raw["name"]).strip(),
                dict(cond),
                member(target, where) if target is not None else None,
                [member(u, where) for u in pool] if pool else None,
                bool(raw.get("active", True)),
            )
        )
    pool = data.get("pool")
    chosen = [member(u, "pool") for u in pool] if pool else None
    return RoutingConfig({k.strip(): v.strip() for k, v in terr.items()}, rules, chosen)


def _is_amount(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= MAX_AMOUNT
        and round(value, 2) == value
    )


def amount_text(value: Any) -> str:
    """25000 -> '25,000'; 1999.5 -> '1,999.50' (a rule's sentence)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


@dataclass(frozen=True)
class PreviewRow:
    lead_id: int
    lead: str
    owner_now: str | None
    owner_then: str | None
    reason: str
    changed: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview(
    session: Session, config: RoutingConfig | None, today: date, limit: int = 50
) -> list[PreviewRow]:
    """Where the `limit` most recent leads would go under `config` (None: as saved), each
    routed as if new, in arrival order; `changed` where that is not their owner now."""
    rows = session.execute(
        select(
            Lead.id, Lead.display_name, Lead.owner_id, Account.owner_id,
            func.coalesce(Account.company, Lead.company), Lead.country, Lead.tier, Lead.source,
            Lead.industry, Lead.headcount,
            func.coalesce(
                Lead.qualifiers["product_interest"].as_string(),
                Lead.qualifiers["interest"].as_string(),
            ),
            Lead.status, Lead.deal_value,
        )
        .outerjoin(Account, Account.id == Lead.account_id)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(limit)
    ).all()  # fmt: skip
    reps = rep_states(session, today)
    names = {int(i): str(n) for i, n in session.execute(select(User.id, User.name))}
    if config is None:
        engine = RoutingEngine(
            reps, active_rules(session), territories(session), round_robin_pool(session)
        )
    else:
        specs = [
            RuleSpec(r.name, r.conditions, r.target_user_id, r.target_pool)
            for r in config.rules
            if r.active
        ]
        engine = RoutingEngine(reps, specs, config.territories, config.pool)
    out = []
    for r in reversed(rows):  # oldest first, as they arrived
        facts = RouteFacts(
            r[0], None, None, r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12]
        )
        d = engine.decide(facts)
        out.append(
            PreviewRow(
                r[0],
                str(r[1] or f"Lead {r[0]}"),
                names.get(r[2]) if r[2] is not None else None,
                d.owner,
                d.reason,
                d.owner_id != r[2],
            )
        )
    return list(reversed(out))  # newest first, as the table shows them


def members(session: Session) -> dict[int, bool]:
    return {int(i): a is not False for i, a in session.execute(select(User.id, User.active))}


def save_config(session: Session, config: RoutingConfig, now: Any) -> None:
    """Replace the rules, territories and pool (the caller checks rights and commits)."""
    for old in session.scalars(select(RoutingRule)):
        session.delete(old)
    session.flush()
    for position, rule in enumerate(config.rules):
        session.add(
            RoutingRule(
                position=position,
                name=rule.name,
                active=rule.active,
                conditions=rule.conditions,
                target_user_id=rule.target_user_id,
                target_pool=rule.target_pool,
            )
        )
    for key, value in ((TERRITORIES_KEY, config.territories), (POOL_KEY, config.pool or [])):
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value, updated_at=now))
        else:
            row.value = value
            row.updated_at = now
    session.flush()


def parse_sequence(values: Sequence[str]) -> dict[str, str]:
    """['Germany=DACH', ...] -> {'Germany': 'DACH'}; ValueError on a malformed pair."""
    out = {}
    for text in values:
        country, sep, territory = text.partition("=")
        if not sep or not country.strip() or not territory.strip():
            raise ValueError(f"--territory {text}: give it as COUNTRY=TERRITORY.")
        out[country.strip()] = territory.strip()
    return out
