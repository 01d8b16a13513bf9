"""`leadgate settings show|set`: the lifecycle settings (response windows, working hours,
timer thresholds, stale limits per stage) over the settings service."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.core import EXIT_USAGE, CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "settings",
        "show",
        "show every lifecycle setting as KEY VALUE",
        settings_show,
        "lifecycle settings: response windows, working hours, stale limits",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand(
        "settings",
        "set",
        "change settings (managers and the owner), all or nothing",
        settings_set,
    )
    p.add_argument(
        "pairs",
        nargs="+",
        metavar="KEY=VALUE",
        help="e.g. sla_minutes.Urgent=10 work_timezone=Europe/Berlin stale_hours.New=24",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _print(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        print(f"{key:<36} {'none' if value is None else value}")


def settings_show(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.auth import Actor
    from app.services.settings import api

    actor = ctx.actor(fallback=Actor.reader())  # a read: no one in particular
    _print(api.show_settings(ctx.uow(), actor).value, args.json)
    return 0


def settings_set(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.settings import api

    pairs: dict[str, str] = {}
    for text in args.pairs:
        key, sep, raw = text.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"'{text}': write KEY=VALUE (e.g. dormant_days=45).", EXIT_USAGE)
        pairs[key.strip()] = raw
    _print(api.set_settings(ctx.uow(), ctx.actor(), pairs).value, args.json)
    return 0
