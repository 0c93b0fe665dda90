"""In-memory repositories and unit of work: fast, for tests, benchmarks and a library used without a database.

The store keeps live objects. A unit of work snapshots every object it hands out and undoes what it added, so
``rollback`` really restores the state before the operation — the same contract a database transaction gives.
As in the SQL store, a commit only queues its audit material; sealing (``Gate.seal_audit``, ``verify_audit``)
chains it, off the desk's path.
"""

from __future__ import annotations

import datetime as dt
import operator
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

import attrs

from tenderguard.domain.events import BY_TIME
from tenderguard.domain.model import Admission, AdmissionStatus, Agency, Badge, BidSession, Centre
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.screening import Screening
from tenderguard.domain.signals import Signal
from tenderguard.identity import mask_name
from tenderguard.policy import Role
from tenderguard.records.audit import GENESIS, AuditDraft, AuditEntry, audited, chain, drafts_for
from tenderguard.records.retention import HEALTH_REASONS, PURGED_REASON, PurgeCounts, without_rest
from tenderguard.store.unit_of_work import AbstractUnitOfWork, repository

__all__ = ["InMemoryStore", "InMemoryUnitOfWork"]


@attrs.define
class InMemoryStore:
    """The committed data of one centre, shared by the units of work (desks) that use it."""

    centre: Centre
    sessions: dict[str, BidSession] = attrs.field(factory=dict)
    agencies: dict[str, Agency] = attrs.field(factory=dict)
    companies: dict[str, str] = attrs.field(factory=dict)
    company_keys: dict[str, str] = attrs.field(factory=dict)
    screenings: dict[str, Screening] = attrs.field(factory=dict)
    screenings_by_day: dict[dt.date, list[str]] = attrs.field(factory=lambda: defaultdict(list))
    admissions: dict[str, Admission] = attrs.field(factory=dict)
    admissions_by_day: dict[dt.date, list[str]] = attrs.field(factory=lambda: defaultdict(list))
    #: Indexes over the admissions' fixed fields: (day, person key), (day, organisation, role), badge serial. Each
    #: holds a tuple of admission ids (usually one), replaced when it grows: tuples of strings are nothing the
    #: garbage collector keeps walking, as three lists per admitted person would be.
    by_person: dict[tuple[dt.date, str], tuple[str, ...]] = attrs.field(factory=dict)
    by_organisation: dict[tuple[dt.date, str, str], tuple[str, ...]] = attrs.field(factory=dict)
    by_badge: dict[str, tuple[str, ...]] = attrs.field(factory=dict)
    #: People inside each hall, kept up to date by ``attendance.add`` / ``attendance.save``.
    inside: dict[tuple[dt.date, str], int] = attrs.field(factory=dict)
    #: Where each admission is counted in ``inside`` ((day, hall), or None when it is not inside).
    counted_in: dict[str, tuple[dt.date, str] | None] = attrs.field(factory=dict)
    badges: dict[str, Badge] = attrs.field(factory=dict)
    sequences: dict[tuple[str, dt.date], int] = attrs.field(factory=dict)
    screenings_by_source: dict[str, str] = attrs.field(factory=dict)
    audit_log: list[AuditEntry] = attrs.field(factory=list)
    #: What is committed but not sealed into ``audit_log`` yet (see ``Gate.seal_audit``): per screening the index
    #: of its first unsealed step record (one number each, nothing for the garbage collector to walk), and the
    #: operations' audited events and explicit entries.
    audit_marks: dict[str, int] = attrs.field(factory=dict)
    audit_extra: list[AuditDraft] = attrs.field(factory=list)
    calls: list[ReminderCall] = attrs.field(factory=list)
    outbox: dict[str, OutboxItem] = attrs.field(factory=dict)
    signals: dict[str, Signal] = attrs.field(factory=dict)
    settings: dict[str, str] = attrs.field(factory=dict)
    #: Each thread's idle unit of work, handed out again by :meth:`unit_of_work`.
    _idle: threading.local = attrs.field(factory=threading.local, init=False, repr=False, eq=False)

    def unit_of_work(self) -> InMemoryUnitOfWork:
        """A unit of work on this store (a ``uow_factory`` for :class:`~tenderguard.services.Gate`).

        Each thread keeps one and hands it out again once the operation that had it has ended, with the
        repositories it built (a desk makes eight operations a screening); while it is out — an operation
        inside another one, or a unit of work taken and not yet used — a new one is made.
        """
        kept: InMemoryUnitOfWork | None = getattr(self._idle, "uow", None)
        if kept is not None and kept.out:
            if kept.entered:
                return InMemoryUnitOfWork(self)  # an operation inside the one that has it
            kept = None  # taken but not used (yet): it stays its taker's, and the thread keeps a new one
        if kept is None:
            kept = self._idle.uow = InMemoryUnitOfWork(self)
        kept.out = True
        return kept


#: Markers in a unit of work's undo log: the key was not in the mapping; the value was appended to the list.
_ABSENT = object()
_APPENDED = object()

#: Per attrs class: its attribute names and one getter reading them all (what a rollback restores).
_FIELDS: dict[type[Any], tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]] = {}


def _fields_of(cls: type[Any]) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]]:
    """The attribute names of an attrs class and an ``attrgetter`` of all of them, made once per class."""
    found = _FIELDS.get(cls)
    if found is None:
        names = tuple(f.name for f in attrs.fields(cls))
        getter = operator.attrgetter(*names)
        read = getter if len(names) > 1 else lambda obj: (getter(obj),)  # of one name it gives the bare value
        found = _FIELDS[cls] = (names, read)
    return found


class _Repo:
    __slots__ = ("store", "uow")

    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        # A plain reference, though the unit of work and its repositories then form a cycle: the store hands each
        # thread's unit of work out again (InMemoryStore.unit_of_work), so that cycle is made once per thread, not
        # once per operation, and every repository call skips a proxy.
        self.uow: InMemoryUnitOfWork = uow
        self.store = uow.store


class _Sessions(_Repo):
    __slots__ = ()

    def add(self, session: BidSession) -> None:
        self.uow.put(self.store.sessions, session.code, session)

    def get(self, code: str) -> BidSession | None:
        return self.store.sessions.get(code)

    def all(self, day: dt.date | None = None) -> list[BidSession]:
        found = [s for s in self.store.sessions.values() if day is None or s.day(self.store.centre) == day]
        return sorted(found, key=lambda s: (s.opens_at, s.code))


class _Agencies(_Repo):
    __slots__ = ()

    def add(self, agency: Agency) -> None:
        self.uow.put(self.store.agencies, agency.code, agency)

    def get(self, code: str) -> Agency | None:
        return self.store.agencies.get(code)

    def all(self) -> list[Agency]:
        return sorted(self.store.agencies.values(), key=lambda a: a.code)


class _Companies(_Repo):
    __slots__ = ()

    def get(self, credit_code: str) -> str | None:
        return self.store.companies.get(credit_code)

    def by_key(self, name_key: str) -> str | None:
        return self.store.company_keys.get(name_key)

    def add(self, credit_code: str, name: str, name_key: str) -> None:
        self.uow.put(self.store.companies, credit_code, name)
        self.uow.put(self.store.company_keys, name_key, credit_code)



class _Screenings(_Repo):
    __slots__ = ()

    def add(self, screening: Screening) -> None:
        self.uow.put(self.store.screenings, screening.id, screening)
        if screening.source is not None:
            self.uow.put(self.store.screenings_by_source, screening.source, screening.id)
        day = self.store.centre.day_of(screening.opened_at)
        self.uow.append(self.store.screenings_by_day[day], screening.id)
        self.uow.track(screening)

    def get(self, screening_id: str) -> Screening | None:
        found = self.store.screenings.get(screening_id)
        if found is not None:
            self.uow.track(found)
        return found

    def for_day(self, day: dt.date) -> list[Screening]:
        return [self.store.screenings[i] for i in self.store.screenings_by_day.get(day, [])]

    def open(self) -> list[Screening]:
        return [s for s in self.store.screenings.values() if not s.closed]

    def by_source(self, source: str) -> Screening | None:
        screening_id = self.store.screenings_by_source.get(source)
        return None if screening_id is None else self.get(screening_id)

    def for_person(self, day: dt.date, person_key: str) -> list[Screening]:
        found = [s for s in self.for_day(day) if s.person_key == person_key]
        for screening in found:
            self.uow.track(screening)
        return found

    def with_phone(self, day: dt.date, session: str, phone_key: str) -> list[Screening]:
        return [s for s in self.for_day(day) if s.visitor.session == session and s.visitor.phone_key == phone_key]


class _Audit(_Repo):
    __slots__ = ()

    def record(self, draft: AuditDraft) -> None:
        self.uow.audit_drafts.append(draft)

    def entries(self, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[AuditEntry]:
        found = self.store.audit_log[after:]
        if since is not None:
            found = [e for e in found if e.at >= since]
        if until is not None:
            found = [e for e in found if e.at < until]
        return found if limit is None else found[:limit]

    def head(self) -> tuple[int, str]:
        log = self.store.audit_log
        return (log[-1].seq, log[-1].hash) if log else (0, GENESIS)

    def about(self, subject: str, kind: str | None = None) -> list[AuditEntry]:
        waiting = [AuditEntry(seq=0, at=d.at, kind=d.kind, subject=d.subject, desk=d.desk, operator=d.operator,
                              payload=d.payload, prev_hash="", hash="") for d in self._waiting()]
        return [e for e in [*self.store.audit_log, *waiting] if e.subject == subject and kind in (None, e.kind)]

    def pending(self) -> int:
        store = self.store
        records = sum(len(store.screenings[sid].records) - first for sid, first in store.audit_marks.items()
                      if sid in store.screenings)
        return records + len(store.audit_extra)

    def _waiting(self) -> list[AuditDraft]:
        """Drafts of everything committed and not sealed, in time order (steps first at equal times)."""
        store = self.store
        records = [r for sid, first in store.audit_marks.items() if sid in store.screenings
                   for r in store.screenings[sid].records[first:]]
        drafts = drafts_for(records, (), ()) + store.audit_extra
        drafts.sort(key=BY_TIME)
        return drafts

    def seal(self, limit: int = 5_000, *, wait: bool = True) -> int:
        """Seal everything waiting (in memory the whole backlog is one step, whatever ``limit``)."""
        store = self.store
        drafts = self._waiting()
        store.audit_marks.clear()
        store.audit_extra.clear()
        if drafts:
            seq, last = self.head()
            store.audit_log.extend(chain(drafts, seq, last))
        return len(drafts)


def _quota_key(day: dt.date, organisation: str, role: Role) -> tuple[dt.date, str, str]:
    """The key of ``by_organisation``, with the role as plain text.

    An enum member in the key would keep the key tuple under the garbage collector's eye.
    """
    return day, organisation, str(role)


class _Attendance(_Repo):
    __slots__ = ()

    def add(self, admission: Admission) -> None:
        store = self.store
        self.uow.put(store.admissions, admission.id, admission)
        self.uow.append(store.admissions_by_day[admission.day], admission.id)
        self.uow.add_to(store.by_person, (admission.day, admission.person_key), admission.id)
        if admission.organisation is not None:
            self.uow.add_to(store.by_organisation, _quota_key(admission.day, admission.organisation, admission.role),
                            admission.id)
        self.uow.add_to(store.by_badge, admission.badge, admission.id)
        # No snapshot: a rollback takes the new admission out of every index, whatever its fields are by then.
        self.save(admission)

    def save(self, admission: Admission) -> None:
        """Changes are made in place (the snapshot taken on load is what a rollback restores); recount the hall."""
        store = self.store
        now = (admission.day, admission.hall) if admission.inside and admission.status is AdmissionStatus.ACTIVE \
            else None
        before = store.counted_in.get(admission.id)
        if now == before:
            return
        if before is not None:
            self.uow.put(store.inside, before, store.inside.get(before, 0) - 1)
        if now is not None:
            self.uow.put(store.inside, now, store.inside.get(now, 0) + 1)
        self.uow.put(store.counted_in, admission.id, now)

    def _load(self, ids: Iterable[str] | None) -> Iterator[Admission]:
        for admission_id in ids or ():
            admission = self.store.admissions[admission_id]
            self.uow.track(admission)
            yield admission

    def for_day(self, day: dt.date) -> list[Admission]:
        return list(self._load(self.store.admissions_by_day.get(day)))

    def by_badge(self, serial: str) -> Admission | None:
        for admission in self._load(self.store.by_badge.get(serial)):
            if admission.status is AdmissionStatus.ACTIVE:
                return admission
        return None

    def for_person(self, day: dt.date, person_key: str) -> list[Admission]:
        return list(self._load(self.store.by_person.get((day, person_key))))

    def hold_person(self, day: dt.date, person_key: str) -> None:
        """One unit of work runs at a time in memory: nothing to wait for."""

    def active_for_organisation(self, day: dt.date, organisation: str, role: Role, *,
                                deciding: bool = False) -> list[Admission]:
        ids = self.store.by_organisation.get(_quota_key(day, organisation, role))
        return [a for a in self._load(ids) if a.status is AdmissionStatus.ACTIVE]

    def inside(self, day: dt.date, hall: str, *, deciding: bool = False) -> int:
        return self.store.inside.get((day, hall), 0)



class _Badges(_Repo):
    __slots__ = ()

    def add(self, badge: Badge) -> None:
        self.uow.put(self.store.badges, badge.serial, badge)

    def get(self, serial: str) -> Badge | None:
        found = self.store.badges.get(serial)
        if found is not None:
            self.uow.track(found)
        return found

    def save(self, badge: Badge) -> None:
        """Changes are made in place; the snapshot taken on load is what a rollback restores."""

    def next_sequence(self, centre: str, day: dt.date) -> int:
        key = (centre, day)
        value = self.store.sequences.get(key, 0) + 1
        self.uow.put(self.store.sequences, key, value)
        return value

    def for_day(self, day: dt.date) -> list[Badge]:
        return sorted((b for b in self.store.badges.values() if b.day == day), key=lambda b: b.serial)


class _Calls(_Repo):
    __slots__ = ()

    def add(self, call: ReminderCall) -> None:
        self.uow.append(self.store.calls, attrs.evolve(call, id=len(self.store.calls) + 1))

    def for_agencies(self, codes: Iterable[str]) -> list[ReminderCall]:
        wanted = set(codes)
        return [c for c in self.store.calls if c.agency in wanted]


class _Outbox(_Repo):
    __slots__ = ()

    def add(self, item: OutboxItem) -> bool:
        if item.key in self.store.outbox:
            return False
        item.id = len(self.store.outbox) + 1
        self.uow.put(self.store.outbox, item.key, item)
        return True

    def get(self, key: str) -> OutboxItem | None:
        found = self.store.outbox.get(key)
        if found is not None:
            self.uow.track(found)
        return found

    def items(self, statuses: Iterable[OutboxStatus] | None = None) -> list[OutboxItem]:
        wanted = set(statuses) if statuses is not None else None
        return [i for i in self.store.outbox.values() if wanted is None or i.status in wanted]

    def claim(self, item: OutboxItem, at: dt.datetime) -> bool:
        stored = self.get(item.key)
        if stored is None or not stored.status.sendable:
            return False
        stored.status, stored.claimed_at, stored.attempts = OutboxStatus.SENDING, at, stored.attempts + 1
        item.status, item.claimed_at, item.attempts = stored.status, at, stored.attempts
        return True

    def save(self, item: OutboxItem) -> None:
        stored = self.get(item.key)
        if stored is not None and stored is not item:
            for field in attrs.fields(OutboxItem):
                setattr(stored, field.name, getattr(item, field.name))


class _Signals(_Repo):
    __slots__ = ()

    def add(self, signal: Signal) -> None:
        self.uow.put(self.store.signals, signal.id, signal)

    def get(self, signal_id: str) -> Signal | None:
        found = self.store.signals.get(signal_id)
        if found is not None:
            self.uow.track(found)
        return found

    def find(self, day: dt.date, key: str) -> Signal | None:
        return next((s for s in self.store.signals.values() if s.day == day and s.key == key), None)

    def for_day(self, day: dt.date) -> list[Signal]:
        return [s for s in self.store.signals.values() if s.day == day]

    def save(self, signal: Signal) -> None:
        """Changes are made in place (a rollback restores the snapshot taken on load)."""


class _Settings(_Repo):
    __slots__ = ()

    def get(self, name: str) -> str | None:
        return self.store.settings.get(name)

    def add(self, name: str, value: str) -> None:
        if name not in self.store.settings:
            self.uow.put(self.store.settings, name, value)


class _Retention(_Repo):
    """The purge, applied to the live objects directly (it cannot fail half-way in memory)."""

    __slots__ = ()

    def purge(self, *, health_before: dt.date, attendance_before: dt.date, at: dt.datetime,
              dry_run: bool) -> PurgeCounts:
        store = self.store
        day_of = store.centre.day_of
        scrub = [s for s in store.screenings.values()
                 if attendance_before <= day_of(s.opened_at) < health_before and s.health_purged_at is None]
        old = [s for s in store.screenings.values() if day_of(s.opened_at) < attendance_before]
        old_admissions = [a for a in store.admissions.values() if a.day < attendance_before]
        old_badges = [b for b in store.badges.values() if b.day < attendance_before]
        old_signals = [g for g in store.signals.values() if g.day < attendance_before]
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
        for s in old:
            del store.screenings[s.id]
            if s.source is not None:
                store.screenings_by_source.pop(s.source, None)
        for day in [d for d in store.screenings_by_day if d < attendance_before]:
            del store.screenings_by_day[day]
        for a in old_admissions:
            del store.admissions[a.id]
            store.counted_in.pop(a.id, None)
        for person in [k for k in store.by_person if k[0] < attendance_before]:
            del store.by_person[person]
        for organisation in [k for k in store.by_organisation if k[0] < attendance_before]:
            del store.by_organisation[organisation]
        for hall in [k for k in store.inside if k[0] < attendance_before]:
            del store.inside[hall]
        for day in [d for d in store.admissions_by_day if d < attendance_before]:
            del store.admissions_by_day[day]
        for b in old_badges:
            del store.badges[b.serial]
            store.by_badge.pop(b.serial, None)
        for g in old_signals:
            del store.signals[g.id]
        return counts


class InMemoryUnitOfWork(AbstractUnitOfWork):
    """A unit of work over an :class:`InMemoryStore`, with a real rollback."""

    #: Screenings stay live objects between operations (no reload from storage).
    live_objects = True

    def __init__(self, store: InMemoryStore) -> None:
        """Open repositories over the shared store."""
        super().__init__()
        self.store = store
        #: What to undo, newest last: (mapping, key, the value before or _ABSENT), or (list, None, _APPENDED).
        self._undo: list[tuple[Any, Any, Any]] = []
        self._snapshots: dict[int, tuple[Any, Any]] = {}
        self._touched: dict[int, Screening] = {}
        self._record_marks: dict[int, int] = {}
        self.commits = 0
        #: Handed out by the store's :meth:`InMemoryStore.unit_of_work` and not given back yet (by leaving it).
        self.out = False
        #: Inside its ``with`` block.
        self.entered = False

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

    def __enter__(self) -> InMemoryUnitOfWork:
        """Begin: forget the previous operation's bookkeeping."""
        super().__enter__()
        self.entered = True
        if self._touched or self._snapshots or self._undo:  # entered again after an earlier operation
            self._undo.clear()
            self._snapshots.clear()
            self._touched.clear()
            self._record_marks.clear()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed; the store may hand this unit of work out again."""
        self.out = self.entered = False
        if self._undo or self._snapshots:  # else committed, or nothing changed: nothing to roll back
            self.rollback()

    # -- bookkeeping used by the repositories

    def put(self, mapping: dict[Any, Any], key: Any, value: Any) -> None:
        """Set ``mapping[key]``, remembering how to undo it."""
        self._undo.append((mapping, key, mapping.get(key, _ABSENT)))
        mapping[key] = value

    def add_to(self, index: dict[Any, tuple[Any, ...]], key: Any, value: Any) -> None:
        """Add ``value`` to the tuple at ``index[key]`` (a new tuple), remembering how to undo it."""
        self.put(index, key, (*index.get(key, ()), value))

    def append(self, items: list[Any], value: Any) -> None:
        """Append to a list, remembering how to undo it."""
        items.append(value)
        self._undo.append((items, None, _APPENDED))

    def track(self, obj: Screening | Admission | Badge | OutboxItem | Signal) -> None:
        """Snapshot a live object the first time this operation sees it."""
        key = id(obj)
        if key in self._snapshots:
            return
        if isinstance(obj, Screening):
            self._snapshots[key] = (obj, obj.checkpoint())
            self._touched[key] = obj
            self._record_marks[key] = len(obj.records)
        else:
            names, read = _fields_of(type(obj))
            self._snapshots[key] = (obj, (names, read(obj)))  # one C call reads every field

    # -- the contract


    def compact(self) -> None:
        """Nothing is on disk in memory."""

    def commit(self) -> None:
        """Keep every change (later rollbacks no longer undo them); the audit entries wait for their seal."""
        marks = self.store.audit_marks
        record_marks = self._record_marks
        for key, s in self._touched.items():
            first, now = record_marks[key], len(s.records)
            if now != first:
                if now > first and s.id not in marks:
                    marks[s.id] = first
                record_marks[key] = now  # the next commit of this unit of work starts from here
        kept = audited(self.events) if self.events else ()
        if kept or self.audit_drafts:
            actor = self.actor
            drafts = drafts_for((), kept, self.audit_drafts, desk=actor.desk if actor else None,
                                operator=actor.operator if actor else None)
            self.store.audit_extra.extend(drafts)  # drafts hold their own copy of the payload, as JSON gives it
        self.audit_drafts = []
        self._undo.clear()
        self._snapshots.clear()
        self.commits += 1

    def rollback(self) -> None:
        """Undo every uncommitted change, newest first, and restore every object seen."""
        if not self._undo and not self._snapshots:
            return  # nothing since the last commit (the usual case: a rollback on leaving a committed operation)
        while self._undo:
            container, key, before = self._undo.pop()
            if before is _APPENDED:
                container.pop()
            elif before is _ABSENT:
                container.pop(key, None)
            else:
                container[key] = before
        for obj, snap in self._snapshots.values():
            if isinstance(obj, Screening):
                obj.restore(snap)
            else:
                names, values = snap
                for name, value in zip(names, values, strict=True):
                    setattr(obj, name, value)

    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation (read as the operation ends: nothing is added meanwhile)."""
        return iter(self._touched.values())
