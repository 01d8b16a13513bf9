from __future__ import annotations

import argparse

from app.cli.core import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand("users", "list", "list the team", list_users, "team commands")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("users", "add", "add a team member (managers and the owner)", add)
    p.add_argument("name")
    p.add_argument("email")
    p.add_argument("--role", default="rep", choices=["rep", "manager", "owner"])
    p.add_argument("--territory", default=None)
    p.add_argument("--capacity", type=int, default=50, help="open leads at most (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")


def add(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.team import api

    if args.capacity < 0:
        raise CommandError("--capacity must be 0 or more.", 2)
    user = api.add_user(
        ctx.uow(),
        ctx.actor(),
        name=args.name,
        email=args.email,
        role=args.role,
        territory=args.territory,
        capacity=args.capacity,
    ).value
    if args.json:
        print_json(user.to_dict())
    else:
        print(f"Added {user.name} <{user.email}> as {user.role} (id {user.id}).")
    return 0


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
