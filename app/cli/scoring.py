"""`leadgate score ...`, `leadgate route ...`, `leadgate leads assign ...` and `leads contact`.

Writing commands act as `ctx.actor()` (global `--as`) through the API functions."""

from __future__ import annotations

import argparse
from typing import Any

from app.cli.core import EXIT_USAGE, CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "score",
        "recompute",
        "rescore every lead (tier crossings go to history); a manager or the owner",
        recompute,
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("score", "explain", "show what a lead's score is made of", explain)
    p.add_argument("id", type=int, help="lead id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand(
        "score", "sources", "close rate by source (90 days) and suggested weights", sources
    )
    p.add_argument("--days", type=int, default=90, help="trailing days (default 90)")
    p.add_argument(
        "--apply",
        action="store_true",
        help="save the suggested weights into the rules and rescore (a manager or the owner)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.command(
        "route", "route leads to reps (owner and reason per lead); a manager or the owner", route
    )
    p.add_argument("ids", type=int, nargs="*", metavar="ID", help="lead ids to (re-)route")
    p.add_argument("--unassigned", action="store_true", help="route every open unowned lead")
    p.add_argument(
        "--accuracy",
        action="store_true",
        help="only report routing accuracy (share of leads still with their first owner)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def recompute(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.scoring import api

    result = api.rescore_all(ctx.uow(), ctx.actor()).value
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
    from app.services.scoring import api
    from app.services.scoring.tuning import source_quality

    if args.days < 1:
        raise CommandError("--days must be at least 1.", EXIT_USAGE)
    actor = ctx.actor() if args.apply else None  # who applies them, before any work
    with ctx.store().session() as session:
        rows = source_quality(session, ctx.clock, days=args.days)
    applied = None
    if actor is not None:
        weights = {r.source: r.suggested_weight for r in rows}
        if not weights:
            raise CommandError(f"No lead closed in the last {args.days} days: nothing to apply.")
        applied = api.apply_source_weights(ctx.uow(), actor, weights).value
    if args.json:
        data: Any = [r.to_dict() for r in rows]
        print_json({"sources": data, "rescored": applied.to_dict()} if applied else data)
        return 0
    for r in rows:
        print(
            f"{r.source:<16} closed {r.closed:>5}  won {r.won:>5}  rate {r.close_rate:6.1%}  "
            f"weight {r.weight:g} → suggested {r.suggested_weight:g}"
        )
    if applied is not None:
        print(
            f"Applied the suggested weights: {applied.changed:,} leads rescored, "
            f"{applied.tier_changes:,} changed tier."
        )
    return 0


def route(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.routing import api
    from app.services.routing.core import routing_accuracy

    if args.accuracy:
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
    if args.unassigned:
        decisions = api.route_unassigned(ctx.uow(), ctx.actor()).value
    else:
        decisions = api.route_leads(ctx.uow(), ctx.actor(), args.ids).value
    if args.json:
        print_json([d.to_dict() for d in decisions])
        return 0
    for d in decisions:
        print(f"{d.lead_id:>7}  {d.owner or '(manager queue)':<20} {d.reason}")
    return 0
