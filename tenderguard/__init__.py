"""TenderGuard: the health-screening gate of a public-resource trading centre on bid-opening days.

Policy as data (:mod:`tenderguard.policy`), identities (:mod:`tenderguard.identity`), the screening state
machine and admission rules (:mod:`tenderguard.domain`), storage (:mod:`tenderguard.store`) and the desk's use
cases (:mod:`tenderguard.services`). Everything a host system needs is re-exported here.
"""

from tenderguard.domain.events import (
    Abandoned,
    Admitted,
    BadgeIssued,
    BadgeRevoked,
    DomainEvent,
    Exited,
    OverrideApplied,
    Referred,
    Refused,
    ScreeningStarted,
    StepCompleted,
)
from tenderguard.domain.machine import ScreeningMachine
from tenderguard.domain.model import (
    Admission,
    Agency,
    Arrival,
    Badge,
    BidSession,
    Centre,
    ManualClock,
    Outcome,
    Reason,
    SystemClock,
)
from tenderguard.domain.screening import Actor, Screening, StepRecord
from tenderguard.errors import (
    ConflictError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
    OverrideError,
    PolicyError,
    ScreeningError,
    TenderGuardError,
)
from tenderguard.identity import (
    DocumentKind,
    IdentityDocument,
    company_key,
    mask_document_number,
    mask_name,
    mask_phone,
    normalise_company_name,
    normalise_mobile,
    parse_document,
    validate_credit_code,
)
from tenderguard.policy import Policy, Role, list_presets, load_policy, load_preset
from tenderguard.records.audit import AuditEntry, ChainReport
from tenderguard.records.retention import PurgeReport
from tenderguard.services import Desk, Gate, MessageBus, ScreeningView
from tenderguard.store import InMemoryStore, InMemoryUnitOfWork
from tenderguard.store.schema import SchemaError
from tenderguard.store.sql import SqlStore, SqlUnitOfWork

__version__ = "0.1.0"

__all__ = [
    "Abandoned",
    "Actor",
    "Admission",
    "Admitted",
    "Agency",
    "Arrival",
    "AuditEntry",
    "Badge",
    "BadgeIssued",
    "BadgeRevoked",
    "BidSession",
    "Centre",
    "ChainReport",
    "ConflictError",
    "Desk",
    "DocumentKind",
    "DomainEvent",
    "Exited",
    "Gate",
    "IdentityDocument",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InvalidInputError",
    "InvalidTransitionError",
    "ManualClock",
    "MessageBus",
    "NotFoundError",
    "Outcome",
    "OverrideApplied",
    "OverrideError",
    "Policy",
    "PolicyError",
    "PurgeReport",
    "Reason",
    "Referred",
    "Refused",
    "Role",
    "SchemaError",
    "Screening",
    "ScreeningError",
    "ScreeningMachine",
    "ScreeningStarted",
    "ScreeningView",
    "SqlStore",
    "SqlUnitOfWork",
    "StepCompleted",
    "StepRecord",
    "SystemClock",
    "TenderGuardError",
    "__version__",
    "company_key",
    "list_presets",
    "load_policy",
    "load_preset",
    "mask_document_number",
    "mask_name",
    "mask_phone",
    "normalise_company_name",
    "normalise_mobile",
    "parse_document",
    "validate_credit_code",
]
