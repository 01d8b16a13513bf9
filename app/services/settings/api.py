"""The team's lifecycle settings as one list of KEY=VALUE pairs (`leadgate settings`).

Two stores behind one view: the follow-up settings row (response windows per tier, working
hours and time zones, timer thresholds; followups/settings.py) and each open stage's stale
limit (`stale_hours.<Stage>`: New 24 h and mid-funnel 48 h by default). Setting several keys
is all or nothing: every value is checked before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

from sqlalchemy import select

from app.models import Stage, StageKind
from app.services.auth import Actor, Perm, require
from app.services.changes import Changes, Result
from app.services.errors import ActionError
from app.services.followups import settings as cfg
from app.store.uow import UnitOfWork

STALE = "stale_hours"
_LISTS = ("same_day_tiers", "work_days")
_DICTS = ("sla_minutes",)


def _flat(settings: cfg.FollowupSettings, stale: dict[str, int | None]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.to_dict().items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
            if not value:
                out[key] = {}
        else:
            out[key] = value
    out.update({f"{STALE}.{name}": hours for name, hours in stale.items()})
    return out


def _stages(uow: UnitOfWork) -> list[Stage]:
    return list(
        uow.session.scalars(
            select(Stage)
            .where(Stage.kind == StageKind.OPEN)
            .order_by(Stage.pipeline_id, Stage.position)
        )
    )


def _stale(stages: list[Stage]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for stage in stages:
        out.setdefault(stage.name, stage.stale_hours)
    return out


def show_settings(uow: UnitOfWork, actor: Actor) -> Result[dict[str, Any]]:
    """Every lifecycle setting, flattened (sla_minutes.Urgent, stale_hours.New...)."""
    with uow:
        require(actor, Perm.LEAD_VIEW)
        value = _flat(cfg.load_settings(uow.session), _stale(_stages(uow)))
    return Result(value, Changes())


def _parse(key: str, raw: str) -> Any:
    """A value as typed on the command line: JSON when it parses (numbers, lists), comma
    lists for list settings, else the text."""
    text = raw.strip()
    if key in _LISTS:
        items = [p.strip() for p in text.strip("[]").split(",") if p.strip()]
        return [int(p) if p.lstrip("-").isdigit() else p.strip("\"'") for p in items]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _stale_value(key: str, raw: str) -> int | None:
    text = raw.strip().lower()
    if text in ("none", "off", ""):
        return None
    if not text.isdigit():
        raise ActionError(f"{key}={raw}: the stale limit is whole hours (or 'none').")
    return int(text)


def set_settings(uow: UnitOfWork, actor: Actor, pairs: dict[str, str]) -> Result[dict[str, Any]]:
    """Change settings by KEY=VALUE (managers and the owner); all or nothing."""
    if not pairs:
        raise ActionError("Nothing to set: give KEY=VALUE pairs (see `leadgate settings show`).")
    with uow:
        require(actor, Perm.SETTINGS_EDIT)
        known = {f.name for f in fields(cfg.FollowupSettings)}
        stages = _stages(uow)
        names = {s.name.lower(): s.name for s in stages}
        changes: dict[str, Any] = {}
        stale: dict[str, int | None] = {}
        current = cfg.load_settings(uow.session)
        for key, raw in pairs.items():
            outer, _, inner = key.partition(".")
            if outer == STALE:
                if inner.lower() not in names:
                    raise ActionError(
                        f"{key}: no open stage '{inner}'; stages: {', '.join(names.values())}."
                    )
                stale[names[inner.lower()]] = _stale_value(key, raw)
            elif outer in _DICTS and inner:
                base = dict(changes.get(outer) or getattr(current, outer))
                base[inner] = _parse(key, raw)
                changes[outer] = base
            elif key in known and key not in _DICTS:
                changes[key] = _parse(key, raw)
            else:
                raise ActionError(f"Unknown setting '{key}'; see `leadgate settings show`.")
        merged = {**current.to_dict(), **changes}
        problem = cfg.invalid_settings({k: merged[k] for k in changes}) or (
            cfg.invalid_settings({k: merged[k] for k in ("work_start_hour", "work_end_hour")})
        )
        if problem:
            raise ActionError(problem)
        saved = cfg.save_settings(uow.session, uow.clock.now(), **changes) if changes else current
        for stage in stages:
            if stage.name in stale:
                stage.stale_hours = stale[stage.name]
        uow.session.flush()
        value = _flat(saved, _stale(stages))
        uow.commit()
    return Result(value, Changes(settings=True, all_leads=bool(stale)))
