"""`accounts list|show`: the companies leads belong to, their owner, leads and history."""

from __future__ import annotations

import argparse

from app.cli.core import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "accounts", "list", "accounts with owner and lead counts", list_cmd, "account commands"
    )
    p.add_argument("--search", default="", help="text in the company name or domain")
    p.add_argument("--limit", type=int, default=None, help="at most N accounts")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("accounts", "show", "an account, its leads and history", show_cmd)
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true", help="print JSON")


def list_cmd(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.accounts.core import list_accounts

    if args.limit is not None and args.limit < 0:
        raise CommandError("--limit must be 0 or more.", 2)
    with ctx.store().session() as session:
        rows = list_accounts(session, args.search, args.limit)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        print(
            f"{r.id:>6}  {r.company[:32]:<32} {(r.domain or '-')[:24]:<24} "
            f"{r.open_leads:>4} open / {r.leads:<4} {r.owner or '-'}"
        )
    return 0


def show_cmd(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.accounts.core import account_detail

    with ctx.store().session() as session:
        detail = account_detail(session, args.id)
    if detail is None:
        raise CommandError(f"There is no account {args.id}.", 1)
    if args.json:
        print_json(detail.to_dict())
        return 0
    a = detail.account
    print(f"{a.id}  {a.company}  ({a.domain or 'no domain'})  owner: {a.owner or '-'}")
    for lead in detail.leads:
        print(f"  lead {lead['id']:>6}  {lead['name'][:32]:<32} {lead['status']:<12} "
              f"{lead['owner'] or '-'}")  # fmt: skip
    for h in detail.history[:20]:
        print(f"  {(h['at'] or '')[:16]}  {h['lead']}: {h['kind']}")
    return 0
