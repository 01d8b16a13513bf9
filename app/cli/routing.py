from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.core import EXIT_USAGE, CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "routing", "show", "territories, ordered rules and the round-robin pool", show,
        "routing set-up",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print JSON (the shape `set` takes)")

    p = registry.subcommand(
        "routing", "set", "change the routing set-up (managers and the owner)", set_cmd
    )
    p.add_argument("--file", type=Path, help="a whole set-up as JSON (`routing show --json`)")
    p.add_argument(
        "--territory", action="append", default=[], metavar="COUNTRY=TERRITORY",
        help="map a country to a territory (repeat; '--territory Germany=' is refused)",
    )  # fmt: skip
    p.add_argument("--pool", metavar="USER,USER|reps", help="the round-robin pool ('reps': all)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "routing", "preview", "where the last leads would go under the saved set-up", preview
    )
    p.add_argument("--file", type=Path, help="preview this draft set-up instead (JSON)")
    p.add_argument("--limit", type=int, default=50, help="how many recent leads (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _print_config(config: Any, as_json: bool) -> None:
    if as_json:
        print_json(config.to_dict())
        return
    print("Rules, in order:")
    for n, rule in enumerate(config.rules, start=1):
        off = "" if rule.active else "  (off)"
        print(f"  {n}. {rule.name}: {rule.sentence(config.names)}{off}")
    if not config.rules:
        print("  (none: round-robin for every lead)")
    pool = config.pool
    print(
        "Round-robin pool:",
        ", ".join(config.names.get(i, str(i)) for i in pool) if pool else "every rep",
    )
    print("Territories:")
    for country, territory in sorted(config.territories.items()):
        print(f"  {country:<20} {territory}")


def show(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.routing.config import load_config

    with ctx.store().session() as session:
        config = load_config(session)
    _print_config(config, args.json)
    return 0


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"--file {path}: {exc.strerror or exc}.") from None
    except json.JSONDecodeError as exc:
        raise CommandError(f"--file {path}: not JSON ({exc.msg}, line {exc.lineno}).") from None
    if not isinstance(data, dict):
        raise CommandError(f"--file {path}: the set-up must be a JSON object.")
    return data


def set_cmd(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.routing import api
    from app.services.routing.config import load_config, parse_sequence
    from app.services.team.users import find_user

    if not (args.file or args.territory or args.pool):
        raise CommandError("routing set: give --file, --territory or --pool.", EXIT_USAGE)
    actor = ctx.actor()
    with ctx.store().session() as session:
        data = _read_file(args.file) if args.file else load_config(session).to_dict()
        try:
            data["territories"] = {**data.get("territories", {}), **parse_sequence(args.territory)}
        except ValueError as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
        if args.pool:
            if args.pool.strip().lower() == "reps":
                data["pool"] = None
            else:
                ids = []
                for ref in args.pool.split(","):
                    user = find_user(session, ref)
                    if user is None:
                        raise CommandError(
                            f"--pool {ref}: no team member with that e-mail, id or name."
                        )
                    ids.append(user.id)
                data["pool"] = ids
    config = api.set_routing(ctx.uow(), actor, data).value
    _print_config(config, args.json)
    return 0


def preview(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.routing.config import members, parse_config
    from app.services.routing.config import preview as run_preview

    if args.limit < 1:
        raise CommandError("--limit must be 1 or more.", EXIT_USAGE)
    with ctx.store().session() as session:
        draft = None
        if args.file:
            try:
                draft = parse_config(_read_file(args.file), members(session))
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        rows = run_preview(session, draft, ctx.clock.now().date(), args.limit)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        mark = "*" if r.changed else " "
        now, then = r.owner_now or "—", r.owner_then or "queue"
        print(f"{mark} {r.lead_id:>7}  {r.lead[:28]:<28} {now:<20} -> {then}")
    print(f"{sum(r.changed for r in rows)} of {len(rows)} would change owner.")
    return 0
