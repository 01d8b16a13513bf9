from __future__ import annotations

import argparse

from app.cli import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand("leads", "list", "list leads", list_leads, "lead commands")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=None, help="at most N leads")
    p.add_argument("--search", default="", help="text in name, company, e-mail or title")
    p.add_argument("--status", default=None, help="open, won, lost, disqualified or nurture")
    p.add_argument("--sort", default="captured_at", help="sort key (default captured_at)")
    p.add_argument("--asc", action="store_true", help="ascending order")


def list_leads(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads import SORT_KEYS, LeadFilter, LeadSort, list_leads

    if args.limit is not None and args.limit < 0:
        raise CommandError("--limit must be 0 or more.", 2)
    if args.sort not in SORT_KEYS:
        raise CommandError(f"Cannot sort by '{args.sort}'. Use one of: {', '.join(SORT_KEYS)}.", 2)
    flt = LeadFilter(text=args.search, status=args.status)
    with ctx.store().session() as session:
        rows = list_leads(session, flt, LeadSort(args.sort, not args.asc), limit=args.limit)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        company = (r.company or "")[:24]
        print(f"{r.id:>7}  {r.name[:28]:<28} {company:<24} {r.stage or '':<24} {r.owner or '-'}")
    return 0
