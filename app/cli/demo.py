from __future__ import annotations

import argparse
import sys

from app.cli.core import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.command("demo", "fill the store with a demo team, accounts and leads", demo)
    p.add_argument("--leads", type=int, default=2000, help="number of leads (default 2000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--accounts", type=int, default=300, help="number of accounts (default 300)")
    p.add_argument("--json", action="store_true", help="print JSON")


def demo(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.demo import generator as demo_service
    from app.store.db import unit_of_work

    if args.leads < 0 or args.accounts < 1:
        raise CommandError("--leads must be 0 or more and --accounts at least 1.", 2)
    store = ctx.store()

    def progress(done: int, total: int) -> None:
        if not args.json and total >= 20000:
            print(f"  {done:,} / {total:,} leads", file=sys.stderr)

    with unit_of_work(store.session_factory) as session:
        result = demo_service.generate(
            session,
            ctx.clock,
            leads=args.leads,
            seed=args.seed,
            accounts=args.accounts,
            progress=progress,
        )
    if args.json:
        print_json(result.to_dict())
    else:
        print(
            f"Demo data added: {result.leads:,} leads, {result.accounts:,} accounts, "
            f"{result.transitions:,} stage changes, {result.activities:,} activities."
        )
    return 0
