"""`leadgate import FILE`, `leadgate imports undo BATCH_ID`, `leadgate imports list`,
`leadgate export leads FILE.csv`: each calls one function of app.services.importing.api as
the acting user (`--as`).

The module is not called import.py: `import` is a Python keyword.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.core import (
    EXIT_USAGE,
    CliContext,
    CommandError,
    CommandRegistry,
    check_output_file,
    check_years,
    print_json,
)
from app.services.importing.results import DEFAULT_SOURCE

if TYPE_CHECKING:
    from app.services.importing import ImportResult


def register(registry: CommandRegistry) -> None:
    p = registry.command(
        "import", "import an event badge-scan file (CSV, TSV/TXT, XLSX)", import_file
    )
    p.add_argument("file", metavar="FILE", type=Path, help="the file to import")
    p.add_argument("--preset", help="apply the saved column-mapping preset NAME")
    p.add_argument("--save-preset", metavar="NAME", help="save the mapping used as preset NAME")
    p.add_argument("--source", default=DEFAULT_SOURCE, help="lead source (default: %(default)s)")
    p.add_argument("--event", help="event name, e.g. 'Web Summit 2026'")
    p.add_argument("--event-date", type=date.fromisoformat, help="event date (YYYY-MM-DD)")
    p.add_argument("--owner", help="give every new lead to this user (e-mail, id or name)")
    p.add_argument("--no-route", action="store_true", help="leave new leads unassigned")
    p.add_argument("--tag", action="append", default=[], help="tag new leads (repeatable)")
    p.add_argument("--encoding", help="override the detected encoding")
    p.add_argument("--delimiter", help="override the detected delimiter (, ; tab |)")
    p.add_argument("--header-row", type=int, help="override the header row (1-based)")
    p.add_argument("--sheet", help="XLSX: the sheet to read (default: the first)")
    p.add_argument("--region", help="default phone region for numbers without +, e.g. DE")
    p.add_argument("--error-file", type=Path, help="where to write rejected rows")
    p.add_argument("--dry-run", action="store_true", help="check everything, change nothing")
    p.add_argument("--json", action="store_true", help="print JSON")

    u = registry.subcommand("imports", "undo", "undo an import batch (manager or owner)",
                            undo, "import batches: list, undo")  # fmt: skip
    u.add_argument("batch_id", metavar="BATCH_ID", type=int, help="the import batch to undo")
    u.add_argument("--json", action="store_true", help="print JSON")
    ls = registry.subcommand("imports", "list", "the latest import batches", list_imports)
    ls.add_argument("--limit", type=int, default=50, help="how many (default: %(default)s)")
    ls.add_argument("--json", action="store_true", help="print JSON")

    e = registry.subcommand("export", "leads", "export leads to a formula-safe CSV",
                            export_leads, "export commands")  # fmt: skip
    e.add_argument("file", metavar="FILE", type=Path, help="the CSV file to write")
    e.add_argument("--json", action="store_true", help="print JSON")


def _delimiter(value: str | None) -> str | None:
    if value is None:
        return None
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    value = named.get(value.lower(), value)
    if value not in (",", ";", "\t", "|"):
        raise CommandError("--delimiter must be one of , ; tab |", EXIT_USAGE)
    return value


def _check_import_args(args: argparse.Namespace) -> None:
    """Refuse bad options before reading the file or touching the store."""
    import phonenumbers

    if args.file.is_dir():
        raise CommandError(f"{args.file} is a folder; give the file to import.", EXIT_USAGE)
    if not args.file.is_file():
        raise CommandError(f"No file {args.file}.", EXIT_USAGE)
    if args.error_file is not None:
        _check_writable(args.error_file)  # before anything is written: all of it or nothing
    if args.region and args.region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise CommandError(
            f"--region {args.region}: not a country code phone numbers know (e.g. DE, US, GB).",
            EXIT_USAGE,
        )
    check_years(args.event_date, "--event-date")


def import_file(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.importing import ImportOptions
    from app.services.importing import api as importing_api
    from app.services.importing.detect import detect
    from app.services.team.users import find_user

    path: Path = args.file
    _check_import_args(args)
    det = detect(
        path,
        encoding=args.encoding,
        delimiter=_delimiter(args.delimiter),
        header_row=args.header_row,
        sheet=args.sheet,
    )
    actor = ctx.actor()
    owner_id = None
    if args.owner:
        with ctx.store().session_factory() as session:
            owner = find_user(session, args.owner)
        if owner is None:
            raise CommandError(f"No user '{args.owner}'.", EXIT_USAGE)
        owner_id = owner.id
    opts = ImportOptions(
        source=args.source,
        event=args.event,
        event_date=args.event_date,
        owner_id=owner_id,
        route=not args.no_route,
        tags=list(args.tag),
        phone_region=args.region.upper() if args.region else None,
        dry_run=args.dry_run,
        search_later=not args.dry_run,  # caught up in the background before the process ends
    )
    done = importing_api.run_import(
        ctx.uow(), actor, path, detected=det, preset=args.preset, options=opts,
        save_preset_as=args.save_preset,
    )  # fmt: skip
    return _report(args, path, done.value)


def _check_writable(target: Path) -> None:
    """Refuse an --error-file that could not be written, before the import commits anything."""
    folder = target.parent
    if target.is_dir():
        raise CommandError(f"--error-file {target} is a folder; name a file in it.", EXIT_USAGE)
    if not folder.is_dir():
        raise CommandError(
            f"--error-file: there is no folder {folder}; create it or name another.", EXIT_USAGE
        )
    if not os.access(target if target.exists() else folder, os.W_OK):
        raise CommandError(f"--error-file: {target} cannot be written (permission).", EXIT_USAGE)


def _report(args: argparse.Namespace, path: Path, result: ImportResult) -> int:
    from app.services.importing.export import error_file_path, write_error_file

    error_file = None
    if result.rejected_rows:
        target = args.error_file or error_file_path(path, result.batch_id)
        try:
            write_error_file(target, result.headers, result.rejected_rows)
            error_file = str(target)
        except OSError as exc:  # the import is committed: report it, warn about the file
            again = "leadgate import FILE --dry-run --error-file OTHER.csv"
            result.warnings.append(
                f"the {len(result.rejected_rows)} rejected rows could not be written to "
                f"{target} ({exc.strerror or exc}); list them with: {again}"
            )
    out = result.to_dict()
    out["error_file"] = error_file
    out["conflict_list"] = [c.to_dict() for c in result.conflicts[:200]]
    out["possible_duplicate_list"] = [d.to_dict() for d in result.possible_duplicates[:200]]
    if args.json:
        print_json(out)
        return 0
    verb = "Would import" if args.dry_run else "Imported"
    print(
        f"{verb} {path.name}: {result.created} created, {result.updated} updated, "
        f"{result.merged} merged in file, {result.rejected} rejected, "
        f"{result.skipped_blank} blank skipped, {result.incomplete} incomplete, "
        f"{len(result.possible_duplicates)} possible duplicates."
    )
    if result.batch_id:
        print(f"Batch {result.batch_id}. Undo with: leadgate imports undo {result.batch_id}")
    if result.search_backlog:
        print(f"Indexing {result.search_backlog:,} new leads for search...")
    if out["error_file"]:
        print(f"Rejected rows written to {out['error_file']}")
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def undo(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.importing import api as importing_api

    res = importing_api.undo_import(ctx.uow(), ctx.actor(), args.batch_id).value
    if args.json:
        print_json(res.to_dict())
        return 0
    print(
        f"Undid batch {res.batch_id}: {res.deleted} leads removed, {res.reverted} reverted, "
        f"{len(res.skipped)} skipped."
    )
    if res.skipped:
        print("Left alone (changed since the import):")
        for lead in res.changed_by[:20]:
            print(f"  {lead.describe()}")
        if len(res.skipped) > 20:
            print(f"  ... and {len(res.skipped) - 20} more (--json lists them all)")
    return 0


def list_imports(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.importing import api as importing_api

    if args.limit < 0:
        raise CommandError("--limit must be 0 or more.", EXIT_USAGE)
    batches = importing_api.import_history(ctx.uow(), ctx.actor(), args.limit).value
    if args.json:
        print_json([b.to_dict() for b in batches])
        return 0
    if not batches:
        print("No imports yet.")
    for b in batches:
        created = b.counts.get("created", 0)
        started = b.started_at.isoformat()[:16].replace("T", " ") if b.started_at else ""
        status = "undone" if b.undone_at else b.status
        routed = ", ".join(f"{who} {n:,}" for who, n in b.routed.items()) or "-"
        print(f"{b.id:>5}  {started:16}  {status:7}  {created:>7,} created  "
              f"{b.file_name}  by {b.user or '-'}  -> {routed}")  # fmt: skip
    return 0


def export_leads(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.importing import api as importing_api

    check_output_file(args.file, "FILE")
    n = importing_api.export_leads(ctx.uow(), ctx.actor(), args.file).value
    if args.json:
        print_json({"file": str(args.file), "leads": n})
    else:
        print(f"Exported {n:,} leads to {args.file}")
    return 0
