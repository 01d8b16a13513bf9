"""`leadgate report <name>`: the numbers the Reports view draws, as text or JSON."""

from __future__ import annotations

import argparse
from datetime import date

from app.cli.core import (
    EXIT_USAGE,
    CliContext,
    CommandError,
    CommandRegistry,
    check_output_file,
    check_years,
    print_json,
)

REPORT_NAMES = [
    "overview",
    "funnel",
    "conversion",
    "velocity",
    "response-time",
    "sources",
    "team",
    "stalls",
    "qualification",
    "lead-to-opportunity",
    "time-to-assignment",
    "handoff-score",
    "sla",
    "routing-accuracy",
    "mql-sql",
    "pipeline-value",
    "cohorts",
    "trends",
]


def register(registry: CommandRegistry) -> None:
    p = registry.command("report", "owners' reports computed from the stage history", report)
    p.add_argument("name", choices=REPORT_NAMES, metavar="REPORT", help=" | ".join(REPORT_NAMES))
    p.add_argument("--from", dest="date_from", metavar="DATE", help="period start (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="period end, inclusive")
    p.add_argument(
        "--owner",
        action="append",
        default=[],
        metavar="U",
        help="owner e-mail, id or name (repeatable)",
    )
    p.add_argument("--source", metavar="S", help="lead source")
    p.add_argument("--event", metavar="E", help="event name")
    p.add_argument("--pipeline", type=int, metavar="ID", help="pipeline id (default pipeline)")
    p.add_argument(
        "--compare-from", metavar="DATE", help="cohorts: start of the period compared with"
    )
    p.add_argument("--compare-to", metavar="DATE", help="cohorts: its end, inclusive")
    p.add_argument("--csv", metavar="FILE", help="also write the report's table as CSV")
    p.add_argument("--json", action="store_true", help="print JSON")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"{option} '{value}' is not a date; use YYYY-MM-DD.", EXIT_USAGE
        ) from exc
    return check_years(day, option)


def report(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.models import Pipeline
    from app.services.auth import Actor
    from app.services.errors import NotFound
    from app.services.reports.api import run_report
    from app.services.reports.export import write_csv
    from app.services.reports.formatting import cell_text
    from app.services.reports.metrics import MetricsFilter
    from app.services.team.users import find_user

    date_from, date_to = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if date_from and date_to and date_from > date_to:
        raise CommandError("--from must not be after --to.", EXIT_USAGE)
    versus = None
    if args.compare_from or args.compare_to:
        cmp_from, cmp_to = (
            _day(args.compare_from, "--compare-from"),
            _day(args.compare_to, "--compare-to"),
        )
        if args.name != "cohorts" or cmp_from is None or cmp_to is None:
            raise CommandError(
                "--compare-from and --compare-to go together, with the cohorts report.", EXIT_USAGE
            )
        if cmp_from > cmp_to:
            raise CommandError("--compare-from must not be after --compare-to.", EXIT_USAGE)
        versus = (cmp_from, cmp_to)
    if args.csv:
        check_output_file(args.csv, "--csv")
    actor = ctx.actor(fallback=Actor.reader())  # reports are reads: no one in particular
    with ctx.store().session() as session:
        owner_ids = []
        for ref in args.owner:
            user = find_user(session, ref)
            if user is None:
                raise CommandError(f"No user '{ref}'. See `leadgate users list`.", EXIT_USAGE)
            owner_ids.append(user.id)
        if args.pipeline is not None and session.get(Pipeline, args.pipeline) is None:
            raise NotFound(f"No pipeline with id {args.pipeline}.")
    flt = MetricsFilter(
        date_from=date_from,
        date_to=date_to,
        pipeline_id=args.pipeline,
        owner_ids=tuple(owner_ids),
        source=args.source,
        event=args.event,
    )
    result = run_report(ctx.uow(), actor, flt, args.name, versus=versus).value
    if args.csv:
        headers, rows = result.table()
        write_csv(args.csv, headers, rows)
    if args.json:
        print_json({"report": args.name, "filter": flt.to_dict(), **result.to_dict()})
        return 0
    headers, table = result.table()
    rows = [[cell_text(v) for v in row] for row in table]
    print(result.title)
    print(f"Period: {flt.period_label()}")
    widths = [
        max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(headers)
    ]
    print("  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
    return 0
