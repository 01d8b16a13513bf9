"""ORM tables. Importing this package registers every table on `Base.metadata`."""

from app.models.activity import (
    Activity,
    ActivityStatus,
    ActivityType,
    Alert,
    Cadence,
    CadenceStep,
    EngagementEvent,
)
from app.models.audit import AuditEvent
from app.models.base import Base, Setting
from app.models.duplicates import DuplicateDismissal, LeadRedirect
from app.models.imports import ImportBatch, ImportChange, ImportMappingPreset
from app.models.lead import Account, Lead, LeadStatus
from app.models.people import Role, User, UserAbsence
from app.models.pipeline import (
    GateCriterion,
    Pipeline,
    Stage,
    StageKind,
    StageTransition,
    TransitionKind,
)
from app.models.reports import (
    ReportJourney,
    ReportJourneyQueue,
    ReportJourneyState,
    ReportStall,
    ReportStay,
)
from app.models.routing import RoutingRule
from app.models.sweeps import TeamSweep

__all__ = [
    "Account",
    "Activity",
    "ActivityStatus",
    "ActivityType",
    "Alert",
    "AuditEvent",
    "Base",
    "Cadence",
    "CadenceStep",
    "DuplicateDismissal",
    "EngagementEvent",
    "GateCriterion",
    "ImportBatch",
    "ImportChange",
    "ImportMappingPreset",
    "Lead",
    "LeadRedirect",
    "LeadStatus",
    "Pipeline",
    "ReportJourney",
    "ReportJourneyQueue",
    "ReportJourneyState",
    "ReportStall",
    "ReportStay",
    "Role",
    "RoutingRule",
    "Setting",
    "Stage",
    "StageKind",
    "StageTransition",
    "TeamSweep",
    "TransitionKind",
    "User",
    "UserAbsence",
]
