"""The `leadgate` command: no sub-command opens the window; the rest script the services.

Commands live in `app/commands/<topic>.py`, each with `register(registry)`. Listing output is
JSON with `--json`. Errors print one clear line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from app import __version__
from app.clock import Clock, SystemClock

if TYPE_CHECKING:
    from app.services.auth import Actor
    from app.store.uow import UnitOfWork

COMMAND_MODULES = [
    "app.cli.db",
    "app.cli.demo",
    "app.cli.users",
    "app.cli.team",
    "app.cli.routing",
    "app.cli.leads",
    "app.cli.pipeline",
    "app.cli.followups",
    "app.cli.reports",
    "app.cli.importing",
    "app.cli.scoring",
    "app.cli.accounts",
    "app.cli.settings",
]

BUSY_WAIT_ENV = "LEADGATE_BUSY_WAIT"
BUSY_WAIT_DEFAULT = 120.0  # seconds
BUSY_RETRY_PAUSE_S = 0.5  # between attempts (each one already waits the store's busy timeout)
WAITING_LINE = "leadgate: waiting for another writer (e.g. an import) to finish…"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BLOCKED = 3
EXIT_REFUSED = 4  # not allowed (the role, or acting as someone else)


class CommandError(Exception):
    """A failure to report as one line, with an exit code."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class CliContext:
    db_url: str | None
    clock: Clock = field(default_factory=SystemClock)
    as_user: str | None = None
    # Set by the commands that may create a missing local store (`db init`, `demo`).
    create_store: bool = False
    _store: Any = None

    def store(self, *, require_current: bool = True) -> Any:
        """The opened store (a local SQLite store is upgraded on the way; created only by a
        command that sets `create_store`)."""
        if self._store is None:
            from app.config import resolve_store_url
            from app.store.db import open_store, parse_url

            if self.db_url is not None and not self.db_url.strip():
                raise CommandError(
                    "--db is empty: give a store URL, or leave --db out for the default store.",
                    EXIT_USAGE,
                )
            url = parse_url(resolve_store_url(self.db_url))
            if url.password is not None:
                print(
                    "leadgate: warning: a password in --db is visible to other users in the "
                    "process list; store it in the keyring (the window's Connect dialog) or a "
                    "PGPASSFILE instead.",
                    file=sys.stderr,
                )
            password = None
            if url.get_backend_name() == "postgresql" and url.password is None:
                from app.credentials import get_password

                password = get_password(url)
            self._store = open_store(
                url,
                password=password,
                now=self.clock.now(),
                require_current=require_current,
                create=self.create_store,
            )
        return self._store

    def uow(self) -> UnitOfWork:
        """A unit of work on the store, for one API call."""
        from app.store.uow import UnitOfWork

        return UnitOfWork(self.store().session_factory, self.clock)

    def actor(self, *, fallback: Actor | None = None) -> Actor:
        """Who runs this command: `--as`, else $LEADGATE_USER, else the connecting login.

        On a team database (PostgreSQL) the member is the database login (matched by its
        mapped login, e-mail or e-mail local part) and `--as` is refused unless it names that
        member; only the admin login, which the server does not restrict, may name anyone. On
        a local file the login is the operating-system user. A command that needs no one in
        particular (a read, the timer sweep) passes a `fallback` for a login that is no team
        member; a name given with --as must always be a team member.
        """
        from app.services.team.identity import pinned_member
        from app.services.team.users import find_user, find_user_by_login

        store = self.store()
        ref = self.as_user or os.environ.get("LEADGATE_USER") or None
        with store.session_factory() as session:
            if not store.is_sqlite:
                try:
                    user, login = pinned_member(session, ref)
                except ValueError as exc:
                    if fallback is not None and not ref:
                        return fallback
                    raise CommandError(str(exc), EXIT_REFUSED) from None
                if user is None and ref:
                    raise CommandError(f"--as {ref}: no team member with that e-mail, id or name.")
                if user is not None:
                    return user.as_actor()
                if fallback is not None:
                    return fallback
                raise CommandError(
                    f"Say who you are: --as EMAIL (the login '{login.name}' is not a team member)."
                )
            if ref:
                user = find_user(session, ref)
                if user is None:
                    raise CommandError(f"--as {ref}: no team member with that e-mail, id or name.")
                return user.as_actor()
            login_name = _login_name(store)
            user = find_user_by_login(session, login_name)
        if user is None and fallback is not None:
            return fallback
        if user is None:
            raise CommandError(
                f"Say who you are: --as EMAIL (the login '{login_name}' is not a team member)."
            )
        return user.as_actor()

    def close(self) -> None:
        if self._store is not None:
            self._store.dispose()
            self._store = None


def _login_name(store: Any) -> str:
    """The operating-system user, the login of a local store."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user in the passwd database (containers)
        return ""


Handler = Callable[[CliContext, argparse.Namespace], int]


class CommandRegistry:
    """Lets several modules add sub-commands to one group (`leads add`, `leads move`...)."""

    def __init__(self, subparsers: Any) -> None:
        self._subparsers = subparsers
        self._groups: dict[str, Any] = {}
        self._commands: list[argparse.ArgumentParser] = []

    def command(self, name: str, help: str, handler: Handler) -> argparse.ArgumentParser:
        parser = self._subparsers.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        self._commands.append(parser)
        return parser

    def group(self, name: str, help: str) -> Any:
        if name not in self._groups:
            parser = self._subparsers.add_parser(name, help=help, description=help)
            parser.set_defaults(handler=_group_help(parser))
            self._groups[name] = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION")
        return self._groups[name]

    def subcommand(
        self, group: str, name: str, help: str, handler: Handler, group_help: str = ""
    ) -> argparse.ArgumentParser:
        sub = self.group(group, group_help or f"{group} commands")
        parser = sub.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        self._commands.append(parser)
        return parser

    def accept_now_everywhere(self) -> None:
        """`--now ISO` after any command too (`leadgate leads list --now 2026-03-02T09:00`),
        like the global option; a command with its own --now (timers sweep) keeps it."""
        for parser in self._commands:
            try:
                parser.add_argument(
                    "--now",
                    dest="command_now",
                    metavar="ISO",
                    help="a fixed clock for this run, to replay a day",
                )
            except argparse.ArgumentError:
                continue


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake as one line (`--help` still shows the usage)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


# Record ids named on the command line, by (command, argument): what kind of record each is.
_ID_ARGS = {
    "id": "record",
    "ids": "record",
    "lead_id": "lead",
    "step_id": "cadence step",
    "batch_id": "import batch",
    "pipeline": "pipeline",
}
_RECORD_OF_COMMAND = {
    "leads": "lead",
    "score": "lead",
    "route": "lead",
    "followups": "follow-up",
    "alerts": "alert",
}
# Counts taken on the command line: (lowest, highest) each may be.
_COUNT_ARGS = {
    "limit": (0, 2**31 - 1),
    "days": (1, 36_500),
    "capacity": (0, 100_000),
    "header_row": (1, 10_000),
    "leads": (0, 10_000_000),
    "accounts": (0, 1_000_000),
    "seed": (0, 2**31 - 1),
}


def _check_numbers(args: argparse.Namespace) -> None:
    """Ids past what a store holds are not found; counts out of range are usage errors."""
    from app.services.validation import InvalidInput, bounded_int, record_id

    for dest, what in _ID_ARGS.items():
        value = getattr(args, dest, None)
        if isinstance(value, bool) or value is None:
            continue
        noun = _RECORD_OF_COMMAND.get(args.command, what) if what == "record" else what
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, int):
                record_id(noun, v)
    for dest, (lo, hi) in _COUNT_ARGS.items():
        value = getattr(args, dest, None)
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                bounded_int("--" + dest.replace("_", "-"), value, lo, hi)
            except InvalidInput as exc:
                raise CommandError(str(exc), EXIT_USAGE) from None


def _group_help(parser: argparse.ArgumentParser) -> Handler:
    def show(_ctx: CliContext, _args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return show


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leadgate",
        description="Leadgate CRM. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"leadgate {__version__}")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="store URL (sqlite:///file or postgresql+psycopg://user@host/db); "
        "default: $LEADGATE_DB, then the last store connected to, then the local file",
    )
    parser.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="act as this team member (e-mail, id or name); default $LEADGATE_USER, then the "
        "login (database user or operating-system user) matched by e-mail or name",
    )
    parser.add_argument(
        "--now",
        dest="global_now",
        metavar="ISO",
        help="a fixed clock for this run (e.g. 2026-03-02T09:00), to replay a day",
    )
    parser.add_argument(
        "--busy-wait",
        dest="busy_wait",
        metavar="SECONDS",
        type=float,
        help="on a local store, how long a write waits for another writer (an import) to "
        f"finish before giving up; default $LEADGATE_BUSY_WAIT, then {BUSY_WAIT_DEFAULT:g}",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    registry = CommandRegistry(subparsers)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(registry)
    registry.accept_now_everywhere()
    return parser


def _fixed_clock(text: str) -> Clock:
    from datetime import UTC, datetime

    from app.clock import SettableClock

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--now {text}: not an ISO date and time.", EXIT_USAGE) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not 1900 <= when.year <= 2200:
        raise CommandError(f"--now {text}: the year must be between 1900 and 2200.", EXIT_USAGE)
    return SettableClock(when.astimezone(UTC))


def unexpected_error_line(exc: BaseException) -> str:
    """An error no command expected, as one line (the store's own words for a refused write)."""
    from sqlalchemy.exc import DBAPIError, IntegrityError

    if isinstance(exc, IntegrityError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
        return f"the store refused the change (duplicate or missing reference): {detail}"
    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else ""
        return f"the store reported an error: {detail}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"unexpected error ({type(exc).__name__}){': ' + text if text else ''}"


def check_output_file(path: Any, option: str) -> None:
    """Refuse, before any work, a file to write that is a folder or sits in a missing one."""
    from pathlib import Path

    target = Path(path).expanduser()
    if target.is_dir():
        raise CommandError(f"{option} {target} is a folder; give a file name.", EXIT_USAGE)
    if not target.parent.is_dir():
        raise CommandError(
            f"{option} {target}: the folder {target.parent} does not exist.", EXIT_USAGE
        )


def check_years(when: Any, option: str) -> Any:
    """`when` (a date or datetime, or None) if within years 1900-2200, else a usage error."""
    from app.services.validation import InvalidInput, check_year

    if when is not None:
        try:
            check_year(option, when)
        except InvalidInput as exc:
            raise CommandError(str(exc), EXIT_USAGE) from None
    return when


def print_json(data: Any) -> None:
    """`data` as JSON: never NaN or Infinity, which JSON does not have (they print as null)."""
    from app.services.validation import json_safe

    json.dump(
        json_safe(data), sys.stdout, indent=2, ensure_ascii=False, default=str, allow_nan=False
    )
    sys.stdout.write("\n")


def _database_error(ctx: CliContext, exc: Exception) -> str:
    """A database refusal as one line (never the driver's traceback)."""
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()
    text = detail[0] if detail else type(exc).__name__
    store = ctx._store
    if "readonly" in text.replace("-", "").replace(" ", "").lower() or (
        store is not None and store.read_only
    ):
        where = f" ({store.label})" if store is not None else ""
        return f"the store is read-only{where}: nothing was changed."
    return unexpected_error_line(exc)


def _busy_wait(args: argparse.Namespace) -> float:
    """Seconds a write may wait for SQLite's write lock: --busy-wait, $LEADGATE_BUSY_WAIT."""
    import math

    value: float | str | None = args.busy_wait
    if value is None:
        value = os.environ.get(BUSY_WAIT_ENV) or BUSY_WAIT_DEFAULT
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise CommandError(
            f"--busy-wait / ${BUSY_WAIT_ENV} must be a number of seconds (0 or more), not "
            f"'{value}'.",
            EXIT_USAGE,
        )
    return seconds


def _run_queued(ctx: CliContext, args: argparse.Namespace, wait: float) -> int:
    """Run the command; while another writer holds a local store's write lock (StoreLocked:
    nothing was changed), say so once on stderr and run it again, for up to `wait` seconds.
    A command that already committed part of its work is not run again (one line instead)."""
    import threading
    import time

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from app.services.errors import StoreLocked

    commits: list[object] = []

    def committed(session: Session) -> None:
        commits.append(session)

    deadline = time.monotonic() + wait
    said = False
    pause = threading.Event()
    event.listen(Session, "after_commit", committed)
    try:
        while True:
            try:
                return int(args.handler(ctx, args))
            except StoreLocked:
                if commits or time.monotonic() >= deadline:
                    raise
                if not said:
                    print(WAITING_LINE, file=sys.stderr, flush=True)
                    said = True
                pause.wait(BUSY_RETRY_PAUSE_S)
    finally:
        event.remove(Session, "after_commit", committed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (app.main opens the window when there is none)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from sqlalchemy.exc import DBAPIError

    from app.services.errors import ActionError
    from app.store.db import StoreError
    from app.store.uow import ServerRefused

    ctx = CliContext(db_url=args.db, as_user=args.as_user)
    try:
        now = args.global_now
        if now is None:
            now = getattr(args, "command_now", None)
        if now is not None:  # `--now ""` is a mistake, not "no fixed clock"
            ctx.clock = _fixed_clock(now)
        _check_numbers(args)
        return _run_queued(ctx, args, _busy_wait(args))
    except CommandError as exc:
        print(f"leadgate: {exc}", file=sys.stderr)
        return exc.code
    except ActionError as exc:
        print(f"leadgate: {exc}", file=sys.stderr)
        return exc.exit_code
    except StoreError as exc:
        print(f"leadgate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ServerRefused as exc:
        print(f"leadgate: {exc}", file=sys.stderr)
        return exc.exit_code
    except DBAPIError as exc:
        print(f"leadgate: {_database_error(ctx, exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("leadgate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped early (`leadgate leads list --json | head`): not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as exc:  # never a traceback: one line and a non-zero exit
        print(f"leadgate: {unexpected_error_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        ctx.close()
