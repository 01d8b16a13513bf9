"""`pipeline show`: the stages and their gates from a shell."""

from __future__ import annotations

import argparse

from app.cli.core import CliContext, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "pipeline",
        "show",
        "stages in order with their criteria",
        pipeline_show,
        "pipeline commands",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def pipeline_show(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.auth import Actor
    from app.services.pipeline import api

    # Reading needs no one to act as: the stages are the same for everyone.
    stages = api.pipeline_stages(ctx.uow(), Actor.system("leadgate pipeline show")).value
    if args.json:
        print_json([s.to_dict() for s in stages])
        return 0
    for s in stages:
        extra = f"  stale after {s.stale_hours} h" if s.stale_hours else ""
        print(f"{s.position + 1}. {s.name} ({s.kind}, {s.win_probability:.0%}){extra}")
        for c in s.criteria:
            print(f"     - {c['label']}")
    return 0
