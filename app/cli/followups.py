"""`timers sweep`, `followups list|done|skip|reschedule|reply|settings`, `cadences`,
`calendar export`, `alerts list|read`.

Writing commands act as the global `--as` user (ctx.actor()) through the same API functions
as the window (services/followups/api.py, services/timers/api.py).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.cli.core import CliContext, CommandError, CommandRegistry, check_years, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "timers",
        "sweep",
        "run one timer sweep and show what fired",
        timers_sweep,
        "background timer commands",
    )
    p.add_argument("--now", metavar="ISO", help="sweep as of this instant (default: now)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "followups", "list", "list planned follow-ups", followups_list, "follow-up commands"
    )
    p.add_argument("--owner", metavar="U", help="owner e-mail, id or name")
    p.add_argument("--due-before", metavar="ISO", help="only follow-ups due before this instant")
    p.add_argument("--due-after", metavar="ISO", help="only follow-ups due at or after this")
    p.add_argument("--status", default="planned", help="planned, done, skipped, cancelled or all")
    p.add_argument("--limit", type=int, default=None, help="at most N follow-ups")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("followups", "done", "mark a follow-up done", followups_done)
    p.add_argument("id", type=int)
    p.add_argument("--outcome", default="Done", help="what happened (default: Done)")
    p.add_argument("--note", default=None, help="what was said or done")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("followups", "skip", "skip a follow-up", followups_skip)
    p.add_argument("id", type=int)
    p.add_argument("--reason", default="Skipped", help="why (default: Skipped)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand(
        "followups", "reschedule", "move a planned follow-up", followups_reschedule
    )
    p.add_argument("id", type=int)
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--to", metavar="ISO", help="the new due date and time")
    when.add_argument("--day", metavar="YYYY-MM-DD", help="another day, same local time")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand(
        "followups", "reply", "log a reply from a lead (stops its cadence)", followups_reply
    )
    p.add_argument("lead_id", type=int)
    p.add_argument("--note", default=None)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand(
        "followups",
        "settings",
        "show the follow-up settings, or change them with --set",
        followups_settings,
    )
    p.add_argument(
        "--set",
        dest="assignments",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="e.g. dormant_days=45 or sla_minutes.Urgent=10 (managers and the owner)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "cadences",
        "list",
        "list cadence templates and their steps",
        cadences_list,
        "cadence template commands",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("cadences", "edit-step", "change one cadence step", cadences_edit)
    p.add_argument("step_id", type=int)
    p.add_argument("--offset-days", type=float, help="days after the cadence starts")
    p.add_argument("--channel", help="email, call, linkedin or task")
    p.add_argument("--subject", help="subject; {first_name}, {company}... are filled in")
    p.add_argument("--template", help="script or e-mail body, with the same fields")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("cadences", "add-step", "append a step to a cadence", cadences_add)
    p.add_argument("cadence", help="cadence id or name")
    p.add_argument("--offset-days", type=float, required=True, help="days after the start")
    p.add_argument("--channel", required=True, help="email, call, linkedin or task")
    p.add_argument("--subject", required=True, help="subject; {first_name}... are filled in")
    p.add_argument("--template", default="", help="script or e-mail body")
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("cadences", "remove-step", "remove a cadence step", cadences_remove)
    p.add_argument("step_id", type=int)

    p = registry.subcommand(
        "calendar",
        "export",
        "export follow-ups as an .ics file",
        calendar_export,
        "calendar commands",
    )
    p.add_argument("file", metavar="FILE.ics", type=Path)
    p.add_argument("--owner", metavar="U", help="only this rep's follow-ups")
    p.add_argument("--from", dest="start", metavar="ISO", help="due at or after (default: all)")
    p.add_argument("--to", dest="end", metavar="ISO", help="due before")

    p = registry.subcommand(
        "alerts", "list", "list alerts, newest first", alerts_list, "alert commands"
    )
    p.add_argument("--user", metavar="U", help="only alerts for this user")
    p.add_argument("--unread", action="store_true", help="only unread alerts")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = registry.subcommand("alerts", "read", "mark alerts read", alerts_read)
    p.add_argument("ids", type=int, nargs="*", help="alert ids (default: all of yours)")
    p.add_argument(
        "--user", metavar="U", help="deprecated: the same as the global --as (whose alerts)"
    )


def _instant(value: str | None, flag: str) -> datetime | None:
    if value is None:
        return None
    from app.clock import ensure_utc

    try:
        when = ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise CommandError(
            f"{flag} '{value}' is not an ISO date-time (e.g. 2026-03-02T09:00:00Z).", 2
        ) from None
    return check_years(when, flag)


def _user_id(session: Any, ref: str | None) -> int | None:
    if ref is None:
        return None
    from app.services.team.users import find_user

    user = find_user(session, ref)
    if user is None:
        raise CommandError(f"No user '{ref}'. See `leadgate users list`.", 2)
    return user.id


def timers_sweep(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.auth import Actor
    from app.services.timers.api import run_sweep

    now = _instant(args.now, "--now") or ctx.clock.now()
    # The sweep is automatic work: from cron or a script it needs no one to act as.
    actor = ctx.actor(fallback=Actor.system("Timers"))
    result = run_sweep(ctx.uow(), actor, now).value
    if args.json:
        print_json(result.to_dict())
        return 0
    if result.skipped:
        print(f"Sweep at {now.isoformat()}: skipped, {result.skipped}.")
    elif not result.fired:
        print(f"Sweep at {now.isoformat()}: nothing fired.")
    for alert in result.fired:
        print(f"{alert.kind:<15} lead {alert.lead_id or '-':>7}  {alert.message}")
    return 0


def followups_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups.cadence import FollowupFilter, list_followups

    statuses = None if args.status == "all" else (args.status,)
    if statuses and statuses[0] not in ("planned", "done", "skipped", "cancelled"):
        raise CommandError(
            f"Unknown status '{args.status}'. Use planned, done, skipped, cancelled or all.", 2
        )
    with ctx.store().session() as session:
        flt = FollowupFilter(
            start=_instant(args.due_after, "--due-after"),
            end=_instant(args.due_before, "--due-before"),
            owner_id=_user_id(session, args.owner),
            statuses=statuses,
            limit=args.limit,
        )
        rows = list_followups(session, flt)
    now = ctx.clock.now()
    if args.json:
        print_json([dict(r.to_dict(), overdue=r.is_overdue(now)) for r in rows])
        return 0
    for r in rows:
        due = r.due_at.strftime("%Y-%m-%d %H:%M") if r.due_at else "-"
        flag = " OVERDUE" if r.is_overdue(now) else ""
        print(f"{r.id:>7}  {due}  {r.type:<8} {r.lead_name[:28]:<28} {r.owner_name or '-'}{flag}")
    return 0


def _show_followup(args: argparse.Namespace, f: Any, message: str) -> int:
    if args.json:
        print_json(f.to_dict())
    else:
        print(message)
    return 0


def followups_done(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    done = api.mark_done(ctx.uow(), ctx.actor(), args.id, args.outcome, notes=args.note).value
    return _show_followup(args, done, f"Follow-up {done.id} done: {done.outcome}.")


def followups_skip(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    skipped = api.skip_followup(ctx.uow(), ctx.actor(), args.id, reason=args.reason).value
    return _show_followup(args, skipped, f"Follow-up {skipped.id} skipped.")


def _day(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--day '{value}' is not a date (e.g. 2026-03-02).", 2) from None
    return check_years(day, "--day")


def followups_reschedule(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    if args.day is not None:
        day = _day(args.day)
        moved = api.move_to_day(ctx.uow(), ctx.actor(), args.id, day).value
    else:
        due = _instant(args.to, "--to")
        assert due is not None  # the group is required
        moved = api.reschedule(ctx.uow(), ctx.actor(), args.id, due).value
    when = f"{moved.due_at:%Y-%m-%d %H:%M} UTC" if moved.due_at else "-"
    return _show_followup(args, moved, f"Follow-up {moved.id} now due {when}.")


def followups_reply(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    stopped = api.log_reply(ctx.uow(), ctx.actor(), args.lead_id, note=args.note).value
    if args.json:
        print_json({"lead_id": args.lead_id, "stopped_steps": stopped})
    else:
        print(f"Reply logged for lead {args.lead_id}; {stopped} planned step(s) stopped.")
    return 0


def _setting(text: str) -> tuple[str, Any]:
    """KEY=VALUE with a JSON value when it parses as one (numbers), else the text."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise CommandError(f"--set '{text}': write KEY=VALUE (e.g. dormant_days=45).", 2)
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw.strip()
    return key, value


def followups_settings(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api
    from app.services.followups.settings import load_settings

    if args.assignments:
        changes: dict[str, Any] = {}
        for text in args.assignments:
            key, value = _setting(text)
            if "." in key:  # sla_minutes.Urgent=10
                outer, inner = key.split(".", 1)
                nested = changes.setdefault(outer, {})
                if not isinstance(nested, dict):
                    raise CommandError(f"--set '{text}': {outer} is set twice.", 2)
                nested[inner] = value
            else:
                changes[key] = value
        settings = api.save_settings(ctx.uow(), ctx.actor(), **changes).value
    else:
        with ctx.store().session() as session:
            settings = load_settings(session)
    data = settings.to_dict()
    if args.json:
        print_json(data)
        return 0
    for key, value in data.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        print(f"{key:<26} {value}")
    return 0


def _when(offset_days: float) -> str:
    """Step timing as people say it: day 1 is the day the cadence starts."""
    if offset_days >= 1 or offset_days == 0:
        return f"day {int(offset_days) + 1}" + (
            f" +{round((offset_days % 1) * 24)} h" if offset_days % 1 else ""
        )
    minutes = round(offset_days * 24 * 60)
    return f"day 1 +{minutes} min" if minutes < 60 else f"day 1 +{round(minutes / 60)} h"


def cadences_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups.cadence import ensure_default_cadences, list_cadences
    from app.store.db import unit_of_work

    with unit_of_work(ctx.store().session_factory) as session:
        ensure_default_cadences(session)
        cadences = list_cadences(session)
    if args.json:
        print_json([c.to_dict() for c in cadences])
        return 0
    for c in cadences:
        print(f"{c.name} ({c.tier or 'any tier'}){'' if c.active else ' - inactive'}")
        for st in c.steps:
            print(f"  {st.id:>4}  {_when(st.offset_days):<14} {st.channel:<9} {st.subject or ''}")
    return 0


def _show_step(args: argparse.Namespace, step: Any) -> int:
    if args.json:
        print_json(asdict(step))
    else:
        print(f"Step {step.id}: {_when(step.offset_days)}, {step.channel}, {step.subject}.")
    return 0


def cadences_edit(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    changes = {
        key: value
        for key, value in (
            ("offset_days", args.offset_days),
            ("channel", args.channel),
            ("subject", args.subject),
            ("template", args.template),
        )
        if value is not None
    }
    if not changes:
        raise CommandError(
            "Nothing to change: give --offset-days, --channel, --subject or --template.", 2
        )
    step = api.update_step(ctx.uow(), ctx.actor(), args.step_id, **changes).value
    return _show_step(args, step)


def _cadence_id(ctx: CliContext, ref: str) -> int:
    from app.services.followups.cadence import list_cadences

    with ctx.store().session() as session:
        cadences = list_cadences(session)
    for c in cadences:
        if str(c.id) == ref or c.name.casefold() == ref.casefold():
            return c.id
    raise CommandError(f"No cadence '{ref}'. See `leadgate cadences list`.", 2)


def cadences_add(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    actor = ctx.actor()
    step = api.add_step(
        ctx.uow(),
        actor,
        _cadence_id(ctx, args.cadence),
        args.offset_days,
        args.channel,
        args.subject,
        args.template,
    ).value
    return _show_step(args, step)


def cadences_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups import api

    api.remove_step(ctx.uow(), ctx.actor(), args.step_id)
    print(f"Step {args.step_id} removed.")
    return 0


def calendar_export(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.followups.cadence import FollowupFilter, list_followups
    from app.services.followups.ics import to_ics
    from app.services.team.users import get_user

    with ctx.store().session() as session:
        owner_id = _user_id(session, args.owner)
        rows = list_followups(
            session,
            FollowupFilter(
                start=_instant(args.start, "--from"),
                end=_instant(args.end, "--to"),
                owner_id=owner_id,
            ),
        )
        owner = get_user(session, owner_id) if owner_id else None
    name = f"Leadgate follow-ups: {owner.name}" if owner else "Leadgate follow-ups"
    try:
        args.file.write_bytes(to_ics(rows, ctx.clock.now(), name=name))
    except OSError as exc:
        raise CommandError(f"Cannot write {args.file}: {exc.strerror}.") from None
    print(f"Wrote {len(rows):,} follow-ups to {args.file}.")
    return 0


def alerts_list(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.timers.alerts import list_alerts

    with ctx.store().session() as session:
        rows = list_alerts(
            session,
            user_id=_user_id(session, args.user),
            unread_only=args.unread,
            limit=args.limit,
        )
    if args.json:
        print_json([r.to_dict() for r in rows])
        return 0
    for r in rows:
        mark = "*" if r.unread else " "
        print(f"{mark} {r.id:>6}  {r.fired_at:%Y-%m-%d %H:%M}  {r.kind:<15} {r.message}")
    return 0


def alerts_read(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.timers.api import mark_alerts_read

    if args.user is not None:  # the old spelling of --as
        if ctx.as_user is not None and ctx.as_user != args.user:
            raise CommandError("Give either --as or --user (deprecated), not both.", 2)
        ctx.as_user = args.user
    count = mark_alerts_read(ctx.uow(), ctx.actor(), args.ids or None).value
    print(f"{count} alert(s) marked read.")
    return 0
