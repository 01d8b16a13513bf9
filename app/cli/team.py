from __future__ import annotations

import argparse
import getpass

from app.cli.core import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "team",
        "grant",
        "give a member their own PostgreSQL login in a role (run as the database admin)",
        grant,
        "team database logins",
    )
    p.add_argument("email", metavar="EMAIL", help="the member's e-mail (add them first)")
    p.add_argument("--role", required=True, choices=["rep", "manager", "owner"])
    p.add_argument("--login", help="login name (default: the e-mail's local part)")
    p.add_argument(
        "--ask-password",
        action="store_true",
        help="prompt for the login's password (none: trust or peer authentication)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def grant(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.auth import Actor
    from app.services.team import api

    password = None
    if args.ask_password:
        password = getpass.getpass("Password for the new login: ")
        if password != getpass.getpass("Again: "):
            raise CommandError("The two passwords differ; nothing was changed.")
        if not password:
            raise CommandError("An empty password: nothing was changed.")
    actor = ctx.actor(fallback=Actor.system("database admin"))
    done = api.grant_login(
        ctx.uow(), actor, args.email, args.role, login=args.login, password=password
    ).value
    if args.json:
        print_json(done.to_dict())
    else:
        verb = "Created" if done.created else "Mapped"
        print(f"{verb} login {done.login} for {done.name} <{done.email}> as {done.role}.")
    return 0
