"""`leads list/add/show/update/move/assign/contact/note/log`: the lead actions from a shell.

Writing commands act as the global `--as USER` (else $LEADGATE_USER, else the login) and
call the same API functions as the window (app/services/leads/api.py).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from app.cli.core import (
    EXIT_BLOCKED,
    CliContext,
    CommandError,
    CommandRegistry,
    check_years,
    print_json,
)


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand("leads", "list", "list leads", list_leads, "lead commands")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--limit", type=int, default=None, help="at most N leads")
    p.add_argument(
        "--search",
        default="",
        help="words that start words of the name, company, e-mail or title (best matches first)",
    )
    p.add_argument("--status", default=None, help="open, won, lost, disqualified or nurture")
    p.add_argument(
        "--sort", default=None, help="sort key (default relevance with --search, else captured_at)"
    )
    p.add_argument("--asc", action="store_true", help="ascending order")
    p.add_argument(
        "--tier",
        action="append",
        choices=["Urgent", "High", "Medium", "Low"],
        help="only this tier (repeatable)",
    )
    p.add_argument("--owner", default=None, help="only leads of this user (e-mail, id or name)")
    p.add_argument("--unassigned", action="store_true", help="only leads without an owner")

    p = registry.subcommand("leads", "add", "create a lead in the first stage", add)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="values")
    p.add_argument(
        "--allow-duplicate",
        metavar="REASON",
        help="create it even though an existing lead has its e-mail or name and company",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "leads", "merge", "merge OTHER_ID into KEEP_ID (the other id then opens it)", merge
    )
    p.add_argument("keep_id", type=int, metavar="KEEP_ID")
    p.add_argument("other_id", type=int, metavar="OTHER_ID")
    p.add_argument(
        "--take",
        action="append",
        default=[],
        metavar="FIELD",
        help="use the other lead's value of FIELD where both differ (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("leads", "show", "a lead, its history and its unmet criteria", show)
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "leads", "update", "set fields of a lead (owner=... is an assignment)", update_cmd
    )
    p.add_argument("id", type=int)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="values")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("leads", "move", "move a lead to a stage (gates apply)", move)
    p.add_argument("id", type=int)
    p.add_argument("stage", help="stage name (or a unique prefix) or id")
    p.add_argument("--override", metavar="REASON", help="pass unmet gates (managers/owners)")
    p.add_argument("--reason", metavar="CODE", help="exit reason code (Lost/Disqualified/Nurture)")
    p.add_argument("--revisit", metavar="DATE", help="revisit date for bad_timing / went_cold")
    p.add_argument("--competitor", metavar="NAME", help="for lost_to_competitor")
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "leads", "assign", "hand leads to a team member; a manager or the owner", assign
    )
    p.add_argument("ids", type=int, nargs="+", metavar="ID", help="lead ids")
    to = p.add_mutually_exclusive_group(required=True)
    to.add_argument("--to", metavar="USER", help="the new owner (e-mail, id or name)")
    to.add_argument("--nobody", action="store_true", help="unassign (back to the queue)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "leads", "contact", "log a touch now (the first one stops the countdown)", contact
    )
    p.add_argument("id", type=int, help="lead id")
    p.add_argument("--channel", required=True, choices=["call", "email", "linkedin"])
    p.add_argument(
        "--by",
        dest="by_user",
        default=None,
        metavar="USER",
        help="deprecated: the same as the global --as (who made the contact)",
    )
    p.add_argument("--note", default=None, help="a note for the activity")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("leads", "note", "add a note to a lead's timeline", note_cmd)
    p.add_argument("id", type=int, help="lead id")
    p.add_argument("text", help="the note")
    p.add_argument("--json", action="store_true", help="print JSON")

    from app.services.activities.core import CHANNELS, OUTCOMES

    outcomes = sorted({o.value for group in OUTCOMES.values() for o in group})
    p = registry.subcommand(
        "leads", "log", "log a call/e-mail/meeting/LinkedIn done now, with its outcome", log_cmd
    )
    p.add_argument("id", type=int, help="lead id")
    p.add_argument("--channel", required=True, choices=list(CHANNELS))
    p.add_argument("--outcome", required=True, help=f"one of: {', '.join(outcomes)}")
    p.add_argument("--note", default=None, help="what was said")
    p.add_argument(
        "--next",
        default=None,
        metavar="ISO",
        help="plan the next step then (e.g. 2026-03-02T10:00; UTC unless an offset is given)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def list_leads(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.models import LeadStatus
    from app.services.leads.queries import SORT_KEYS, LeadFilter, LeadSort, list_leads

    if args.limit is not None and args.limit < 0:
        raise CommandError("--limit must be 0 or more.", 2)
    if args.sort is None:
        args.sort = "relevance" if args.search.strip() else "captured_at"
    if args.sort not in SORT_KEYS:
        raise CommandError(f"Cannot sort by '{args.sort}'. Use one of: {', '.join(SORT_KEYS)}.", 2)
    if args.owner is not None and args.unassigned:
        raise CommandError("Use --owner or --unassigned, not both.", 2)
    if args.status is not None and args.status not in {s.value for s in LeadStatus}:
        statuses = ", ".join(s.value for s in LeadStatus)
        raise CommandError(f"--status {args.status}: use one of {statuses}.", 2)
    with ctx.store().session() as session:
        owner_id = None
        if args.owner is not None:
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


def _values(pairs: list[str]) -> dict[str, str]:
    from app.services.leads.edit import FieldError, parse_assignments

    try:
        return parse_assignments(pairs)
    except FieldError as exc:
        raise CommandError(str(exc), 2) from None


def _lead_json(session: Any, ctx: CliContext, lead_id: int) -> dict[str, Any]:
    from app.models import Lead
    from app.services.accounts.core import account_of_lead
    from app.services.duplicates.core import resolve_lead_id
    from app.services.leads.detail import get_lead_detail
    from app.services.pipeline.gates import unmet_current

    lead_id = resolve_lead_id(session, lead_id)  # a merged-away id opens the kept lead
    detail = get_lead_detail(session, lead_id)
    if detail is None:
        raise CommandError(f"There is no lead {lead_id}.", 1)
    lead = session.get(Lead, lead_id)
    data = detail.to_dict()
    unmet = unmet_current(session, lead, ctx.clock.now())
    data["unmet"] = [u.text for u in unmet]
    data["unmet_detail"] = [u.to_dict() for u in unmet]
    from app.services.activities.queries import lead_activities, split_notes

    data["notes"], data["activities"] = split_notes(lead_activities(session, lead_id))
    data["account"] = account_of_lead(session, lead_id)
    return data


def add(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads import api

    values = _values(args.values)
    lead_id = api.create_lead(ctx.uow(), ctx.actor(), values, args.allow_duplicate).value
    with ctx.store().session() as session:
        data = _lead_json(session, ctx, lead_id)
    if args.json:
        print_json(data)
    else:
        print(f"Created lead {lead_id}: {data['name']} in {data['stage']}")
    return 0


def merge(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.duplicates import api

    keep_id = api.merge_leads(ctx.uow(), ctx.actor(), args.keep_id, args.other_id, args.take).value
    with ctx.store().session() as session:
        data = _lead_json(session, ctx, keep_id)
    if args.json:
        print_json(data)
    else:
        print(f"Merged lead {args.other_id} into {keep_id}: {data['name']}")
    return 0


def show(ctx: CliContext, args: argparse.Namespace) -> int:
    with ctx.store().session() as session:
        data = _lead_json(session, ctx, args.id)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['id']}  {data['name']}  ({data.get('company') or '-'})")
    print(f"  stage: {data['stage']}  status: {data['status']}  owner: {data['owner'] or '-'}")
    for label in data["unmet"]:
        print(f"  unmet: {label}")
    for h in data["history"]:
        print(f"  {h['at'][:16]}  {h['text']}" + (f" — {h['detail']}" if h["detail"] else ""))
    return 0


def update_cmd(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads import api

    values = _values(args.values)
    if not values:
        raise CommandError("Nothing to update: pass --set FIELD=VALUE.", 2)
    changed = api.update_lead(ctx.uow(), ctx.actor(), args.id, values).value
    with ctx.store().session() as session:
        data = _lead_json(session, ctx, args.id)
    data["changed"] = changed
    if args.json:
        print_json(data)
    else:
        print(f"Updated {', '.join(changed) or 'nothing'} on lead {args.id}")
    return 0


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a date like 2026-06-30.", 2) from None
    check_years(value, "the date")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def move(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.models import Lead
    from app.services.leads import api
    from app.services.leads.moves import find_stage
    from app.services.pipeline.stages import list_stages

    revisit = _parse_date(args.revisit)
    actor = ctx.actor()
    with ctx.store().session() as session:
        lead = session.get(Lead, args.id)
        if lead is None:
            raise CommandError(f"There is no lead {args.id}.", 1)
        stages = list_stages(session, lead.pipeline_id)
    stage = find_stage(stages, args.stage)
    if stage is None:
        names = ", ".join(s.name for s in stages)
        raise CommandError(f"No stage '{args.stage}'. Stages: {names}.", 2)
    result = api.move_lead(
        ctx.uow(),
        actor,
        args.id,
        stage.id,
        None,
        override_reason=args.override,
        reason_code=args.reason,
        revisit_at=revisit,
        note=args.note,
        competitor=args.competitor,
    ).value
    data = result.to_dict()
    if args.json:
        print_json(data)
    elif result.moved:
        print(f"Moved lead {args.id}: {result.from_stage} → {result.to_stage} ({result.kind})")
    elif result.kind == "same":
        print(f"Lead {args.id} is already in {result.to_stage}.")
    else:
        print(f"Lead {args.id} cannot leave {result.from_stage} yet:")
        for label in data["unmet"]:
            print(f"  - {label}")
    if result.moved or result.kind == "same":
        return 0
    return EXIT_BLOCKED


def contact(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads import api

    if args.by_user:
        if ctx.as_user and ctx.as_user != args.by_user:
            raise CommandError("Use --as USER (not both --as and --by with different users).", 2)
        ctx.as_user = args.by_user
    result = api.log_contact(ctx.uow(), ctx.actor(), args.id, args.channel, note=args.note)
    value = result.value
    if args.json:
        print_json(value.to_dict())
    else:
        first = " (first contact)" if value.first_contact else ""
        print(f"Logged {value.channel} on lead {value.lead_id}{first}.")
    return 0


def assign(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads import api
    from app.services.team.users import find_user

    actor = ctx.actor()
    owner_id: int | None = None
    owner_name = "nobody"
    with ctx.store().session() as session:
        user = find_user(session, args.to) if args.to is not None else None
    if args.to is not None:
        if user is None:
            raise CommandError(f"--to {args.to}: no team member with that e-mail, id or name.")
        owner_id, owner_name = user.id, user.name
    changed = api.assign_leads(ctx.uow(), actor, args.ids, owner_id).value
    if args.json:
        print_json({"lead_ids": list(args.ids), "owner_id": owner_id, "changed": changed})
    else:
        print(f"Assigned {changed} of {len(args.ids)} lead(s) to {owner_name}.")
    return 0


def note_cmd(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.activities import api

    note_id = api.add_note(ctx.uow(), ctx.actor(), args.id, args.text).value
    if args.json:
        print_json({"id": note_id, "lead_id": args.id, "text": args.text.strip()})
    else:
        print(f"Added note {note_id} to lead {args.id}.")
    return 0


def _parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"'{text}' is not a time like 2026-06-30T10:00.", 2) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def log_cmd(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.activities import api

    next_at = _parse_instant(args.next)
    logged = api.log_activity(
        ctx.uow(), ctx.actor(), args.id, args.channel, args.outcome, note=args.note, next_at=next_at
    ).value
    if args.json:
        print_json(logged.to_dict())
        return 0
    first = " (first contact)" if logged.first_contact else ""
    print(f"Logged {logged.channel} ({logged.outcome}) on lead {logged.lead_id}{first}.")
    if logged.next_due_at is not None:
        print(f"Next step {logged.next_id} due {logged.next_due_at:%Y-%m-%d %H:%M} UTC.")
    return 0
