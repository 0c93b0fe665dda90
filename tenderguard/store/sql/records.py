"""The repositories of what is kept about the day: the audit trail, signals, settings, calls, outbox, retention.

The audit trail is appended without desks waiting for each other: a unit of work inserts its entries unsealed
(``seq`` and the hashes empty) in its own transaction, and a short sealing transaction — a desk's commit about once
a second, and every command on exit — gives them their place in the chain under a lock on the chain's head.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import attrs
from sqlalchemy import RowMapping, Select, Table, bindparam, delete, func, insert, select, text, update

from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.signals import Signal, SignalKind, SignalStatus
from tenderguard.identity import mask_name
from tenderguard.records.audit import AuditDraft, AuditEntry, chain_hashes
from tenderguard.records.retention import HEALTH_PHASE_SUFFIXES, HEALTH_REASONS, PURGED_REASON, PurgeCounts
from tenderguard.store.sql.repositories import Repo
from tenderguard.store.tables import (
    SCREENING_KINDS,
    SUBJECT_LOOKUP,
    admissions,
    audit_head,
    audit_log,
    badges,
    day_sequences,
    hall_occupancy,
    outbox,
    reminder_calls,
    screening_events,
    screenings,
    settings,
    signals,
)

__all__ = ["AUDIT_FIELDS", "Audit", "Calls", "Outbox", "Retention", "Settings", "Signals"]

#: The fields of an audit entry a unit of work writes (the chain's fields are set when it is sealed).
AUDIT_FIELDS = ("at", "kind", "subject", "desk", "operator", "payload")
_SELECT_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_LOCK_HEAD = _SELECT_HEAD.with_for_update()
_SELECT_PENDING = (select(audit_log.c.id, *(audit_log.c[f] for f in AUDIT_FIELDS))
                   .where(audit_log.c.seq.is_(None)).order_by(audit_log.c.id))
_SEAL_ENTRY = (update(audit_log).where(audit_log.c.id == bindparam("b_id"))
               .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash")))
_MOVE_HEAD = update(audit_head).where(audit_head.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash"))
#: PostgreSQL advisory lock of the sealer ("tg_aud"): one desk seals at a time, the others skip it.
_SEAL_LOCK = 0x7467_5F61_7564


class Audit(Repo):
    """The audit trail: entries appended unsealed, sealed into the chain under a lock on its head."""

    def record(self, draft: AuditDraft) -> None:
        self.uow.audit_drafts.append(draft)

    def _entries(self, query: Select[Any]) -> list[AuditEntry]:
        return [AuditEntry(seq=r["seq"] or 0, at=self._local(r["at"]), kind=r["kind"], subject=r["subject"],
                           desk=r["desk"], operator=r["operator"], payload=r["payload"],
                           prev_hash=r["prev_hash"] or "", hash=r["hash"] or "")
                for r in self.uow.execute(query).mappings()]

    def entries(self, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[AuditEntry]:
        query = select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
        if until is not None:
            query = query.where(audit_log.c.at < until)
        if limit is not None:
            query = query.limit(limit)
        return self._entries(query)

    def about(self, subject: str, kind: str | None = None) -> list[AuditEntry]:
        query = select(audit_log).where(audit_log.c.subject == subject).order_by(audit_log.c.id)
        if kind is not None:
            query = query.where(audit_log.c.kind == kind)
            if kind not in SCREENING_KINDS:
                query = query.where(text(SUBJECT_LOOKUP))  # lets the database use ix_audit_subject_lookup
        return self._entries(query)

    def head(self) -> tuple[int, str]:
        row = self.uow.execute(_SELECT_HEAD).one()
        return int(row.seq), str(row.hash)

    def pending(self) -> int:
        count: int = self.uow.execute(select(func.count()).select_from(audit_log)
                                      .where(audit_log.c.seq.is_(None))).scalar_one()
        return count

    def seal(self, limit: int = 5_000, *, wait: bool = True) -> int:
        """Chain up to ``limit`` unsealed entries after the head, in the order they were written."""
        if self.pg:
            lock = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
            if self.uow.execute(select(lock(_SEAL_LOCK))).scalar() is False:
                return 0  # another desk is sealing right now
        head = self.uow.execute(_LOCK_HEAD if self.pg else _SELECT_HEAD).one()
        rows = self.uow.execute(_SELECT_PENDING.limit(limit)).mappings().all()
        if not rows:
            return 0
        linked = chain_hashes(((r["at"], r["kind"], r["subject"], r["desk"], r["operator"], r["payload"])
                               for r in rows), int(head.seq), str(head.hash))
        self.uow.execute(_SEAL_ENTRY, [{"b_id": r["id"], "seq": seq, "prev_hash": prev, "hash": digest}
                                       for r, (seq, prev, digest) in zip(rows, linked, strict=True)])
        self.uow.execute(_MOVE_HEAD, {"seq": linked[-1][0], "hash": linked[-1][2]})
        return len(linked)


_SCRUB_SCREENING = (
    update(screenings).where(screenings.c.id == bindparam("b_id"))
    .values(name=bindparam("name"), reason=bindparam("reason"), fevers=0, measuring_errors=0, rest_until=None,
            phone_masked=None, phone_key=None, document_number=None, residence=None, health_purged_at=bindparam("at"),
            readings=0,
            version=screenings.c.version + 1)
)


class Signals(Repo):
    """Signals for the supervisor."""

    def _row(self, signal: Signal) -> dict[str, Any]:
        row = attrs.asdict(signal, recurse=False)
        row["kind"], row["status"] = str(signal.kind), str(signal.status)
        row["screenings"], row["companies"] = list(signal.screenings), list(signal.companies)
        return row

    def _of(self, row: RowMapping) -> Signal:
        return Signal(id=row["id"], day=row["day"], kind=SignalKind(row["kind"]), key=row["key"],
                      raised_at=self._local(row["raised_at"]), desk=row["desk"], operator=row["operator"],
                      session=row["session"], screenings=tuple(row["screenings"]),
                      companies=tuple(row["companies"]), status=SignalStatus(row["status"]),
                      decided_at=self._opt_local(row["decided_at"]), decided_by=row["decided_by"],
                      decision_reason=row["decision_reason"])

    def _list(self, *where: Any) -> list[Signal]:
        query = select(signals).where(*where).order_by(signals.c.raised_at, signals.c.id)
        return [self._of(row) for row in self.uow.execute(query).mappings()]

    def add(self, signal: Signal) -> None:
        self.uow.execute(insert(signals), self._row(signal))

    def get(self, signal_id: str) -> Signal | None:
        found = self._list(signals.c.id == signal_id)
        return found[0] if found else None

    def find(self, day: dt.date, key: str) -> Signal | None:
        found = self._list(signals.c.day == day, signals.c.key == key)
        return found[0] if found else None

    def for_day(self, day: dt.date) -> list[Signal]:
        return self._list(signals.c.day == day)

    def save(self, signal: Signal) -> None:
        row = self._row(signal)
        self.uow.execute(update(signals).where(signals.c.id == signal.id).values(
            status=row["status"], decided_at=row["decided_at"], decided_by=row["decided_by"],
            decision_reason=row["decision_reason"]))


class Settings(Repo):
    """What the database remembers about itself."""

    def get(self, name: str) -> str | None:
        found: str | None = self.uow.execute(select(settings.c.value).where(settings.c.name == name)).scalar()
        return found

    def add(self, name: str, value: str) -> None:
        stmt = self._insert(settings).values(name=name, value=value).on_conflict_do_nothing(
            index_elements=[settings.c.name])
        self.uow.execute(stmt)


class Calls(Repo):
    """The reminder calls to agencies."""

    def add(self, call: ReminderCall) -> None:
        self.uow.execute(insert(reminder_calls), {
            "agency": call.agency, "sessions": list(call.sessions), "at": call.at, "caller": call.caller,
            "answered_by": call.answered_by, "outcome": str(call.outcome), "callback_at": call.callback_at,
            "note": call.note})

    def for_agencies(self, codes: Iterable[str]) -> list[ReminderCall]:
        query = (select(reminder_calls).where(reminder_calls.c.agency.in_(list(codes)))
                 .order_by(reminder_calls.c.at, reminder_calls.c.id))
        return [ReminderCall(agency=r["agency"], sessions=tuple(r["sessions"]), at=self._local(r["at"]),
                             caller=r["caller"], outcome=r["outcome"], answered_by=r["answered_by"],
                             callback_at=self._opt_local(r["callback_at"]), note=r["note"], id=r["id"])
                for r in self.uow.execute(query).mappings()]


class Outbox(Repo):
    """Notices waiting to be emailed, and what became of them."""

    def _of(self, row: RowMapping) -> OutboxItem:
        return OutboxItem(
            key=row["key"], kind=row["kind"], agency=row["agency"], day=row["day"], recipient=row["recipient"],
            message_id=row["message_id"], created_at=self._local(row["created_at"]),
            status=OutboxStatus(row["status"]), attempts=row["attempts"],
            next_attempt_at=self._local(row["next_attempt_at"]), claimed_at=self._opt_local(row["claimed_at"]),
            sent_at=self._opt_local(row["sent_at"]), last_error=row["last_error"], id=row["id"])

    def _row(self, item: OutboxItem) -> dict[str, Any]:
        row = attrs.asdict(item, recurse=False)
        row["status"] = str(item.status)
        row["next_attempt_at"] = item.next_attempt_at or item.created_at
        del row["id"]
        return row

    def add(self, item: OutboxItem) -> bool:
        stmt = (self._insert(outbox).values(self._row(item)).on_conflict_do_nothing(index_elements=[outbox.c.key])
                .returning(outbox.c.id))
        return self.uow.execute(stmt).first() is not None  # inserted (rowcount is not reported for an INSERT)

    def get(self, key: str) -> OutboxItem | None:
        row = self.uow.execute(select(outbox).where(outbox.c.key == key)).mappings().first()
        return None if row is None else self._of(row)

    def items(self, statuses: Iterable[OutboxStatus] | None = None) -> list[OutboxItem]:
        query = select(outbox).order_by(outbox.c.id)
        if statuses is not None:
            query = query.where(outbox.c.status.in_([str(s) for s in statuses]))
        return [self._of(r) for r in self.uow.execute(query).mappings()]

    def claim(self, item: OutboxItem, at: dt.datetime) -> bool:
        sendable = [str(s) for s in OutboxStatus if s.sendable]
        done = self.uow.execute(update(outbox).where(outbox.c.key == item.key, outbox.c.status.in_(sendable))
                                .values(status=str(OutboxStatus.SENDING), claimed_at=at,
                                        attempts=outbox.c.attempts + 1))
        if done.rowcount != 1:
            return False
        item.status, item.claimed_at, item.attempts = OutboxStatus.SENDING, at, item.attempts + 1
        return True

    def save(self, item: OutboxItem) -> None:
        self.uow.execute(update(outbox).where(outbox.c.key == item.key).values(self._row(item)))


class Retention(Repo):
    """The purge of health data and of old days."""

    def _count(self, table: Table, *where: Any) -> int:
        found: int = self.uow.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
        return found

    def purge(self, *, health_before: dt.date, attendance_before: dt.date, at: dt.datetime,
              dry_run: bool) -> PurgeCounts:
        centre = self.store.centre.code
        to_scrub = (screenings.c.centre == centre, screenings.c.day < health_before,
                    screenings.c.day >= attendance_before, screenings.c.health_purged_at.is_(None))
        scrub_ids = select(screenings.c.id).where(*to_scrub)
        health_steps = (screening_events.c.sensitive.is_(True), screening_events.c.screening_id.in_(scrub_ids))
        old_ids = select(screenings.c.id).where(screenings.c.centre == centre, screenings.c.day < attendance_before)
        old_badges = (badges.c.centre == centre, badges.c.day < attendance_before)
        counts = PurgeCounts(
            screenings_scrubbed=self._count(screenings, *to_scrub),
            health_steps_deleted=self._count(screening_events, *health_steps),
            screenings_deleted=self._count(screenings, screenings.c.id.in_(old_ids)),
            steps_deleted=self._count(screening_events, screening_events.c.screening_id.in_(old_ids)),
            admissions_deleted=self._count(admissions, admissions.c.badge.in_(select(badges.c.serial)
                                                                             .where(*old_badges))),
            badges_deleted=self._count(badges, *old_badges),
            signals_deleted=self._count(signals, signals.c.day < attendance_before),
        )
        if dry_run:
            return counts
        rows = self.uow.execute(select(screenings.c.id, screenings.c.name, screenings.c.reason)
                                .where(*to_scrub)).all()
        self.uow.execute(delete(screening_events).where(*health_steps))
        for column in ("state_from", "state_to"):  # a rest after a fever is named after its step
            found = screening_events.c[column]
            for suffix in HEALTH_PHASE_SUFFIXES:
                self.uow.execute(update(screening_events).where(
                    screening_events.c.screening_id.in_(scrub_ids), found.like(f"%{suffix}"))
                    .values({column: func.substr(found, 1, func.length(found) - len(suffix))}))
        if rows:
            self.uow.execute(_SCRUB_SCREENING, [
                {"b_id": r.id, "name": mask_name(r.name), "at": at,
                 "reason": PURGED_REASON if r.reason in HEALTH_REASONS else r.reason} for r in rows])
        self.uow.execute(delete(screening_events).where(screening_events.c.screening_id.in_(old_ids)))
        self.uow.execute(delete(screenings).where(screenings.c.centre == centre,
                                                  screenings.c.day < attendance_before))
        self.uow.execute(delete(admissions).where(admissions.c.badge.in_(select(badges.c.serial)
                                                                         .where(*old_badges))))
        self.uow.execute(delete(badges).where(*old_badges))
        self.uow.execute(delete(day_sequences).where(day_sequences.c.centre == centre,
                                                     day_sequences.c.day < attendance_before))
        self.uow.execute(delete(hall_occupancy).where(hall_occupancy.c.day < attendance_before))
        self.uow.execute(delete(signals).where(signals.c.day < attendance_before))
        return counts


