"""The unit of work: one business operation, one transaction — rolled back unless committed.

Repositories are plain interfaces (``typing.Protocol``): a backend provides one object per repository.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar, overload

from tenderguard.domain.events import BY_TIME, DomainEvent
from tenderguard.domain.model import Admission, Agency, Badge, BidSession
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.rules import AttendanceView
from tenderguard.domain.screening import Actor, Screening, StepRecord
from tenderguard.domain.signals import Signal
from tenderguard.records.audit import AuditDraft, AuditEntry, drafts_for
from tenderguard.records.retention import PurgeCounts
from tenderguard.store.account_repositories import IdempotencyRepository, OperatorRepository, TokenRepository
from tenderguard.store.door_repositories import DoorScanStore
from tenderguard.store.webhook_repositories import WebhookDeliveryRepository, WebhookQueue, WebhookRepository

__all__ = [
    "AbstractUnitOfWork",
    "AgencyRepository",
    "AttendanceRepository",
    "AuditRepository",
    "BadgeRepository",
    "CallRepository",
    "CompanyRepository",
    "IdempotencyRepository",
    "OperatorRepository",
    "OutboxRepository",
    "RetentionRepository",
    "ScreeningRepository",
    "SessionRepository",
    "SettingRepository",
    "SignalRepository",
    "TokenRepository",
    "WebhookDeliveryRepository",
    "WebhookRepository",
    "repository",
    "seal_all",
]

R = TypeVar("R")


class repository(Generic[R]):  # lower case, as ``property``: it reads as an attribute's declaration
    """A unit of work's repository, built on first use and then kept as the unit of work's own attribute.

    A desk operation touches two or three of the ten repositories; building only those keeps a unit of work —
    opened for every desk call — cheap. ``factory`` receives the unit of work.
    """

    def __init__(self, factory: Callable[[Any], R]) -> None:
        self.factory = factory
        self.name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        """Learn the attribute's name."""
        self.name = name

    @overload
    def __get__(self, uow: None, owner: type[Any] | None = None) -> repository[R]: ...
    @overload
    def __get__(self, uow: object, owner: type[Any] | None = None) -> R: ...
    def __get__(self, uow: object | None, owner: type[Any] | None = None) -> R | repository[R]:
        """The unit of work's repository, built now (on the class: the descriptor itself)."""
        if uow is None:
            return self
        built = self.factory(uow)
        uow.__dict__[self.name] = built  # later look-ups find the instance attribute and skip this descriptor
        return built


class SessionRepository(Protocol):
    """Bid sessions (开标场次) by code."""

    def add(self, session: BidSession) -> None:
        """Store a new session."""

    def get(self, code: str) -> BidSession | None:
        """The session with this code, or None."""

    def hold(self, code: str, *, change: bool = False) -> BidSession | None:
        """The session with this code (or None), locked until this unit of work ends (a database lock).

        Desks admitting for the session share the lock; a ``change`` (postponement, cancellation, edit) holds
        it alone, so a badge is issued either before the change (which then revokes it) or after it (which the
        desk then sees).
        """

    def all(self, day: dt.date | None = None) -> list[BidSession]:
        """Every session, or those opening on a (centre) day, by opening time."""

    def save(self, session: BidSession) -> None:
        """Write a registered session's changed details, opening and status (found by its code)."""


class AgencyRepository(Protocol):
    """Procurement agencies by code."""

    def add(self, agency: Agency) -> None:
        """Store a new agency."""

    def get(self, code: str) -> Agency | None:
        """The agency with this code, or None."""

    def all(self) -> list[Agency]:
        """Every agency, by code."""


class CompanyRepository(Protocol):
    """Companies, identified by their unified social credit code; the name is kept as first seen."""

    def get(self, credit_code: str) -> str | None:
        """The company name registered for a credit code."""

    def by_key(self, name_key: str) -> str | None:
        """The credit code registered for a company-name key (see ``identity.company_key``)."""

    def add(self, credit_code: str, name: str, name_key: str) -> None:
        """Register a company."""


class ScreeningRepository(Protocol):
    """Screenings, open and closed."""

    def add(self, screening: Screening) -> None:
        """Store a new screening."""

    def get(self, screening_id: str) -> Screening | None:
        """The screening with this id, or None."""

    def for_day(self, day: dt.date) -> list[Screening]:
        """The screenings opened on a centre day, in order."""

    def open(self) -> list[Screening]:
        """Screenings not yet closed (to resume after an interruption)."""

    def by_source(self, source: str) -> Screening | None:
        """The screening opened for a replayed record (a batch line's reference), if any."""

    def for_person(self, day: dt.date, person_key: str) -> list[Screening]:
        """The person's screenings opened on a centre day (matched by the keyed ID hash), in order."""

    def with_phone(self, day: dt.date, session: str, phone_key: str) -> list[Screening]:
        """The screenings of a session on a day whose visitor gave this mobile number (its keyed hash), in order."""

    def companies_before(self, day: dt.date, prefix: str, limit: int) -> list[tuple[str, str]]:
        """Companies (name, credit code) screened before ``day`` whose name starts with ``prefix``, by name."""

    def next_letter_serial(self, centre: str, year: int) -> int:
        """The next serial of the refusal letters' 文号 for the centre and year (1, 2, …; never given twice)."""


class AttendanceRepository(AttendanceView, Protocol):
    """Admissions of the day: who holds which place, who is inside which hall."""

    def add(self, admission: Admission) -> None:
        """Store a new admission."""

    def by_badge(self, serial: str) -> Admission | None:
        """The active admission holding a badge."""

    def for_day(self, day: dt.date) -> list[Admission]:
        """Every admission of a day, in order."""

    def save(self, admission: Admission) -> None:
        """Persist changes to an admission (exit, substitution)."""

    def hold_person(self, day: dt.date, person_key: str) -> None:
        """Make other desks deciding on the same person wait until this unit of work ends (a database lock)."""


class SettingRepository(Protocol):
    """What the database remembers about itself, by name (e.g. the ID-hash key's fingerprint)."""

    def get(self, name: str) -> str | None:
        """The value of a setting, or None."""

    def add(self, name: str, value: str) -> None:
        """Set a setting unless it is set already (the first writer wins; read it again to see which)."""


class SignalRepository(Protocol):
    """Signals for the supervisor, one per day and key."""

    def add(self, signal: Signal) -> None:
        """Store a new signal."""

    def get(self, signal_id: str) -> Signal | None:
        """The signal with this id, or None."""

    def find(self, day: dt.date, key: str) -> Signal | None:
        """The day's signal with this key (see ``signal_key``), or None."""

    def for_day(self, day: dt.date) -> list[Signal]:
        """The signals raised on a day, in the order they were raised."""

    def save(self, signal: Signal) -> None:
        """Persist a decision on a signal."""


class BadgeRepository(Protocol):
    """Badges and their serial sequence per centre and day."""

    def add(self, badge: Badge) -> None:
        """Store a new badge."""

    def get(self, serial: str) -> Badge | None:
        """The badge with this serial, or None."""

    def save(self, badge: Badge) -> None:
        """Persist changes to a badge (revocation, reprint)."""

    def next_sequence(self, centre: str, day: dt.date) -> int:
        """The next serial number of the day (1, 2, 3…), never reused."""

    def for_day(self, day: dt.date) -> list[Badge]:
        """The badges of a day, by serial."""


class AuditRepository(Protocol):
    """The tamper-evident audit trail: entries are appended in order when a unit of work commits."""

    def record(self, draft: AuditDraft) -> None:
        """Add an entry of this operation (an export, a purge, a reprint…); it is chained on commit."""

    def entries(self, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[AuditEntry]:
        """Sealed entries after a sequence number, in order; only those at or after ``since`` and before ``until``."""

    def head(self) -> tuple[int, str]:
        """The last sequence number and hash written."""

    def about(self, subject: str, kind: str | None = None) -> list[AuditEntry]:
        """The entries about a subject (a screening id, a badge serial…), optionally of one kind, in order.

        Entries not sealed into the chain yet are included, with ``seq`` 0.
        """

    def pending(self) -> int:
        """How many entries are written but not sealed into the chain yet."""

    def seal(self, limit: int = 5_000, *, wait: bool = True) -> int:
        """Give up to ``limit`` unsealed entries their place in the chain; returns how many (0: none waiting)."""


class CallRepository(Protocol):
    """The log of reminder calls to agencies."""

    def add(self, call: ReminderCall) -> None:
        """Log a call."""

    def for_agencies(self, codes: Iterable[str]) -> list[ReminderCall]:
        """The calls to these agencies, oldest first."""


class OutboxRepository(Protocol):
    """Notices waiting to be emailed, and what became of them."""

    def add(self, item: OutboxItem) -> bool:
        """Queue an item; False when one with the same key is already queued (it is never queued twice)."""

    def get(self, key: str) -> OutboxItem | None:
        """The item with this key."""

    def items(self, statuses: Iterable[OutboxStatus] | None = None) -> list[OutboxItem]:
        """Items (of some statuses), oldest first."""

    def claim(self, item: OutboxItem, at: dt.datetime) -> bool:
        """Mark a sendable item ``sending`` unless another sender claimed it first."""

    def save(self, item: OutboxItem) -> None:
        """Write an item's new status."""


class RetentionRepository(Protocol):
    """Deleting what the retention periods say must go (see :mod:`tenderguard.records.retention`)."""

    def purge(self, *, health_before: dt.date, attendance_before: dt.date, at: dt.datetime,
              dry_run: bool) -> PurgeCounts:
        """Scrub health data of days before ``health_before``; delete days before ``attendance_before``."""


class AbstractUnitOfWork(WebhookQueue, DoorScanStore, abc.ABC):
    """One business operation: ``with uow: ...; uow.commit()`` — anything not committed is rolled back."""

    sessions: SessionRepository
    agencies: AgencyRepository
    companies: CompanyRepository
    screenings: ScreeningRepository
    attendance: AttendanceRepository
    badges: BadgeRepository
    audit: AuditRepository
    retention: RetentionRepository
    calls: CallRepository
    outbox: OutboxRepository
    signals: SignalRepository
    settings: SettingRepository
    operators: OperatorRepository
    tokens: TokenRepository
    idempotency: IdempotencyRepository
    webhooks: WebhookRepository
    webhook_deliveries: WebhookDeliveryRepository

    def __init__(self) -> None:
        """Start with no pending events."""
        self.events: list[DomainEvent] = []
        #: The desk and operator doing the operation (recorded on its audit entries), when one is.
        self.actor: Actor | None = None
        self.audit_drafts: list[AuditDraft] = []
        self.forget_webhook_queue()

    def __enter__(self) -> Self:
        """Begin the operation."""
        self.events = []
        self.actor = None
        self.audit_drafts = []
        self.forget_webhook_queue()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed."""
        self.rollback()

    @abc.abstractmethod
    def compact(self) -> None:
        """After a purge, outside the transaction: leave nothing deleted on disk (a database store rebuilds)."""

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the operation's changes durable and visible to other desks."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard the operation's uncommitted changes."""

    @abc.abstractmethod
    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation (to collect their events)."""

    def pending_audit(self, new_records: Iterator[StepRecord]) -> list[AuditDraft]:
        """The audit entries of this operation: new step records, badge/exit/override events, explicit entries."""
        actor = self.actor
        return drafts_for(new_records, self.events, self.audit_drafts, desk=actor.desk if actor else None,
                          operator=actor.operator if actor else None)

    def collect_new_events(self) -> list[DomainEvent]:
        """Take the events raised by this operation, in order (screenings' first, then the operation's own)."""
        collected: list[DomainEvent] = []
        for screening in self.touched_screenings():
            if screening.events:
                collected += screening.events
                screening.events.clear()
        if self.events:
            collected += self.events
            self.events = []
        if len(collected) > 1:
            collected.sort(key=BY_TIME)
        return collected


def seal_all(uow_factory: Callable[[], AbstractUnitOfWork]) -> int:
    """Seal every unsealed audit entry, in transactions of up to 5,000 entries; returns how many."""
    sealed = 0
    while True:
        with uow_factory() as uow:
            done = uow.audit.seal()
            uow.commit()
        sealed += done
        if not done:
            return sealed
