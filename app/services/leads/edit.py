"""Creating leads and editing their fields: typed columns first, gate facts in `details`.

Values arrive as text (CLI `--set FIELD=VALUE`, a line edit) or typed (a checkbox, a date
picker); `coerce` turns them into what the column or the gate expects, and says clearly what
is wrong when it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Integer, Numeric
from sqlalchemy.orm import Session

from app.clock import Clock
from app.models import Lead, LeadStatus, StageKind, StageTransition, TransitionKind
from app.services.errors import ActionError
from app.services.importing.validate import email_is_valid, normalize_phone
from app.services.leads.quality import incomplete_reasons
from app.services.leads.queries import display_name, normalize_email, record_lead_event, touch
from app.services.leads.transitions import MoveError, check_version
from app.services.pipeline.gates import FALSE_WORDS, TRUE_WORDS
from app.services.pipeline.stages import ensure_default_pipeline, list_stages
from app.services.team.users import find_user
from app.services.validation import (
    MAX_INT,
    InvalidInput,
    bounded_date,
    bounded_decimal,
    bounded_int,
    bounded_text,
    column_text,
)

# Typed columns a person may set directly. The rest (stage, status, score, version...) are
# owned by moves, scoring, routing and imports.
EDITABLE_COLUMNS = (
    "first_name",
    "last_name",
    "display_name",
    "email",
    "phone",
    "title",
    "company",
    "industry",
    "headcount",
    "country",
    "source",
    "event",
    "deal_value",
    "owner_id",
)
ALIASES = {
    "name": "display_name",
    "owner": "owner_id",
    "value": "deal_value",
    "role_in_purchase": "role",
}
# Qualifier answers a person may set (scoring reads timeframe and budget; the role in the
# purchase and the rating come from a badge scan or form): stored in lead.qualifiers.
QUALIFIER_EDITABLE = ("timeframe", "budget", "role", "rating")

# Facts the default gates and the detail panel know about, with their kind of value.
DETAIL_FIELDS: dict[str, str] = {
    "decision_role": "text",
    "timeline": "text",
    "contact_confirmed": "bool",
    "tech_stack": "text",
    "decision_maker": "text",
    "business_problem": "text",
    "technical_stakeholder": "text",
    "blocking_objection": "bool",
    "proposal_received": "bool",
    "review_date": "date",
    "signed_at": "date",
    "competitor": "text",
    "notes": "text",
    "timeframe": "text",
    "budget": "text",
}
# Hand-entered facts that scoring reads from the qualifiers (as a badge scan or form gives
# them): a stated timeline or budget counts for timing like an imported one.
SCORED_QUALIFIERS = {"timeline": "timeframe", "timeframe": "timeframe", "budget": "budget"}
_KIND_OF_CRITERION = {
    "checklist": "bool",
    "field_true": "bool",
    "field_false": "bool",
    "date_set": "date",
    "number_at_least": "number",
}


class FieldError(ActionError, ValueError):
    """A field name or value that cannot be stored, explained for the user."""

    exit_code = 2  # bad input, like a usage error


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # text, int, number, bool, date, user
    column: bool  # a typed Lead column (else lead.details or lead.qualifiers)
    qualifier: bool = False  # stored in lead.qualifiers


@dataclass(frozen=True)
class EditResult:
    """What an edit in place changed, and how the score moved (the panel shows the tier)."""

    lead_id: int
    changed: list[str]
    version: int
    score_before: int
    score: int
    tier_before: str | None
    tier: str | None

    @property
    def tier_changed(self) -> bool:
        return self.tier_before != self.tier

    def to_dict(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "changed": self.changed,
            "version": self.version,
            "score_before": self.score_before,
            "score": self.score,
            "tier_before": self.tier_before,
            "tier": self.tier,
        }


def gate_fields(session: Session) -> dict[str, str]:
    """Fields the pipeline's criteria ask about, with the kind of value each criterion needs."""
    found: dict[str, str] = {}

    def walk(criteria: list[dict[str, Any]]) -> None:
        for c in criteria:
            params = c.get("params") or {}
            if c["kind"] == "n_of_m":
                walk(list(params.get("criteria") or []))
                continue
            name = params.get("field") or params.get("item")
            if name:
                found.setdefault(name, _KIND_OF_CRITERION.get(c["kind"], "text"))

    for stage in list_stages(session):
        walk(stage.criteria)
    return found


def field_spec(session: Session | None, name: str) -> FieldSpec:
    name = ALIASES.get(name.strip(), name.strip())
    if name.startswith("qualifiers."):
        name = name.split(".", 1)[1]
        if name not in QUALIFIER_EDITABLE:
            raise FieldError(f"Unknown qualifier '{name}'. Known: {', '.join(QUALIFIER_EDITABLE)}.")
        return FieldSpec(name, "text", False, qualifier=True)
    if name in QUALIFIER_EDITABLE:
        # A gate that asks about the same name reads lead.details: the gate dialog's answer
        # must land where the gate looks (as before qualifiers were editable).
        asked = gate_fields(session) if session is not None else {}
        if name in asked:
            return FieldSpec(name, asked[name], False)
        return FieldSpec(name, "text", False, qualifier=True)
    if name.startswith("details."):
        key = name.split(".", 1)[1]
        if not key:
            raise FieldError("'details.' needs a name after the dot, e.g. details.budget=50k.")
        return FieldSpec(key, DETAIL_FIELDS.get(key, "text"), False)
    if name in EDITABLE_COLUMNS:
        col = Lead.__table__.columns[name]
        if name == "owner_id":
            kind = "user"
        elif isinstance(col.type, Integer):
            kind = "int"
        elif isinstance(col.type, Numeric):
            kind = "number"
        elif isinstance(col.type, Boolean):
            kind = "bool"
        else:
            kind = "text"
        return FieldSpec(name, kind, True)
    if name in DETAIL_FIELDS:
        return FieldSpec(name, DETAIL_FIELDS[name], False)
    extra = gate_fields(session) if session is not None else {}
    if name in extra:
        return FieldSpec(name, extra[name], False)
    known = sorted({*EDITABLE_COLUMNS, *ALIASES, *QUALIFIER_EDITABLE, *DETAIL_FIELDS, *extra})
    raise FieldError(
        f"Unknown field '{name}'. Known fields: {', '.join(known)} "
        "(or details.NAME for a custom fact)."
    )


def coerce(session: Session | None, spec: FieldSpec, value: Any) -> Any:
    """The value as the column or gate expects it; '' clears a field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = value.strip() if isinstance(value, str) else value
    if spec.name == "email" and not email_is_valid(str(text)):
        raise FieldError(f"'{text}' is not an e-mail address.")
    if spec.name == "phone" and normalize_phone(str(text)) is None:
        raise FieldError(f"'{text}' is not a phone number (too few digits).")
    if spec.kind == "user":
        if isinstance(text, int):
            return text
        if session is None:
            raise FieldError("Owner needs a store to look the user up.")
        user = find_user(session, str(text))
        if user is None:
            raise FieldError(f"No user '{text}'. Use an e-mail from `leadgate users list`.")
        return user.id
    if spec.kind == "int":
        return _valid(bounded_int, spec.name, text, 0, MAX_INT)
    if spec.kind == "number":
        if spec.column:
            col = Lead.__table__.columns[spec.name].type
            precision, scale = getattr(col, "precision", None), getattr(col, "scale", None)
            return _valid(bounded_decimal, spec.name, text, precision or 14, scale or 2)
        return _valid(bounded_decimal, spec.name, text, 18, 4)
    if spec.kind == "bool":
        if isinstance(text, bool):
            return text
        word = str(text).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise FieldError(f"{spec.name} must be yes or no, not '{text}'.")
    if spec.kind == "date":
        return _valid(bounded_date, spec.name, text).isoformat()
    if spec.column:
        return _valid(column_text, spec.name, text, Lead.__table__.columns[spec.name])
    return _valid(bounded_text, spec.name, text, MAX_DETAIL_TEXT)


MAX_DETAIL_TEXT = 10_000  # a fact in `details` (JSON): a note, not a document


def _valid(check: Any, *args: Any) -> Any:
    """A validation check whose refusal is this module's FieldError (exit code 2)."""
    try:
        return check(*args)
    except InvalidInput as exc:
        raise FieldError(str(exc)) from None


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """`FIELD=VALUE` strings into a dict (a value may itself contain '=')."""
    out: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise FieldError(f"'{pair}' is not FIELD=VALUE.")
        key, value = pair.split("=", 1)
        if not key.strip():
            raise FieldError(f"'{pair}' has no field name.")
        out[key.strip()] = value
    return out


def _apply(session: Session, lead: Lead, values: dict[str, Any]) -> list[str]:
    specs = [(field_spec(session, k), v) for k, v in values.items()]
    coerced = [(spec, coerce(session, spec, v)) for spec, v in specs]
    details = dict(lead.details or {})
    qualifiers = dict(lead.qualifiers or {})
    changed: list[str] = []
    for spec, value in coerced:
        if spec.qualifier:
            if qualifiers.get(spec.name) != value:
                if value is None:
                    qualifiers.pop(spec.name, None)
                else:
                    qualifiers[spec.name] = value
                changed.append(spec.name)
        elif spec.column:
            if getattr(lead, spec.name) != value:
                setattr(lead, spec.name, value)
                changed.append(spec.name)
            if spec.name == "email":
                lead.email_normalized = normalize_email(value)
            if spec.name == "phone":
                lead.phone_normalized = normalize_phone(value) if value else None
            if spec.name == "owner_id" and value is not None and lead.first_owner_id is None:
                lead.first_owner_id = value
        elif value is None:
            if details.pop(spec.name, None) is not None:
                changed.append(spec.name)
        elif details.get(spec.name) != value:
            details[spec.name] = value
            changed.append(spec.name)
    lead.details = details
    lead.qualifiers = qualifiers
    # Facts kept in details that scoring reads are mirrored (qualifier edits are stored above).
    _mirror_qualifiers(lead, [spec.name for spec, _ in coerced if not spec.qualifier], details)
    renamed = not lead.display_name or {"first_name", "last_name"} & set(changed)
    if renamed and "display_name" not in changed:
        lead.display_name = display_name(lead.first_name, lead.last_name, lead.display_name)
    return changed


def _mirror_qualifiers(lead: Lead, names: list[str], details: dict[str, Any]) -> None:
    qualifiers = dict(lead.qualifiers or {})
    for name in names:
        target = SCORED_QUALIFIERS.get(name)
        if target is None:
            continue
        value = details.get(name)
        if value is None:
            qualifiers.pop(target, None)
        else:
            qualifiers[target] = value
    if qualifiers != (lead.qualifiers or {}):
        lead.qualifiers = qualifiers


def create_lead(
    session: Session, clock: Clock, values: dict[str, Any], by_user: int | None = None
) -> Lead:
    """A new lead in the first stage of the default pipeline (the hooks are the caller's)."""
    pipeline = ensure_default_pipeline(session)
    stages = list_stages(session, pipeline.id)
    first = next((s for s in stages if s.kind == StageKind.OPEN), None)
    if first is None:
        raise MoveError("The pipeline has no open stage to put a new lead in.")
    now = clock.now()
    lead = Lead(
        pipeline_id=pipeline.id,
        stage_id=first.id,
        stage_entered_at=now,
        status=LeadStatus.OPEN,
        captured_at=now,
        created_at=now,
        details={},
        qualifiers={},
        display_name="",
    )
    _apply(session, lead, values)
    if not lead.display_name and not lead.email:
        raise FieldError(
            "Enter at least a name or an e-mail address (e.g. --set name='Ada Lovelace')."
        )
    if not lead.display_name:
        lead.display_name = lead.email or ""
    # Hand-entered like imported: without an e-mail, a company or a source it is incomplete.
    lead.incomplete = bool(incomplete_reasons(lead.email, lead.company, lead.source))
    touch(lead, clock, by_user)
    session.add(lead)
    session.flush()
    session.add(
        StageTransition(
            lead_id=lead.id,
            from_stage_id=None,
            to_stage_id=first.id,
            kind=TransitionKind.CREATED,
            at=now,
            by_user_id=by_user,
        )
    )
    session.flush()
    return lead


def update_lead(
    session: Session,
    clock: Clock,
    lead_id: int,
    values: dict[str, Any],
    by_user: int | None = None,
    expected_version: int | None = None,
) -> list[str]:
    """Set fields on a lead; returns the names that changed. Refuses a stale version."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise MoveError(f"There is no lead {lead_id}.")
    check_version(session, lead, expected_version)
    old_owner = lead.owner_id
    changed = _apply(session, lead, values)
    if {"email", "company", "source"} & set(changed):
        lead.incomplete = bool(
            incomplete_reasons(
                lead.email, lead.company, lead.source, need_source=lead.raw_row is None
            )
        )
    if changed:
        touch(lead, clock, by_user)
        record_lead_event(
            session,
            clock,
            lead.id,
            "fields_updated",
            by_user,
            text="Updated " + ", ".join(c.removesuffix("_id").replace("_", " ") for c in changed),
        )
        session.flush()
        from app.services.leads import hooks as lead_hooks

        if "owner_id" in changed:
            lead_hooks.on_lead_assigned(session, clock, lead.id, old_owner, lead.owner_id)
        lead_hooks.on_leads_changed(session, clock, [lead.id])  # facts feed the score
    return changed
