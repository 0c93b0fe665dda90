"""The in-memory repositories: each a view of one of the store's tables through the unit of work's copies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs

from tenderguard.domain.model import Admission, AdmissionStatus, Agency, Badge, BidSession
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.screening import Screening
from tenderguard.domain.signals import Signal
from tenderguard.identity import mask_name
from tenderguard.policy import Role
from tenderguard.records.audit import GENESIS, AuditDraft, AuditEntry, chain
from tenderguard.records.retention import HEALTH_REASONS, PURGED_REASON, PurgeCounts, without_rest

if TYPE_CHECKING:
    from tenderguard.store.memory.unit_of_work import InMemoryUnitOfWork

__all__ = [
    "Agencies",
    "Attendance",
    "Audit",
    "Badges",
    "Calls",
    "Companies",
    "Outbox",
    "Retention",
    "Screenings",
    "Sessions",
    "Settings",
    "Signals",
]


class Repo:
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


class Sessions(Repo):
    """Bid sessions by code."""

    table = "sessions"

    def add(self, session: BidSession) -> None:
        self._put(session.code, session)

    def get(self, code: str) -> BidSession | None:
        found: BidSession | None = self._get(code)
        return found

    def hold(self, code: str, *, change: bool = False) -> BidSession | None:
        """Units of work take turns on the store's lock: the session as :meth:`get` reads it."""
        return self.get(code)

    def all(self, day: dt.date | None = None) -> list[BidSession]:
        day_of = self.store.centre.day_of
        found = self._select(lambda s: day is None or day_of(s.opens_at) == day)
        return sorted(found, key=lambda s: (s.opens_at, s.code))

    def save(self, session: BidSession) -> None:
        self._put(session.code, session)


class Agencies(Repo):
    """Agencies by code."""

    table = "agencies"

    def add(self, agency: Agency) -> None:
        self._put(agency.code, agency)

    def get(self, code: str) -> Agency | None:
        found: Agency | None = self._get(code)
        return found

    def all(self) -> list[Agency]:
        return sorted(self._select(lambda _a: True), key=lambda a: a.code)


class Companies(Repo):
    """Credit code → company name, and name key → credit code."""

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


class Screenings(Repo):
    """Screenings by id."""

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


    def companies_before(self, day: dt.date, prefix: str, limit: int) -> list[tuple[str, str]]:
        day_of = self.store.centre.day_of
        found = {(s.visitor.company, s.visitor.credit_code) for s in self.store.screenings.values()
                 if day_of(s.opened_at) < day and s.visitor.credit_code and s.visitor.company
                 and s.visitor.company.startswith(prefix)}
        return sorted((str(name), str(code)) for name, code in found)[:limit]

    def next_letter_serial(self, centre: str, year: int) -> int:
        value: int = (self.uow.get("letter_sequences", (centre, year)) or 0) + 1
        self.uow.put("letter_sequences", (centre, year), value)
        return value


class Audit(Repo):
    """The sealed trail and the entries waiting for their seal."""

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


class Attendance(Repo):
    """Admissions by id."""

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


class Badges(Repo):
    """Badges by serial, and the day's serial numbers."""

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


class Calls(Repo):
    """Reminder calls, numbered in the order logged."""

    table = "calls"

    def add(self, call: ReminderCall) -> None:
        number = len(self.store.calls) + len(self.uow.changes.get("calls", {})) + 1
        self._put(number, attrs.evolve(call, id=number))

    def for_agencies(self, codes: Iterable[str]) -> list[ReminderCall]:
        wanted = set(codes)
        return sorted(self._select(lambda c: c.agency in wanted), key=lambda c: c.id)


class Outbox(Repo):
    """Notices to email, by key."""

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


class Signals(Repo):
    """Signals for the supervisor, by id."""

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


class Settings(Repo):
    """The store's own settings, by name."""

    table = "settings"

    def get(self, name: str) -> str | None:
        found: str | None = self._get(name)
        return found

    def add(self, name: str, value: str) -> None:
        if self._get(name) is None:
            self._put(name, value)


class Retention(Repo):
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
            s.rest_until, s.residence, s.health_purged_at = None, None, at
        gone: list[tuple[str, Any]] = [("screenings", s.id) for s in old]
        gone += [("admissions", a.id) for a in old_admissions]
        gone += [("badges", b.serial) for b in old_badges]
        gone += [("signals", g.id) for g in old_signals]
        for table, key in gone:
            uow.delete(table, key)
        return counts
