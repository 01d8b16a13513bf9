from __future__ import annotations

import argparse
import sys

from app.cli.core import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.command(
        "demo",
        "fill the store with a demo team, accounts and leads; an empty store needs no --as, "
        "one that already has a team only the owner's (--as EMAIL)",
        demo,
    )
    p.add_argument("--leads", type=int, default=2000, help="number of leads (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--accounts", type=int, default=300, help="number of accounts (default 300)")
    p.add_argument("--json", action="store_true", help="print JSON")


def demo(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.demo import api

    if args.leads < 0 or args.accounts < 1:
        raise CommandError("--leads must be 0 or more and --accounts at least 1.", 2)

    def progress(done: int, total: int) -> None:
        if not args.json and total >= 20000:
            print(f"  {done:,} / {total:,} leads", file=sys.stderr)

    ctx.create_store = True  # sample data may start a new local store
    # An empty store has no one to act as: anyone may fill it (the team is made here).
    actor = ctx.actor() if api.has_team(ctx.uow()) else None
    result = api.build_demo(
        ctx.uow(),
        actor,
        leads=args.leads,
        seed=args.seed,
        accounts=args.accounts,
        progress=progress,
    ).value
    if args.json:
        print_json(result.to_dict())
    else:
        print(
            f"Demo data added: {result.leads:,} leads, {result.accounts:,} accounts, "
            f"{result.transitions:,} stage changes, {result.activities:,} activities."
        )
    return 0
