"""The in-memory store and its unit of work: copies while an operation runs, the store's on commit."""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import attrs

from tenderguard.domain.accounts import IdempotentReply, Operator
from tenderguard.domain.door import DoorScan
from tenderguard.domain.model import Admission, Agency, Badge, BidSession, Centre
from tenderguard.domain.outbox import OutboxItem
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.screening import Screening
from tenderguard.domain.signals import Signal
from tenderguard.domain.webhooks import Webhook, WebhookDelivery
from tenderguard.records.audit import AuditDraft, AuditEntry
from tenderguard.store.memory import accounts
from tenderguard.store.memory import repositories as repos
from tenderguard.store.memory import webhooks as hooks
from tenderguard.store.memory.door import DoorScans
from tenderguard.store.unit_of_work import AbstractUnitOfWork, repository

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]

T = TypeVar("T")


@attrs.define
class InMemoryStore:
    """The committed data of one centre, shared by the units of work (desks) that use it."""

    centre: Centre
    sessions: dict[str, BidSession] = attrs.field(factory=dict)
    agencies: dict[str, Agency] = attrs.field(factory=dict)
    #: Credit code → company name, and company-name key → credit code.
    companies: dict[str, str] = attrs.field(factory=dict)
    company_keys: dict[str, str] = attrs.field(factory=dict)
    screenings: dict[str, Screening] = attrs.field(factory=dict)
    admissions: dict[str, Admission] = attrs.field(factory=dict)
    badges: dict[str, Badge] = attrs.field(factory=dict)
    #: The last badge serial number given, per centre and day.
    sequences: dict[tuple[str, dt.date], int] = attrs.field(factory=dict)
    #: The last refusal-letter serial (文号) given, per centre and year.
    letter_sequences: dict[tuple[str, int], int] = attrs.field(factory=dict)
    calls: dict[int, ReminderCall] = attrs.field(factory=dict)
    outbox: dict[str, OutboxItem] = attrs.field(factory=dict)
    signals: dict[str, Signal] = attrs.field(factory=dict)
    settings: dict[str, str] = attrs.field(factory=dict)
    #: Operator accounts by name, API tokens by the SHA-256 of the token, kept replies by (operator, key).
    operators: dict[str, Operator] = attrs.field(factory=dict)
    tokens: dict[str, accounts.StoredToken] = attrs.field(factory=dict)
    idempotency: dict[tuple[str, str], IdempotentReply] = attrs.field(factory=dict)
    #: Webhook subscriptions by id, their deliveries by id.
    webhooks: dict[int, Webhook] = attrs.field(factory=dict)
    webhook_deliveries: dict[str, WebhookDelivery] = attrs.field(factory=dict)
    #: The hall doors' scans by nonce.
    door_scans: dict[str, DoorScan] = attrs.field(factory=dict)
    #: The sealed trail, and the entries committed but not sealed yet.
    audit_log: list[AuditEntry] = attrs.field(factory=list)
    audit_waiting: list[AuditDraft] = attrs.field(factory=list)
    lock: threading.RLock = attrs.field(factory=threading.RLock, eq=False, repr=False)

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A unit of work on this store (a ``uow_factory`` for :class:`~tenderguard.services.Gate`)."""
        return InMemoryUnitOfWork(self)


#: What a unit of work holds for a key it deleted.
_DELETED = object()


def _copy(obj: T) -> T:
    """A private copy of a stored object: changing it changes nothing in the store until it is committed."""
    if isinstance(obj, Screening):
        return obj.detached_copy()  # type: ignore[return-value]
    return copy.copy(obj)  # attrs classes of plain values (admissions, badges, outbox items, signals)


class InMemoryUnitOfWork(AbstractUnitOfWork):
    """A unit of work over an :class:`InMemoryStore`: copies while it runs, the store's on commit."""

    sessions = repository(repos.Sessions)
    agencies = repository(repos.Agencies)
    companies = repository(repos.Companies)
    screenings = repository(repos.Screenings)
    attendance = repository(repos.Attendance)
    badges = repository(repos.Badges)
    audit = repository(repos.Audit)
    retention = repository(repos.Retention)
    calls = repository(repos.Calls)
    outbox = repository(repos.Outbox)
    signals = repository(repos.Signals)
    settings = repository(repos.Settings)
    operators = repository(accounts.Operators)
    tokens = repository(accounts.Tokens)
    idempotency = repository(accounts.Idempotency)
    webhooks = repository(hooks.Webhooks)
    webhook_deliveries = repository(hooks.WebhookDeliveries)
    door_scans = repository(DoorScans)

    def __init__(self, store: InMemoryStore) -> None:
        """A unit of work on ``store``; nothing is read or locked before ``with``."""
        super().__init__()
        self.store = store
        #: Per table, the objects this operation loaded (copies) or added, by key; ``_DELETED`` for deletions.
        self.changes: dict[str, dict[Any, Any]] = {}
        #: Per screening handed out, how many of its step records are committed (the rest go to the trail).
        self._committed_records: dict[str, int] = {}
        #: The screenings handed out or added (their events are collected after the block).
        self._touched: dict[str, Screening] = {}

    def __enter__(self) -> InMemoryUnitOfWork:
        """Wait for the store, then begin with no changes."""
        self.store.lock.acquire()
        super().__enter__()
        self.changes, self._committed_records, self._touched = {}, {}, {}
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Forget whatever was not committed and let the next unit of work in."""
        try:
            super().__exit__(exc_type, exc, tb)
        finally:
            self.store.lock.release()

    # -- used by the repositories

    def _table(self, table: str) -> dict[Any, Any]:
        found: dict[Any, Any] = getattr(self.store, table)
        return found

    def get(self, table: str, key: Any) -> Any:
        """This operation's object under ``key`` (a copy of the stored one, made on first sight), or None."""
        mine = self.changes.setdefault(table, {})
        if key in mine:
            found = mine[key]
            return None if found is _DELETED else found
        stored = self._table(table).get(key)
        if stored is None:
            return None
        mine[key] = twin = _copy(stored)
        if isinstance(twin, Screening):
            self._committed_records.setdefault(twin.id, twin.steps)
            self._touched[twin.id] = twin
        return twin

    def put(self, table: str, key: Any, value: Any) -> None:
        """Add or replace an object (in the store when committed)."""
        self.changes.setdefault(table, {})[key] = value
        if isinstance(value, Screening):
            self._committed_records.setdefault(value.id, 0 if key not in self._table(table) else value.steps)
            self._touched[value.id] = value

    def delete(self, table: str, key: Any) -> None:
        """Delete an object (from the store when committed)."""
        self.changes.setdefault(table, {})[key] = _DELETED

    def select(self, table: str, wanted: Callable[[Any], bool]) -> list[Any]:
        """This operation's objects of a table that ``wanted`` accepts (copies made only of those)."""
        mine = self.changes.get(table, {})
        keys = [k for k, v in self._table(table).items() if k not in mine and wanted(v)]
        keys += [k for k, v in mine.items() if v is not _DELETED and wanted(v)]
        return [self.get(table, k) for k in keys]

    # -- the contract

    def commit(self) -> None:
        """Put every change into the store and queue the operation's audit entries."""
        records = []
        for screening in self.touched_screenings():
            first = self._committed_records.get(screening.id, 0)
            records += screening.records_after(first)
            self._committed_records[screening.id] = screening.steps
        self.store.audit_waiting += self.pending_audit(iter(records))
        self.audit_drafts = []
        self.queue_webhook_deliveries(self.store.centre.code)  # among this operation's changes
        for table, objects in self.changes.items():
            stored = self._table(table)
            for key, obj in objects.items():
                if obj is _DELETED:
                    stored.pop(key, None)
                else:
                    stored[key] = _copy(obj)  # the operation may go on changing its own copy after this commit
        self.webhook_queue_settled(committed=True)

    def rollback(self) -> None:
        """Forget every change since the last commit."""
        self.changes, self._committed_records = {}, {}
        self.webhook_queue_settled(committed=False)

    def compact(self) -> None:
        """Nothing is on disk in memory."""

    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation."""
        return iter(list(self._touched.values()))
