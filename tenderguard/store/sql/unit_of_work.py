"""The SQL store and its unit of work: one operation, one connection from SQLAlchemy's pool, one transaction.

Repositories run their statements on the unit of work's connection straight away, except for screenings, which are
live process objects: rebuilt from their row and step records when loaded, and written back on :meth:`commit` —
the row with its ``version`` checked and incremented (``UPDATE … WHERE version = :loaded``: no row updated means
another desk changed it first), the step records appended since, and the operation's audit entries.

Writers serialise on SQLite (``BEGIN IMMEDIATE``); on PostgreSQL transactions run at READ COMMITTED, lock the rows
they are about to change and rely on the database's unique indexes — above all the one-company rule — for rows
that do not exist yet. Whatever a desk lost to another desk (a unique violation, a serialisation failure, a stale
screening, a busy database, a connection lost before the commit) is rolled back and raised as
:class:`~tenderguard.errors.ConflictError`, which :class:`~tenderguard.services.Desk` runs again on fresh data.
A connection lost *while* committing is :class:`~tenderguard.errors.CommitUnknownError`: never repeated blindly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, NoReturn

import attrs
from sqlalchemy import Connection, CursorResult, Engine, Executable, bindparam, insert, update
from sqlalchemy.exc import DBAPIError

from tenderguard.domain.model import Centre
from tenderguard.domain.screening import Screening, StepRecord
from tenderguard.errors import CommitUnknownError, ConflictError, TenderGuardError
from tenderguard.store import schema
from tenderguard.store.sql.accounts import Idempotency, Operators, Tokens
from tenderguard.store.sql.attendance import Attendance, Badges
from tenderguard.store.sql.door import DoorScans
from tenderguard.store.sql.engine import configure_sqlite, conflict_message, create_engine_for, is_conflict
from tenderguard.store.sql.records import AUDIT_FIELDS, Audit, Calls, Outbox, Retention, Settings, Signals
from tenderguard.store.sql.repositories import Agencies, Companies, Screenings, Sessions, insert_numbered
from tenderguard.store.sql.webhooks import WebhookDeliveries, Webhooks
from tenderguard.store.tables import admissions, audit_log, badges, screening_events, screenings, signals
from tenderguard.store.unit_of_work import AbstractUnitOfWork, repository, seal_all

__all__ = ["SqlStore", "SqlUnitOfWork"]

log = logging.getLogger(__name__)

#: The columns of a screening's row that its steps change.
_MUTABLE = ("state", "outcome", "reason", "services", "badge", "fevers", "measuring_errors", "rest_until", "supplies",
            "residence", "letter_serial", "steps", "readings")
_INSERT_RECORDS = insert(screening_events)
_INSERT_AUDIT = insert(audit_log)
#: The versioned UPDATE of a screening per set of changed columns, built once each (a step changes one or two).
_UPDATES: dict[tuple[str, ...], Any] = {}


def _versioned_update(changed: tuple[str, ...]) -> Any:
    found = _UPDATES.get(changed)
    if found is None:
        found = _UPDATES[changed] = (
            update(screenings)
            .where(screenings.c.id == bindparam("b_id"), screenings.c.version == bindparam("b_version"))
            .values({name: bindparam(name) for name in (*changed, "version")}))
    return found


@attrs.define
class _Tracked:
    """A screening this unit of work handed out, and what it looked like when loaded (``version`` None: new)."""

    screening: Screening
    version: int | None
    #: The number of the last step record written (those after it are new).
    n_records: int
    values: dict[str, Any]


def _mutable_values(s: Screening) -> dict[str, Any]:
    return {
        "state": s.state, "outcome": str(s.outcome) if s.outcome is not None else None,
        "reason": str(s.reason) if s.reason is not None else None, "services": list(s.services),
        "badge": s.badge, "fevers": s.fevers, "measuring_errors": s.measuring_errors,
        "rest_until": s.rest_until, "supplies": dict(s.supplies), "residence": s.residence,
        "letter_serial": s.letter_serial,
        "steps": s.steps, "readings": s.readings,
    }


def _new_row(s: Screening, centre: Centre) -> dict[str, Any]:
    v = s.visitor
    return _mutable_values(s) | {
        "id": s.id, "centre": centre.code, "day": centre.day_of(s.opened_at), "session": v.session,
        "role": str(v.role), "name": v.name, "company": v.company, "credit_code": v.credit_code,
        "document_kind": v.document_kind, "document_masked": v.document_masked, "phone_masked": v.phone_masked,
        "key_area": v.key_area, "visitor_at": v.at, "person_key": s.person_key, "hall": s.hall,
        "reentry": s.reentry, "opened_at": s.opened_at, "opened_desk": s.opened_by.desk,
        "opened_operator": s.opened_by.operator, "version": 1, "source_ref": s.source,
        "document_number": v.document_number, "phone_key": v.phone_key,
    }


def _record_row(r: StepRecord) -> dict[str, Any]:
    return {"screening_id": r.screening_id, "seq": r.seq, "at": r.at, "desk": r.desk, "operator": r.operator,
            "action": r.action, "state_from": r.state_from, "state_to": r.state_to, "detail": dict(r.detail),
            "sensitive": r.sensitive}


class SqlStore:
    """A centre's data in a SQL database; desks open a :class:`SqlUnitOfWork` on it per operation.

    The tables are created on first use (at the newest migration) unless ``create`` is False (a command that
    only reads). A database at an older revision, or at one this code does not know, is refused with
    :class:`~tenderguard.store.schema.SchemaError`.
    """

    #: How often (seconds) a desk's commit also seals the audit trail's new entries into the chain.
    seal_interval = 1.0

    def __init__(self, url_or_engine: str | Engine, centre: Centre, *, create: bool = True) -> None:
        owned = isinstance(url_or_engine, str)
        if isinstance(url_or_engine, str):
            self.engine = create_engine_for(url_or_engine, create=create)
        else:
            self.engine = url_or_engine
            if self.engine.dialect.name == "sqlite":
                configure_sqlite(self.engine)
        self.centre = centre
        self.dialect = self.engine.dialect.name
        self.last_seal = 0.0
        try:
            schema.ensure(self.engine, create=create)
        except BaseException:
            if owned:
                self.engine.dispose()
            raise

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work on this store (a ``uow_factory`` for :class:`~tenderguard.services.Gate`)."""
        return SqlUnitOfWork(self)

    def seal_audit(self) -> int:
        """Seal every unsealed audit entry into the chain now; returns how many were sealed."""
        return seal_all(self.unit_of_work)

    def compact(self) -> None:
        """Leave nothing deleted on disk and give its space back (after a purge), outside any transaction.

        SQLite: the write-ahead log is checkpointed and truncated and the file rebuilt (``VACUUM``; deleted
        content is overwritten anyway, ``secure_delete``). PostgreSQL: the purged tables are vacuumed.
        """
        if self.dialect == "sqlite":
            raw = self.engine.raw_connection()  # the driver's own connection: no BEGIN around these
            try:
                driver = raw.driver_connection
                assert driver is not None  # noqa: S101 - an open pooled connection has its sqlite3 connection
                for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
                    driver.execute(statement)
            finally:
                raw.close()
        elif self.dialect == "postgresql":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in (screening_events, screenings, admissions, badges, signals):
                    conn.exec_driver_sql(f"VACUUM {table.name}")

    def dispose(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()


class SqlUnitOfWork(AbstractUnitOfWork):
    """One operation on a :class:`SqlStore`: one connection, one transaction, committed or rolled back."""

    sessions = repository(Sessions)
    agencies = repository(Agencies)
    companies = repository(Companies)
    screenings = repository(Screenings)
    attendance = repository(Attendance)
    badges = repository(Badges)
    audit = repository(Audit)
    retention = repository(Retention)
    calls = repository(Calls)
    outbox = repository(Outbox)
    signals = repository(Signals)
    settings = repository(Settings)
    operators = repository(Operators)
    tokens = repository(Tokens)
    idempotency = repository(Idempotency)
    webhooks = repository(Webhooks)
    webhook_deliveries = repository(WebhookDeliveries)
    door_scans = repository(DoorScans)

    def __init__(self, store: SqlStore) -> None:
        super().__init__()
        self.store = store
        self._conn: Connection | None = None
        self._tracked: dict[str, _Tracked] = {}

    def __enter__(self) -> SqlUnitOfWork:
        """Take a connection from the pool and begin the transaction (on SQLite: take the write lock)."""
        super().__enter__()
        self._tracked = {}
        conn = self.store.engine.connect()
        try:
            conn.begin()  # on SQLite the engine's "begin" listener emits BEGIN IMMEDIATE
        except DBAPIError as exc:
            conn.close()
            if is_conflict(exc) or exc.connection_invalidated:
                raise ConflictError("the database is busy with another desk", hint="retry") from exc
            raise
        self._conn = conn
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed and give the connection back to the pool."""
        try:
            self.rollback()
        finally:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- used by the repositories

    @property
    def connection(self) -> Connection:
        """The connection of the running operation."""
        if self._conn is None:
            raise TenderGuardError("the unit of work is not open", hint="use it as `with uow: ...`")
        return self._conn

    def execute(self, statement: Executable, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None
                ) -> CursorResult[Any]:
        """Run a statement in the transaction; a lost race or a lost connection is raised as ConflictError."""
        try:
            return self.connection.execute(statement, params)
        except DBAPIError as exc:
            self._failed(exc)

    def _failed(self, exc: DBAPIError) -> NoReturn:
        self.rollback()
        if exc.connection_invalidated:
            # Nothing of this operation was committed (the server rolls back a lost connection's transaction).
            raise ConflictError("the connection to the database was lost",
                                hint="the operation is run again on a new connection") from exc
        if is_conflict(exc):
            raise ConflictError(conflict_message(exc), hint="retry the operation") from exc
        raise exc

    def track(self, screening: Screening, *, version: int | None) -> None:
        """Remember a screening handed out (loaded at ``version``, or added: None) so that commit writes it back."""
        loaded = version is not None
        self._tracked[screening.id] = _Tracked(screening, version, screening.steps if loaded else 0,
                                               _mutable_values(screening) if loaded else {})

    def tracked(self, screening_id: str) -> Screening | None:
        """The screening already handed out by this operation, if any."""
        entry = self._tracked.get(screening_id)
        return None if entry is None else entry.screening

    def new_screenings(self) -> list[Screening]:
        """Screenings added in this operation and not yet written."""
        return [e.screening for e in self._tracked.values() if e.version is None]

    # -- the contract

    def _write_back(self) -> tuple[list[tuple[_Tracked, int]], list[StepRecord]]:
        """Insert new screenings, update changed ones (checking their version), add their new step records.

        Returns each screening written with its new version, and the new step records.
        """
        centre, sqlite = self.store.centre, self.store.dialect == "sqlite"
        written: list[tuple[_Tracked, int]] = []
        records: list[StepRecord] = []
        for entry in self._tracked.values():
            s = entry.screening
            new_records = s.records_after(entry.n_records)
            if entry.version is None:
                self.execute(insert_numbered(screenings, sqlite=sqlite), _new_row(s, centre))
                written.append((entry, 1))
            else:
                values = _mutable_values(s)
                changed = {name: values[name] for name in _MUTABLE if values[name] != entry.values.get(name)}
                if not changed and not new_records:
                    continue
                done = self.execute(_versioned_update(tuple(changed)), changed | {
                    "b_id": s.id, "b_version": entry.version, "version": entry.version + 1})
                if done.rowcount != 1:
                    self.rollback()
                    raise ConflictError(f"screening {s.id} was changed by another desk", hint="retry the operation")
                written.append((entry, entry.version + 1))
            if new_records:
                self.execute(_INSERT_RECORDS, [_record_row(r) for r in new_records])
                records += new_records
        return written, records

    def commit(self) -> None:
        """Write back every screening touched and the audit entries, then commit (a lost race: ConflictError)."""
        written, records = self._write_back()
        drafts = self.pending_audit(iter(records))
        if drafts:
            self.execute(_INSERT_AUDIT, [{f: getattr(d, f) for f in AUDIT_FIELDS} for d in drafts])
        self.audit_drafts = []
        self.queue_webhook_deliveries(self.store.centre.code)  # in this transaction: committed with it, or not
        try:
            self.connection.commit()
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self.rollback()
                raise CommitUnknownError(
                    "the connection to the database was lost while committing: this operation may or may not "
                    "have been saved", hint="look at the screening (Desk.view) before repeating the step") from exc
            self._failed(exc)
        self.webhook_queue_settled(committed=True)
        for entry, version in written:  # a second commit of this unit of work writes only what changed since
            entry.version, entry.n_records = version, entry.screening.steps
            entry.values = _mutable_values(entry.screening)
        if drafts:
            self._seal_now_and_then()

    def _seal_now_and_then(self) -> None:
        """Seal the trail in a short transaction of its own, at most every ``store.seal_interval`` seconds.

        A failure here never touches the operation just committed: its entries wait, durable, for the next seal.
        """
        store = self.store
        now = time.monotonic()
        if now - store.last_seal < store.seal_interval:
            return
        store.last_seal = now
        try:
            self.audit.seal(wait=False)
            self.connection.commit()
        except (DBAPIError, TenderGuardError):
            log.warning("sealing the audit trail failed; it is retried with a later operation", exc_info=True)
            self.rollback()

    def rollback(self) -> None:
        """Discard the uncommitted changes of this operation."""
        self.webhook_queue_settled(committed=False)
        conn = self._conn
        if conn is None or conn.invalidated:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
        except DBAPIError:  # the connection is gone; the server rolls back on its own
            conn.invalidate()

    def compact(self) -> None:
        """Leave nothing deleted on disk (see :meth:`SqlStore.compact`)."""
        self.store.compact()

    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation."""
        return iter([e.screening for e in self._tracked.values()])
