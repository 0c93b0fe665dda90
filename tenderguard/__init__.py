"""TenderGuard: the health-screening gate of a public-resource trading centre on bid-opening days.

Policy as data (:mod:`tenderguard.policy`), identities (:mod:`tenderguard.identity`), the screening state
machine and admission rules (:mod:`tenderguard.domain`), storage (:mod:`tenderguard.store`) and the desk's use
cases (:mod:`tenderguard.services`). Everything a host system needs is re-exported here.

The names are imported on first use, so a desk that screens in memory does not load the database, spreadsheet
or drawing libraries it never calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenderguard.domain.accounts import Operator, OperatorRole
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
        SessionStatus,
        SystemClock,
    )
    from tenderguard.domain.screening import Actor, Screening, StepRecord
    from tenderguard.errors import (
        AuthenticationError,
        ConflictError,
        InvalidInputError,
        InvalidTransitionError,
        NotFoundError,
        OverrideError,
        PolicyError,
        ScreeningError,
        SessionStatusError,
        StorageError,
        TenderGuardError,
        TooEarlyError,
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

#: Where each public name lives.
_HOMES: dict[str, str] = {
    "Abandoned": "tenderguard.domain.events",
    "Admitted": "tenderguard.domain.events",
    "BadgeIssued": "tenderguard.domain.events",
    "BadgeRevoked": "tenderguard.domain.events",
    "DomainEvent": "tenderguard.domain.events",
    "Exited": "tenderguard.domain.events",
    "OverrideApplied": "tenderguard.domain.events",
    "Referred": "tenderguard.domain.events",
    "Refused": "tenderguard.domain.events",
    "ScreeningStarted": "tenderguard.domain.events",
    "StepCompleted": "tenderguard.domain.events",
    "ScreeningMachine": "tenderguard.domain.machine",
    "Admission": "tenderguard.domain.model",
    "Agency": "tenderguard.domain.model",
    "Arrival": "tenderguard.domain.model",
    "Badge": "tenderguard.domain.model",
    "BidSession": "tenderguard.domain.model",
    "Centre": "tenderguard.domain.model",
    "Operator": "tenderguard.domain.accounts",
    "OperatorRole": "tenderguard.domain.accounts",
    "ManualClock": "tenderguard.domain.model",
    "Outcome": "tenderguard.domain.model",
    "Reason": "tenderguard.domain.model",
    "SessionStatus": "tenderguard.domain.model",
    "SystemClock": "tenderguard.domain.model",
    "Actor": "tenderguard.domain.screening",
    "Screening": "tenderguard.domain.screening",
    "StepRecord": "tenderguard.domain.screening",
    "AuthenticationError": "tenderguard.errors",
    "ConflictError": "tenderguard.errors",
    "InvalidInputError": "tenderguard.errors",
    "InvalidTransitionError": "tenderguard.errors",
    "NotFoundError": "tenderguard.errors",
    "OverrideError": "tenderguard.errors",
    "PolicyError": "tenderguard.errors",
    "ScreeningError": "tenderguard.errors",
    "SessionStatusError": "tenderguard.errors",
    "StorageError": "tenderguard.errors",
    "TenderGuardError": "tenderguard.errors",
    "TooEarlyError": "tenderguard.errors",
    "DocumentKind": "tenderguard.identity",
    "IdentityDocument": "tenderguard.identity",
    "company_key": "tenderguard.identity",
    "mask_document_number": "tenderguard.identity",
    "mask_name": "tenderguard.identity",
    "mask_phone": "tenderguard.identity",
    "normalise_company_name": "tenderguard.identity",
    "normalise_mobile": "tenderguard.identity",
    "parse_document": "tenderguard.identity",
    "validate_credit_code": "tenderguard.identity",
    "Policy": "tenderguard.policy",
    "Role": "tenderguard.policy",
    "list_presets": "tenderguard.policy",
    "load_policy": "tenderguard.policy",
    "load_preset": "tenderguard.policy",
    "AuditEntry": "tenderguard.records.audit",
    "ChainReport": "tenderguard.records.audit",
    "PurgeReport": "tenderguard.records.retention",
    "Desk": "tenderguard.services",
    "Gate": "tenderguard.services",
    "MessageBus": "tenderguard.services",
    "ScreeningView": "tenderguard.services",
    "InMemoryStore": "tenderguard.store",
    "InMemoryUnitOfWork": "tenderguard.store",
    "SchemaError": "tenderguard.store.schema",
    "SqlStore": "tenderguard.store.sql",
    "SqlUnitOfWork": "tenderguard.store.sql",
}

__all__ = [
    "Abandoned",
    "Actor",
    "Admission",
    "Admitted",
    "Agency",
    "Arrival",
    "AuditEntry",
    "AuthenticationError",
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
    "Operator",
    "OperatorRole",
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
    "SessionStatus",
    "SessionStatusError",
    "SqlStore",
    "SqlUnitOfWork",
    "StepCompleted",
    "StepRecord",
    "StorageError",
    "SystemClock",
    "TenderGuardError",
    "TooEarlyError",
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


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'tenderguard' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, as ``dir(tenderguard)`` and completion show them."""
    return sorted({*globals(), *__all__})
