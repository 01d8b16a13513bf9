"""Who may do what: one table of role -> permissions, checked by every API function.

The UI asks `can()` to hide what a role may not do, the CLI and the services call `require()`
before any work; on a shared PostgreSQL store the server enforces the same table (group roles,
GRANTs, row-level security), so no path gives a rep more than this table says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.models import Role
from app.services.errors import ActionError


class Perm(enum.StrEnum):
    LEAD_VIEW = "lead.view"
    LEAD_CREATE = "lead.create"
    LEAD_EDIT = "lead.edit"  # fields, contacts, follow-ups of a lead
    LEAD_MOVE = "lead.move"
    GATE_OVERRIDE = "gate.override"
    LEAD_CLAIM = "lead.claim"  # take an unassigned lead for oneself
    LEAD_ASSIGN = "lead.assign"  # (re)assign leads to anyone, run routing
    LEAD_RESCORE = "lead.rescore"
    IMPORT = "import.run"
    IMPORT_UNDO = "import.undo"
    EXPORT = "export.run"
    PIPELINE_EDIT = "pipeline.edit"
    SCORING_EDIT = "scoring.edit"
    ROUTING_EDIT = "routing.edit"
    SETTINGS_EDIT = "settings.edit"  # follow-up settings, cadences, SLA windows
    USERS_EDIT = "users.edit"
    REPORTS_VIEW = "reports.view"
    SWEEP_RUN = "timers.sweep"
    DEMO_BUILD = "demo.build"


_REP = frozenset(
    {
        Perm.LEAD_VIEW,
        Perm.LEAD_CREATE,
        Perm.LEAD_EDIT,
        Perm.LEAD_MOVE,
        Perm.LEAD_CLAIM,
        Perm.IMPORT,
        Perm.EXPORT,
        Perm.REPORTS_VIEW,
        Perm.SWEEP_RUN,
    }
)
_MANAGER = _REP | {
    Perm.GATE_OVERRIDE,
    Perm.LEAD_ASSIGN,
    Perm.LEAD_RESCORE,
    Perm.IMPORT_UNDO,
    Perm.PIPELINE_EDIT,
    Perm.SCORING_EDIT,
    Perm.ROUTING_EDIT,
    Perm.SETTINGS_EDIT,
    Perm.USERS_EDIT,
}
_OWNER = _MANAGER | {Perm.DEMO_BUILD}

PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.REP: _REP,
    Role.MANAGER: _MANAGER,
    Role.OWNER: _OWNER,
}

# What a refusal says: the action in words, for "Only a manager or the owner can ...".
ACTIONS: dict[Perm, str] = {
    Perm.LEAD_VIEW: "see leads",
    Perm.LEAD_CREATE: "create leads",
    Perm.LEAD_EDIT: "edit leads",
    Perm.LEAD_MOVE: "move leads",
    Perm.GATE_OVERRIDE: "override a gate",
    Perm.LEAD_CLAIM: "take a lead",
    Perm.LEAD_ASSIGN: "assign or reassign leads",
    Perm.LEAD_RESCORE: "rescore every lead",
    Perm.IMPORT: "import leads",
    Perm.IMPORT_UNDO: "undo an import",
    Perm.EXPORT: "export leads",
    Perm.PIPELINE_EDIT: "change the pipeline and its gates",
    Perm.SCORING_EDIT: "change the scoring rules",
    Perm.ROUTING_EDIT: "change the routing rules",
    Perm.SETTINGS_EDIT: "change the follow-up settings",
    Perm.USERS_EDIT: "change the team",
    Perm.REPORTS_VIEW: "see reports",
    Perm.SWEEP_RUN: "run the timers",
    Perm.DEMO_BUILD: "build demo data",
}


class PermissionDenied(ActionError):
    """The actor's role does not allow this action. The message is one sentence for the user."""

    exit_code = 4

    def __init__(self, message: str, perm: Perm | None = None) -> None:
        super().__init__(message)
        self.perm = perm


@dataclass(frozen=True)
class Actor:
    """Who is doing an action: a team member, or the system (timers, migrations, demo)."""

    user_id: int | None
    name: str
    role: str

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.OWNER, Role.MANAGER)

    @classmethod
    def system(cls, name: str = "Leadgate") -> Actor:
        """The timers and other automatic work: every permission, audited as nobody."""
        return cls(None, name, Role.OWNER)


def can(actor: Actor, perm: Perm) -> bool:
    return perm in PERMISSIONS.get(actor.role, frozenset())


def who_can(perm: Perm) -> str:
    roles = [r for r in (Role.MANAGER, Role.OWNER, Role.REP) if perm in PERMISSIONS[r]]
    if Role.REP in roles:
        return "any team member"
    return "a manager or the owner" if Role.MANAGER in roles else "the owner"


def require(actor: Actor, perm: Perm) -> None:
    """Raise PermissionDenied (one clear sentence) unless the actor's role has `perm`."""
    if not can(actor, perm):
        raise PermissionDenied(
            f"Only {who_can(perm)} can {ACTIONS[perm]}; {actor.name} is a {actor.role}.", perm
        )
