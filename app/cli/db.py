from __future__ import annotations

import argparse

from app.cli.core import EXIT_USAGE, CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "db", "upgrade", "upgrade the store's schema to this version", upgrade, "schema commands"
    )
    p.add_argument("--revision", default="head", help=argparse.SUPPRESS)
    p = registry.subcommand("db", "current", "show the store's schema revision", current)
    p.add_argument("--json", action="store_true", help="print JSON")
    registry.subcommand(
        "db", "init", "create a new, empty local store (or bring one to date)", init
    )
    p = registry.subcommand(
        "db",
        "copy",
        "copy the whole store, history included, into a new empty one (e.g. a local file to "
        "the team database)",
        copy,
    )
    p.add_argument("--from", dest="source", metavar="URL", help="the store to copy (default --db)")
    p.add_argument("--to", dest="target", metavar="URL", required=True, help="the empty target")
    p.add_argument("--json", action="store_true", help="print JSON")
    registry.subcommand(
        "db", "check", "check a local store file thoroughly (SQLite integrity_check)", check
    )


def upgrade(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.store.db import SchemaState, describe_url, known_revisions, schema_status
    from app.store.db import upgrade as run_upgrade

    if args.revision != "head" and args.revision not in known_revisions():
        raise CommandError(f"--revision {args.revision}: no such schema revision.", EXIT_USAGE)
    store = ctx.store(require_current=False)
    before = schema_status(store.engine)
    if before.state is SchemaState.AHEAD:
        print(before.message(store.url))
        return 1
    if before.state is SchemaState.UNVERSIONED:
        print(before.message(store.url))
        return 1
    run_upgrade(store.engine, args.revision)
    after = schema_status(store.engine)
    print(
        f"{describe_url(store.url)}: schema {before.store_revision or 'empty'} -> "
        f"{after.store_revision}"
    )
    return 0


def current(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.store.db import describe_url, schema_status

    store = ctx.store(require_current=False)
    status = schema_status(store.engine)
    if args.json:
        print_json(
            {
                "store": describe_url(store.url),
                "revision": status.store_revision,
                "head": status.app_revision,
                "state": status.state.value,
            }
        )
    else:
        print(status.message(store.url))
    return 0


def init(ctx: CliContext, _args: argparse.Namespace) -> int:
    from app.store.db import describe_url, schema_status

    ctx.create_store = True
    store = ctx.store()
    print(
        f"{describe_url(store.url)}: ready (schema {schema_status(store.engine).store_revision})."
    )
    return 0


def check(ctx: CliContext, _args: argparse.Namespace) -> int:
    from app.config import resolve_store_url
    from app.store.db import parse_url, sqlite_path
    from app.store.files import problem_with

    if ctx.db_url is not None and not ctx.db_url.strip():
        raise CommandError("--db is empty: give a store URL.", EXIT_USAGE)
    path = sqlite_path(parse_url(resolve_store_url(ctx.db_url)))
    if path is None:
        raise CommandError("db check is for a local SQLite store file.", EXIT_USAGE)
    if not path.is_file():
        raise CommandError(f"There is no store file at {path}.")
    problem = problem_with(path, "full")
    if problem:
        raise CommandError(problem)
    print(f"{path}: no problems found (integrity_check).")
    return 0


def copy(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.store.copy import copy_store
    from app.store.db import SchemaState, describe_url, schema_status
    from app.store.db import upgrade as run_upgrade

    if args.source is not None:
        ctx.db_url = args.source
    source = ctx.store()
    target_ctx = CliContext(db_url=args.target, clock=ctx.clock, create_store=True)
    try:
        target = target_ctx.store(require_current=False)
        if schema_status(target.engine).state is SchemaState.EMPTY:
            run_upgrade(target.engine)
        status = schema_status(target.engine)
        if status.state is not SchemaState.CURRENT:
            raise CommandError(status.message(target.url))
        counts = copy_store(source, target)
    finally:
        target_ctx.close()
    if args.json:
        print_json({"from": describe_url(source.url), "to": describe_url(target.url), **counts})
        return 0
    print(
        f"Copied {describe_url(source.url)} to {describe_url(target.url)}: "
        f"{counts.get('leads', 0):,} leads, {counts.get('stage_transitions', 0):,} stage changes, "
        f"{counts.get('activities', 0):,} activities, {counts.get('users', 0):,} users."
    )
    return 0
