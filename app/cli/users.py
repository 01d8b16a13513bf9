from __future__ import annotations

import argparse
from typing import Any

from app.cli.core import EXIT_USAGE, CliContext, CommandError, CommandRegistry, print_json

ROLES = ["rep", "manager", "owner"]


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand("users", "list", "list the team", list_users, "team commands")
    p.add_argument("--all", action="store_true", help="deactivated members too")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("users", "add", "add a team member (managers and the owner)", add)
    p.add_argument("name_pos", nargs="?", metavar="NAME", help=argparse.SUPPRESS)
    p.add_argument("email_pos", nargs="?", metavar="EMAIL", help=argparse.SUPPRESS)
    p.add_argument("--name", help="full name")
    p.add_argument("--email", help="e-mail address (their identity)")
    p.add_argument("--role", default="rep", choices=ROLES)
    p.add_argument("--territory", default=None)
    p.add_argument("--capacity", type=int, default=50, help="open leads at most (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "users", "update", "change a team member (managers and the owner)", update
    )
    p.add_argument("user", metavar="USER", help="id, e-mail or name")
    p.add_argument("--name")
    p.add_argument("--email")
    p.add_argument("--role", choices=ROLES)
    p.add_argument("--territory", help="territory ('' to clear)")
    p.add_argument("--capacity", type=int, help="open leads at most (0: no limit)")
    p.add_argument("--timezone", help="IANA time zone, e.g. Europe/Berlin ('' to clear)")
    p.add_argument("--hours", help="working hours HH:MM-HH:MM ('' to clear)")
    p.add_argument(
        "--away",
        action="append",
        metavar="FROM:TO",
        help="out-of-office range YYYY-MM-DD:YYYY-MM-DD (repeat; replaces the ranges; "
        "--away '' clears them)",
    )
    p.add_argument("--available", choices=["yes", "no"], help="takes new leads or not")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "users", "deactivate", "deactivate a member, handing on their open leads", deactivate
    )
    p.add_argument("user", metavar="USER", help="id, e-mail or name")
    p.add_argument(
        "--leads-to",
        required=True,
        metavar="USER|pool",
        help="who takes their open leads and follow-ups: a member, or 'pool' (routing)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _user_id(ctx: CliContext, ref: str, what: str = "USER") -> int:
    from app.services.team.users import find_user

    with ctx.store().session() as session:
        user = find_user(session, ref)
    if user is None:
        raise CommandError(f"{what} {ref}: no team member with that e-mail, id or name.")
    return user.id


def add(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.team import api

    name = args.name or args.name_pos
    email = args.email or args.email_pos
    if not name or not email:
        raise CommandError("users add needs --name and --email.", EXIT_USAGE)
    if args.capacity < 0:
        raise CommandError("--capacity must be 0 or more.", EXIT_USAGE)
    user = api.add_user(
        ctx.uow(),
        ctx.actor(),
        name=name,
        email=email,
        role=args.role,
        territory=args.territory,
        capacity=args.capacity,
    ).value
    if args.json:
        print_json(user.to_dict())
    else:
        print(f"Added {user.name} <{user.email}> as {user.role} (id {user.id}).")
    return 0


def update(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.team import api

    changes: dict[str, Any] = {}
    for key in ("name", "email", "role", "capacity"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    for key, option in (
        ("territory", "territory"),
        ("timezone", "timezone"),
        ("hours", "work_hours"),
    ):
        if getattr(args, key) is not None:
            changes[option] = getattr(args, key)
    if args.available is not None:
        changes["available"] = args.available == "yes"
    if args.away is not None:
        changes["absences"] = [api.parse_absence(a) for a in args.away if a.strip()]
    if not changes:
        raise CommandError("users update: say what to change (see --help).", EXIT_USAGE)
    actor = ctx.actor()
    user = api.update_user(ctx.uow(), actor, _user_id(ctx, args.user), **changes).value
    if args.json:
        print_json(user.to_dict())
    else:
        print(f"Updated {user.name} <{user.email}> ({user.role}, id {user.id}).")
    return 0


def deactivate(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.team import api

    actor = ctx.actor()
    user_id = _user_id(ctx, args.user)
    target = None if args.leads_to.lower() == "pool" else _user_id(ctx, args.leads_to, "--leads-to")
    done = api.deactivate_user(ctx.uow(), actor, user_id, leads_to=target).value
    if args.json:
        print_json(done.to_dict())
    else:
        print(
            f"Deactivated {done.name}: {done.leads_moved} open leads and "
            f"{done.followups_moved} follow-ups went to {done.leads_to}."
        )
    return 0


def list_users(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.team import users

    with ctx.store().session() as session:
        team = users.list_users(session, include_inactive=args.all)
    if args.json:
        print_json([u.to_dict() for u in team])
        return 0
    for u in team:
        status = "" if u.available else " (unavailable)"
        status = status if u.active else " (deactivated)"
        print(f"{u.id:>4}  {u.name:<24} {u.email:<36} {u.role:<8} {u.territory or '':<16}{status}")
    return 0
