"""In-memory repositories and unit of work: a plain fake of the database store.

For tests, and for the library used without a database. The store holds the committed objects. A unit of work
works on copies: what it loads is copied, what it adds is kept aside, and only
:meth:`~InMemoryUnitOfWork.commit` puts them into the store — so rolling back (or leaving without a commit) is
forgetting the copies, the contract a database transaction gives. Units of work run one at a time (the store's
lock is held from ``with`` to the block's end), as desks take turns at SQLite's write lock. A commit queues the
operation's audit entries; sealing (``Gate.seal_audit``) chains them, as in the SQL store.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, TypeVar

import attrs

from tenderguard.domain.model import Admission, AdmissionStatus, Agency, Badge, BidSession, Centre
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.screening import Screening
from tenderguard.domain.signals import Signal
from tenderguard.identity import mask_name
from tenderguard.policy import Role
from tenderguard.records.audit import GENESIS, AuditDraft, AuditEntry, chain
from tenderguard.records.retention import HEALTH_REASONS, PURGED_REASON, PurgeCounts, without_rest
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
    calls: dict[int, ReminderCall] = attrs.field(factory=dict)
    outbox: dict[str, OutboxItem] = attrs.field(factory=dict)
    signals: dict[str, Signal] = attrs.field(factory=dict)
    settings: dict[str, str] = attrs.field(factory=dict)
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
        twin = copy.copy(obj)
        twin.records, twin.supplies, twin.events = list(obj.records), dict(obj.supplies), []
        twin._machine = None  # a copy is bound to no machine
        return twin
    return copy.copy(obj)  # attrs classes of plain values (admissions, badges, outbox items, signals)


class _Repo:
    """A repository over one of the store's tables (a dict), seen through the unit of work's copies."""

    table = ""

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self.uow = uow
        self.store = uow.store

    def _get(self, key: Any) -> Any:
        return self.uow.get(self.table, key)

    def _put(self, key: Any, value: Any) -> None:
        self.uow.put(self.table, key, value)

    def _select(self, wanted: Callable[[Any], bool]) -> list[Any]:
        return self.uow.select(self.table, wanted)


class _Sessions(_Repo):
    table = "sessions"

    def add(self, session: BidSession) -> None:
        self._put(session.code, session)

    def get(self, code: str) -> BidSession | None:
        found: BidSession | None = self._get(code)
        return found

    def all(self, day: dt.date | None = None) -> list[BidSession]:
        day_of = self.store.centre.day_of
        found = self._select(lambda s: day is None or day_of(s.opens_at) == day)
        return sorted(found, key=lambda s: (s.opens_at, s.code))


class _Agencies(_Repo):
    table = "agencies"

    def add(self, agency: Agency) -> None:
        self._put(agency.code, agency)

    def get(self, code: str) -> Agency | None:
        found: Agency | None = self._get(code)
        return found

    def all(self) -> list[Agency]:
        return sorted(self._select(lambda _a: True), key=lambda a: a.code)


class _Companies(_Repo):
    table = "companies"

    def get(self, credit_code: str) -> str | None:
        found: str | None = self._get(credit_code)
        return found

    def by_key(self, name_key: str) -> str | None:
        found: str | None = self.uow.get("company_keys", name_key)
        return found

    def add(self, credit_code: str, name: str, name_key: str) -> None:
        self._put(credit_code, name)
        self.uow.put("company_keys", name_key, credit_code)


class _Screenings(_Repo):
    table = "screenings"

    def add(self, screening: Screening) -> None:
        self._put(screening.id, screening)

    def get(self, screening_id: str) -> Screening | None:
        found: Screening | None = self._get(screening_id)
        return found

    def _ordered(self, wanted: Callable[[Screening], bool]) -> list[Screening]:
        return sorted(self._select(wanted), key=lambda s: s.opened_at)

    def for_day(self, day: dt.date) -> list[Screening]:
        day_of = self.store.centre.day_of
        return self._ordered(lambda s: day_of(s.opened_at) == day)

    def open(self) -> list[Screening]:
        return self._ordered(lambda s: not s.closed)

    def by_source(self, source: str) -> Screening | None:
        found = self._select(lambda s: s.source == source)
        return found[0] if found else None

    def for_person(self, day: dt.date, person_key: str) -> list[Screening]:
        day_of = self.store.centre.day_of
        return self._ordered(lambda s: s.person_key == person_key and day_of(s.opened_at) == day)

    def with_phone(self, day: dt.date, session: str, phone_key: str) -> list[Screening]:
        day_of = self.store.centre.day_of
        return self._ordered(lambda s: s.visitor.session == session and s.visitor.phone_key == phone_key
                             and day_of(s.opened_at) == day)


class _Audit(_Repo):
    def record(self, draft: AuditDraft) -> None:
        self.uow.audit_drafts.append(draft)

    def entries(self, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[AuditEntry]:
        found = [e for e in self.store.audit_log[after:]
                 if (since is None or e.at >= since) and (until is None or e.at < until)]
        return found if limit is None else found[:limit]

    def head(self) -> tuple[int, str]:
        log = self.store.audit_log
        return (log[-1].seq, log[-1].hash) if log else (0, GENESIS)

    def about(self, subject: str, kind: str | None = None) -> list[AuditEntry]:
        waiting = [AuditEntry(seq=0, at=d.at, kind=d.kind, subject=d.subject, desk=d.desk, operator=d.operator,
                              payload=d.payload, prev_hash="", hash="") for d in self.store.audit_waiting]
        return [e for e in [*self.store.audit_log, *waiting] if e.subject == subject and kind in (None, e.kind)]

    def pending(self) -> int:
        return len(self.store.audit_waiting)

    def seal(self, limit: int = 5_000, *, wait: bool = True) -> int:
        """Chain up to ``limit`` waiting entries, in the order they were committed (sealing is not undone)."""
        waiting = self.store.audit_waiting
        drafts = waiting[:limit]
        if drafts:
            seq, last = self.head()
            self.store.audit_log.extend(chain(drafts, seq, last))
            del waiting[:limit]
        return len(drafts)


class _Attendance(_Repo):
    table = "admissions"

    def add(self, admission: Admission) -> None:
        self._put(admission.id, admission)

    def save(self, admission: Admission) -> None:
        self._put(admission.id, admission)

    def _ordered(self, wanted: Callable[[Admission], bool]) -> list[Admission]:
        return sorted(self._select(wanted), key=lambda a: a.at)

    def for_day(self, day: dt.date) -> list[Admission]:
        return self._ordered(lambda a: a.day == day)

    def by_badge(self, serial: str) -> Admission | None:
        found = self._ordered(lambda a: a.badge == serial and a.status is AdmissionStatus.ACTIVE)
        return found[0] if found else None

    def for_person(self, day: dt.date, person_key: str) -> list[Admission]:
        return self._ordered(lambda a: a.day == day and a.person_key == person_key)

    def hold_person(self, day: dt.date, person_key: str) -> None:
        """Units of work take turns on the store's lock: nothing more to wait for."""

    def active_for_organisation(self, day: dt.date, organisation: str, role: Role, *,
                                deciding: bool = False) -> list[Admission]:
        return self._ordered(lambda a: a.day == day and a.organisation == organisation and a.role == role
                             and a.status is AdmissionStatus.ACTIVE)

    def inside(self, day: dt.date, hall: str, *, deciding: bool = False) -> int:
        return len(self._select(lambda a: a.day == day and a.hall == hall and a.inside
                                and a.status is AdmissionStatus.ACTIVE))


class _Badges(_Repo):
    table = "badges"

    def add(self, badge: Badge) -> None:
        self._put(badge.serial, badge)

    def get(self, serial: str) -> Badge | None:
        found: Badge | None = self._get(serial)
        return found

    def save(self, badge: Badge) -> None:
        self._put(badge.serial, badge)

    def next_sequence(self, centre: str, day: dt.date) -> int:
        value: int = (self.uow.get("sequences", (centre, day)) or 0) + 1
        self.uow.put("sequences", (centre, day), value)
        return value

    def for_day(self, day: dt.date) -> list[Badge]:
        return sorted(self._select(lambda b: b.day == day), key=lambda b: b.serial)


class _Calls(_Repo):
    table = "calls"

    def add(self, call: ReminderCall) -> None:
        number = len(self.store.calls) + len(self.uow.changes.get("calls", {})) + 1
        self._put(number, attrs.evolve(call, id=number))

    def for_agencies(self, codes: Iterable[str]) -> list[ReminderCall]:
        wanted = set(codes)
        return sorted(self._select(lambda c: c.agency in wanted), key=lambda c: c.id)


class _Outbox(_Repo):
    table = "outbox"

    def add(self, item: OutboxItem) -> bool:
        if self._get(item.key) is not None:
            return False
        item.id = len(self.store.outbox) + len(self.uow.changes.get("outbox", {})) + 1
        self._put(item.key, item)
        return True

    def get(self, key: str) -> OutboxItem | None:
        found: OutboxItem | None = self._get(key)
        return found

    def items(self, statuses: Iterable[OutboxStatus] | None = None) -> list[OutboxItem]:
        wanted = set(statuses) if statuses is not None else None
        return sorted(self._select(lambda i: wanted is None or i.status in wanted), key=lambda i: i.id)

    def claim(self, item: OutboxItem, at: dt.datetime) -> bool:
        stored: OutboxItem | None = self._get(item.key)
        if stored is None or not stored.status.sendable:
            return False
        item.status, item.claimed_at, item.attempts = OutboxStatus.SENDING, at, stored.attempts + 1
        self._put(item.key, item)
        return True

    def save(self, item: OutboxItem) -> None:
        self._put(item.key, item)


class _Signals(_Repo):
    table = "signals"

    def add(self, signal: Signal) -> None:
        self._put(signal.id, signal)

    def get(self, signal_id: str) -> Signal | None:
        found: Signal | None = self._get(signal_id)
        return found

    def find(self, day: dt.date, key: str) -> Signal | None:
        found = self.for_day(day)
        return next((s for s in found if s.key == key), None)

    def for_day(self, day: dt.date) -> list[Signal]:
        return sorted(self._select(lambda s: s.day == day), key=lambda s: s.raised_at)

    def save(self, signal: Signal) -> None:
        self._put(signal.id, signal)


class _Settings(_Repo):
    table = "settings"

    def get(self, name: str) -> str | None:
        found: str | None = self._get(name)
        return found

    def add(self, name: str, value: str) -> None:
        if self._get(name) is None:
            self._put(name, value)


class _Retention(_Repo):
    """The purge, through the unit of work's copies like every other change."""

    def purge(self, *, health_before: dt.date, attendance_before: dt.date, at: dt.datetime,
              dry_run: bool) -> PurgeCounts:
        uow, day_of = self.uow, self.store.centre.day_of
        scrub: list[Screening] = uow.select("screenings", lambda s: attendance_before <= day_of(s.opened_at)
                                            < health_before and s.health_purged_at is None)
        old: list[Screening] = uow.select("screenings", lambda s: day_of(s.opened_at) < attendance_before)
        old_admissions: list[Admission] = uow.select("admissions", lambda a: a.day < attendance_before)
        old_badges: list[Badge] = uow.select("badges", lambda b: b.day < attendance_before)
        old_signals: list[Signal] = uow.select("signals", lambda g: g.day < attendance_before)
        counts = PurgeCounts(
            screenings_scrubbed=len(scrub), health_steps_deleted=sum(r.sensitive for s in scrub for r in s.records),
            screenings_deleted=len(old), steps_deleted=sum(len(s.records) for s in old),
            admissions_deleted=len(old_admissions), badges_deleted=len(old_badges),
            signals_deleted=len(old_signals),
        )
        if dry_run:
            return counts
        for s in scrub:
            s.keep_records([attrs.evolve(r, state_from=without_rest(r.state_from), state_to=without_rest(r.state_to))
                            for r in s.records if not r.sensitive])
            s.visitor = attrs.evolve(s.visitor, name=mask_name(s.visitor.name), phone_masked=None, phone_key=None,
                                     document_number=None)
            if s.reason in HEALTH_REASONS:
                s.reason = PURGED_REASON
            s.fevers = s.measuring_errors = 0
            s.rest_until, s.health_purged_at = None, at
        gone: list[tuple[str, Any]] = [("screenings", s.id) for s in old]
        gone += [("admissions", a.id) for a in old_admissions]
        gone += [("badges", b.serial) for b in old_badges]
        gone += [("signals", g.id) for g in old_signals]
        for table, key in gone:
            uow.delete(table, key)
        return counts


class InMemoryUnitOfWork(AbstractUnitOfWork):
    """A unit of work over an :class:`InMemoryStore`: copies while it runs, the store's on commit."""

    sessions = repository(_Sessions)
    agencies = repository(_Agencies)
    companies = repository(_Companies)
    screenings = repository(_Screenings)
    attendance = repository(_Attendance)
    badges = repository(_Badges)
    audit = repository(_Audit)
    retention = repository(_Retention)
    calls = repository(_Calls)
    outbox = repository(_Outbox)
    signals = repository(_Signals)
    settings = repository(_Settings)

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
            self._committed_records.setdefault(twin.id, len(twin.records))
            self._touched[twin.id] = twin
        return twin

    def put(self, table: str, key: Any, value: Any) -> None:
        """Add or replace an object (in the store when committed)."""
        self.changes.setdefault(table, {})[key] = value
        if isinstance(value, Screening):
            self._committed_records.setdefault(value.id, 0 if key not in self._table(table) else len(value.records))
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
            records += screening.records[first:]
            self._committed_records[screening.id] = len(screening.records)
        self.store.audit_waiting += self.pending_audit(iter(records))
        self.audit_drafts = []
        for table, objects in self.changes.items():
            stored = self._table(table)
            for key, obj in objects.items():
                if obj is _DELETED:
                    stored.pop(key, None)
                else:
                    stored[key] = _copy(obj)  # the operation may go on changing its own copy after this commit

    def rollback(self) -> None:
        """Forget every change since the last commit."""
        self.changes, self._committed_records = {}, {}

    def compact(self) -> None:
        """Nothing is on disk in memory."""

    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation."""
        return iter(list(self._touched.values()))
