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
