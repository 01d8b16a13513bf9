from __future__ import annotations

import argparse

from app.cli.core import CliContext, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand("users", "list", "list the team", list_users, "team commands")
    p.add_argument("--json", action="store_true", help="print JSON")


def list_users(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.team import users

    with ctx.store().session() as session:
        team = users.list_users(session)
    if args.json:
        print_json([u.to_dict() for u in team])
        return 0
    for u in team:
        status = "" if u.available else " (unavailable)"
        print(f"{u.id:>4}  {u.name:<24} {u.email:<36} {u.role:<8} {u.territory or '':<16}{status}")
    return 0
