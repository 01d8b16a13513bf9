"""`leadgate score ...`, `leadgate route ...` and `leadgate leads contact ...`."""

from __future__ import annotations

import argparse

from app.cli.core import EXIT_USAGE, CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "score", "recompute", "rescore every lead (tier crossings go to history)", recompute
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("score", "explain", "show what a lead's score is made of", explain)
    p.add_argument("id", type=int, help="lead id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand(
        "score", "sources", "close rate by source (90 days) and suggested weights", sources
    )
    p.add_argument("--days", type=int, default=90, help="trailing days (default 90)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.command("route", "route leads to reps (owner and reason per lead)", route)
    p.add_argument("ids", type=int, nargs="*", metavar="ID", help="lead ids to (re-)route")
    p.add_argument("--unassigned", action="store_true", help="route every open unowned lead")
    p.add_argument(
        "--accuracy",
        action="store_true",
        help="only report routing accuracy (share of leads still with their first owner)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "leads", "contact", "log a touch now (the first one stops the countdown)", contact
    )
    p.add_argument("id", type=int, help="lead id")
    p.add_argument("--channel", required=True, choices=["call", "email", "linkedin"])
    p.add_argument("--by", default=None, help="user (e-mail, id or name); default the owner")
    p.add_argument("--note", default=None, help="a note for the activity")
    p.add_argument("--json", action="store_true", help="print JSON")


def recompute(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.scoring.core import rescore_leads
    from app.store.db import unit_of_work

    with unit_of_work(ctx.store().session_factory) as session:
        result = rescore_leads(session, ctx.clock)
    if args.json:
        print_json(result.to_dict())
    else:
        print(
            f"Scored {result.scored:,} leads: {result.changed:,} changed, "
            f"{result.tier_changes:,} changed tier."
        )
    return 0


def explain(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.scoring.core import explain as explain_lead

    with ctx.store().session() as session:
        result = explain_lead(session, ctx.clock, args.id)
    if result is None:
        raise CommandError(f"There is no lead with id {args.id}.")
    if args.json:
        print_json(result.to_dict())
        return 0
    subs = ", ".join(f"{k} {v}" for k, v in result.sub_scores.items())
    print(f"Lead {result.lead_id}: score {result.score} ({result.tier}) · {subs}")
    print(f"Required action: {result.action}")
    for c in result.contributions:
        when = f"  ({c.when:%Y-%m-%d})" if c.when else ""
        print(f"  {c.points:+4d}  {c.group:<9} {c.rule}{when}")
    return 0


def sources(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.scoring.core import source_quality

    with ctx.store().session() as session:
        rows = source_quality(session, ctx.clock, days=args.days)
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        print(
            f"{r.source:<16} closed {r.closed:>5}  won {r.won:>5}  rate {r.close_rate:6.1%}  "
            f"weight {r.weight:g} → suggested {r.suggested_weight:g}"
        )
    return 0


def route(ctx: CliContext, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.models import Lead
    from app.services.routing.core import route_leads, unassigned_lead_ids
    from app.store.db import unit_of_work

    if args.accuracy:
        from app.services.routing.core import routing_accuracy

        with ctx.store().session() as session:
            stats = routing_accuracy(session)
        if args.json:
            print_json(stats)
        else:
            share = f"{stats['accuracy']:.1%}" if stats["accuracy"] is not None else "–"
            print(
                f"{stats['kept_first_owner']:,} of {stats['routed']:,} routed leads kept "
                f"their first owner ({share})."
            )
        return 0
    if bool(args.ids) == bool(args.unassigned):
        raise CommandError("Give lead ids or --unassigned (one of the two).", EXIT_USAGE)
    with unit_of_work(ctx.store().session_factory) as session:
        if args.unassigned:
            ids = unassigned_lead_ids(session)
        else:
            found = set(session.scalars(select(Lead.id).where(Lead.id.in_(args.ids))))
            missing = [i for i in args.ids if i not in found]
            if missing:
                raise CommandError(f"No lead with id {', '.join(map(str, missing))}.")
            ids = list(args.ids)
        decisions = route_leads(session, ctx.clock, ids)
    if args.json:
        print_json([d.to_dict() for d in decisions])
        return 0
    for d in decisions:
        print(f"{d.lead_id:>7}  {d.owner or '(manager queue)':<20} {d.reason}")
    return 0


def contact(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.routing.core import log_contact
    from app.services.team.users import find_user
    from app.store.db import unit_of_work

    with unit_of_work(ctx.store().session_factory) as session:
        by = None
        if args.by:
            user = find_user(session, args.by)
            if user is None:
                raise CommandError(f"No user matches '{args.by}'.")
            by = user.id
        try:
            result = log_contact(session, ctx.clock, args.id, args.channel, by, note=args.note)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
    if args.json:
        print_json(result.to_dict())
    else:
        first = " (first contact)" if result.first_contact else ""
        print(f"Logged {result.channel} on lead {result.lead_id}{first}.")
    return 0
