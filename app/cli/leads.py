from __future__ import annotations

import argparse

from app.cli.core import CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand("leads", "list", "list leads", list_leads, "lead commands")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=None, help="at most N leads")
    p.add_argument("--search", default="", help="text in name, company, e-mail or title")
    p.add_argument("--status", default=None, help="open, won, lost, disqualified or nurture")
    p.add_argument("--sort", default="captured_at", help="sort key (default captured_at)")
    p.add_argument("--asc", action="store_true", help="ascending order")
    p.add_argument(
        "--tier",
        action="append",
        choices=["Urgent", "High", "Medium", "Low"],
        help="only this tier (repeatable)",
    )
    p.add_argument("--owner", default=None, help="only leads of this user (e-mail, id or name)")
    p.add_argument("--unassigned", action="store_true", help="only leads without an owner")


def list_leads(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads.queries import SORT_KEYS, LeadFilter, LeadSort, list_leads

    if args.limit is not None and args.limit < 0:
        raise CommandError("--limit must be 0 or more.", 2)
    if args.sort not in SORT_KEYS:
        raise CommandError(f"Cannot sort by '{args.sort}'. Use one of: {', '.join(SORT_KEYS)}.", 2)
    if args.owner and args.unassigned:
        raise CommandError("Use --owner or --unassigned, not both.", 2)
    with ctx.store().session() as session:
        owner_id = None
        if args.owner:
            from app.services.team.users import find_user

            user = find_user(session, args.owner)
            if user is None:
                raise CommandError(f"No user matches '{args.owner}'.")
            owner_id = user.id
        flt = LeadFilter(
            text=args.search,
            status=args.status,
            tiers=tuple(args.tier or ()),
            owner_id=owner_id,
            unassigned=args.unassigned,
        )
        rows = list_leads(session, flt, LeadSort(args.sort, not args.asc), limit=args.limit)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        company = (r.company or "")[:24]
        print(
            f"{r.id:>7}  {r.score:>3} {r.tier or '-':<6}  {r.name[:28]:<28} {company:<24} "
            f"{r.stage or '':<24} {r.owner or '-'}"
        )
    return 0
