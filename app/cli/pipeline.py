"""`leads add/show/update/move` and `pipeline show`: the kanban's services from a shell."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from app.cli.core import EXIT_BLOCKED, CliContext, CommandError, CommandRegistry, print_json


def register(registry: CommandRegistry) -> None:
    p = registry.subcommand(
        "leads", "add", "create a lead in the first stage", add, "lead commands"
    )
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="values")
    p.add_argument("--as", dest="as_user", metavar="USER_EMAIL", help="acting user")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("leads", "show", "a lead, its history and its unmet criteria", show)
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("leads", "update", "set fields of a lead", update_cmd)
    p.add_argument("id", type=int)
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="values")
    p.add_argument("--as", dest="as_user", metavar="USER_EMAIL", help="acting user")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand("leads", "move", "move a lead to a stage (gates apply)", move)
    p.add_argument("id", type=int)
    p.add_argument("stage", help="stage name (or a unique prefix) or id")
    p.add_argument("--override", metavar="REASON", help="pass unmet gates (managers/owners)")
    p.add_argument("--as", dest="as_user", metavar="USER_EMAIL", help="acting user")
    p.add_argument("--reason", metavar="CODE", help="exit reason code (Lost/Disqualified/Nurture)")
    p.add_argument("--revisit", metavar="DATE", help="revisit date for bad_timing / went_cold")
    p.add_argument("--competitor", metavar="NAME", help="for lost_to_competitor")
    p.add_argument("--note", metavar="TEXT")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = registry.subcommand(
        "pipeline",
        "show",
        "stages in order with their criteria",
        pipeline_show,
        "pipeline commands",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _user_id(session: Any, ref: str | None) -> int | None:
    if not ref:
        return None
    from app.services.team.users import find_user

    user = find_user(session, ref)
    if user is None:
        raise CommandError(f"No user '{ref}'. Use an e-mail from `leadgate users list`.", 2)
    return user.id


def _values(pairs: list[str]) -> dict[str, str]:
    from app.services.leads.edit import FieldError, parse_assignments

    try:
        return parse_assignments(pairs)
    except FieldError as exc:
        raise CommandError(str(exc), 2) from None


def _lead_json(session: Any, ctx: CliContext, lead_id: int) -> dict[str, Any]:
    from app.models import Lead
    from app.services.leads.detail import get_lead_detail
    from app.services.pipeline.gates import unmet_current

    detail = get_lead_detail(session, lead_id)
    if detail is None:
        raise CommandError(f"There is no lead {lead_id}.", 1)
    lead = session.get(Lead, lead_id)
    data = detail.to_dict()
    unmet = unmet_current(session, lead, ctx.clock.now())
    data["unmet"] = [u.text for u in unmet]
    data["unmet_detail"] = [u.to_dict() for u in unmet]
    return data


def add(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.leads.edit import FieldError, create_lead
    from app.services.leads.hooks import on_leads_created
    from app.store.db import unit_of_work

    values = _values(args.values)
    store = ctx.store()
    with unit_of_work(store.session_factory) as session:
        by = _user_id(session, args.as_user)
        try:
            lead = create_lead(session, ctx.clock, values, by)
        except FieldError as exc:
            raise CommandError(str(exc), 2) from None
        on_leads_created(session, ctx.clock, [lead.id], by_user_id=by)
        lead_id = lead.id
    with store.session() as session:
        data = _lead_json(session, ctx, lead_id)
    if args.json:
        print_json(data)
    else:
        print(f"Created lead {lead_id}: {data['name']} in {data['stage']}")
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
    from app.services.leads.edit import FieldError, update_lead
    from app.services.leads.moves import MoveError
    from app.store.db import unit_of_work

    values = _values(args.values)
    if not values:
        raise CommandError("Nothing to update: pass --set FIELD=VALUE.", 2)
    store = ctx.store()
    with unit_of_work(store.session_factory) as session:
        by = _user_id(session, args.as_user)
        try:
            changed = update_lead(session, ctx.clock, args.id, values, by)
        except FieldError as exc:
            raise CommandError(str(exc), 2) from None
        except MoveError as exc:
            raise CommandError(str(exc), 1) from None
    with store.session() as session:
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
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def move(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.models import Lead
    from app.services.leads.moves import MoveError, find_stage, move_lead
    from app.services.pipeline.stages import list_stages
    from app.store.db import unit_of_work

    revisit = _parse_date(args.revisit)
    store = ctx.store()
    with unit_of_work(store.session_factory) as session:
        lead = session.get(Lead, args.id)
        if lead is None:
            raise CommandError(f"There is no lead {args.id}.", 1)
        stages = list_stages(session, lead.pipeline_id)
        stage = find_stage(stages, args.stage)
        if stage is None:
            names = ", ".join(s.name for s in stages)
            raise CommandError(f"No stage '{args.stage}'. Stages: {names}.", 2)
        by = _user_id(session, args.as_user)
        try:
            result = move_lead(
                session,
                ctx.clock,
                args.id,
                stage.id,
                by,
                None,
                override_reason=args.override,
                reason_code=args.reason,
                revisit_at=revisit,
                note=args.note,
                competitor=args.competitor,
                stages=stages,
            )
        except MoveError as exc:
            raise CommandError(str(exc), 1) from None
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


def pipeline_show(ctx: CliContext, args: argparse.Namespace) -> int:
    from app.services.pipeline.stages import ensure_default_pipeline, list_stages
    from app.store.db import unit_of_work

    with unit_of_work(ctx.store().session_factory) as session:
        ensure_default_pipeline(session)
        stages = list_stages(session)
    if args.json:
        print_json([s.to_dict() for s in stages])
        return 0
    for s in stages:
        extra = f"  stale after {s.stale_hours} h" if s.stale_hours else ""
        print(f"{s.position + 1}. {s.name} ({s.kind}, {s.win_probability:.0%}){extra}")
        for c in s.criteria:
            print(f"     - {c['label']}")
    return 0
