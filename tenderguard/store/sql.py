"""The SQL store: SQLite (one gate PC) or PostgreSQL (several desks), through SQLAlchemy Core.

One unit of work is one connection and one transaction. Repositories run their SQL on that connection straight
away — except for screenings, which are live process objects: they are rebuilt from their row and step records
when loaded, and written back on :meth:`SqlUnitOfWork.commit` (the row, with its ``version`` checked and
incremented, and the step records appended since the load).

Writers serialise on SQLite (``BEGIN IMMEDIATE``); on PostgreSQL transactions run at READ COMMITTED, lock the rows
they are about to change (badges, admissions by badge, the hall's row of ``hall_occupancy`` when admitting) and
rely on the database's unique indexes — above all the one-company rule, a partial unique index on admissions — for
rows that do not exist yet; desks counting one organisation's role queue on an advisory lock. Whatever a desk lost to
another desk (a unique violation, a serialisation failure, a stale screening version, a busy database) is rolled
back and raised as :class:`~tenderguard.errors.ConflictError`, which :class:`~tenderguard.services.Desk` retries.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn

import attrs
from sqlalchemy import (
    Connection,
    CursorResult,
    Dialect,
    Engine,
    Executable,
    RowMapping,
    Select,
    String,
    Table,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.pool import StaticPool

from tenderguard.domain.model import (
    Admission,
    AdmissionStatus,
    Agency,
    Badge,
    BadgeStatus,
    BidSession,
    Centre,
    Outcome,
    Reason,
    Visitor,
)
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import ReminderCall
from tenderguard.domain.screening import Actor, Screening, StepRecord
from tenderguard.domain.signals import Signal, SignalKind, SignalStatus
from tenderguard.errors import ConflictError, NotFoundError, TenderGuardError
from tenderguard.identity import mask_name
from tenderguard.policy import Role
from tenderguard.records.audit import AuditDraft, AuditEntry, chain_hashes
from tenderguard.records.files import create_private
from tenderguard.records.retention import HEALTH_PHASE_SUFFIXES, HEALTH_REASONS, PURGED_REASON, PurgeCounts
from tenderguard.store import pgpipe, schema
from tenderguard.store.driver import (
    DriverQuery,
    DriverStatement,
    Write,
    driver_error,
    fetch,
    fetch_together,
    run_together,
)
from tenderguard.store.schema import SchemaError
from tenderguard.store.tables import (
    SCREENING_KINDS,
    SUBJECT_LOOKUP,
    admissions,
    agencies,
    audit_head,
    audit_log,
    badges,
    companies,
    day_sequences,
    hall_occupancy,
    outbox,
    reminder_calls,
    screening_events,
    screenings,
    sessions,
    settings,
    signals,
)
from tenderguard.store.unit_of_work import AbstractUnitOfWork, repository, seal_all

__all__ = ["SchemaError", "SqlStore", "SqlUnitOfWork", "create_engine_for"]

log = logging.getLogger(__name__)

#: How long a SQLite writer waits for another desk's transaction before giving up (ConflictError), in ms.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Unique, serialisation, deadlock, lock timeout — and a prepared statement the server no longer has (see
#: pgpipe.py): the operation is run again, and prepares it again.
_PG_CONFLICTS = frozenset({"23505", "40001", "40P01", "55P03", "26000"})
_SQLITE_CONFLICTS = frozenset({
    "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT",
    "SQLITE_LOCKED",
})


# ---------------------------------------------------------------------------------------------- the engine


#: One encoder for every JSON column: ``json.dumps`` with options builds a new encoder at each call.
_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


#: The JSON of the empty values most columns hold (no supplies used, no detail): no encoder run for them.
_EMPTY_JSON: dict[type, str] = {dict: "{}", list: "[]", tuple: "[]"}


def _dumps(value: Any) -> str:
    if not value:
        empty = _EMPTY_JSON.get(type(value))
        if empty is not None:
            return empty
    return _JSON.encode(value)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _sqlite_on_begin); the driver must not start transactions on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # The busy timeout first: switching a new file to WAL needs a lock another desk may hold for a moment.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted content is overwritten, not left in free pages: purged health data must not stay on disk.
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # Take the write lock at the start: writers queue up instead of failing on a lock upgrade mid-transaction.
    # Straight to the driver (every desk step begins here); a busy database is raised as SQLAlchemy's error.
    raw = connection.connection.driver_connection
    try:
        raw.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]  # an open connection's sqlite3 connection
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite3.Error, dialect=connection.dialect) from exc


def _configure_sqlite(engine: Engine) -> None:
    if not event.contains(engine, "connect", _sqlite_on_connect):
        event.listen(engine, "connect", _sqlite_on_connect)
    if not event.contains(engine, "begin", _sqlite_on_begin):
        event.listen(engine, "begin", _sqlite_on_begin)


#: A pooled PostgreSQL connection idle for longer than this (seconds) is pinged before it is used again: a server
#: restart or a firewall may have dropped it meanwhile. One in steady use is not pinged (a round trip per desk
#: call): should it have died all the same, its first statement fails, or — for a step that sends its writes and
#: COMMIT together — the socket is found closed just before (``pgpipe.probe``), and the desk runs the operation
#: again on a new connection (see ``SqlUnitOfWork``).
IDLE_PING_SECONDS = 2.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_failure(engine: Engine, dbapi_connection: Any) -> Exception | None:
    """What pinging a driver connection raised, or None when the server answered."""
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as exc:
        return exc
    return None


def _ping_if_idle(engine: Engine) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        failure = _ping_failure(engine, dbapi_connection)
        if failure is not None:
            # The pool discards this connection and checks out (or opens) another one.
            raise DisconnectionError(f"a pooled connection was found dead: {failure}") from failure

    return checkout


def create_engine_for(url: str, *, create: bool = True) -> Engine:
    """An engine for ``sqlite:///path`` (WAL, foreign keys, busy timeout) or PostgreSQL.

    A SQLite file is created on first use, readable by its owner only (its WAL and shared-memory files take the
    same mode); with ``create=False`` a missing file is refused instead. PostgreSQL URLs use psycopg 3:
    ``postgresql+psycopg://user@host/db``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database in (None, "", ":memory:"):
            engine = create_engine(url, json_serializer=_dumps, poolclass=StaticPool,
                                   connect_args={"check_same_thread": False})
        else:
            assert database is not None  # noqa: S101 - narrowed above
            path = Path(database)
            if not path.exists():
                if not create:
                    raise NotFoundError(f"there is no database at {path}",
                                        hint="check --db (or TENDERGUARD_DB); a database is made by `tenderguard "
                                             "import` or the first batch or desk")
                path.parent.mkdir(parents=True, exist_ok=True)
                create_private(path)
            engine = create_engine(url, json_serializer=_dumps, connect_args={"check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, json_serializer=_dumps)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _ping_if_idle(engine))
    return engine


# ------------------------------------------------------------------------------------------- the store


class _ThreadToken:
    """Lives exactly as long as its thread's kept connection state: its end gives the connection back."""


class _HeldConnection(threading.local):
    """A thread's own connection (see :meth:`SqlStore.connect`)."""

    conn: Connection | None = None
    #: Dropped with the thread's other attributes when the thread ends; a finaliser then closes ``conn``.
    token: _ThreadToken | None = None
    closer: weakref.finalize[Any, Any] | None = None
    #: A unit of work of this thread is using it now.
    busy = False
    pid = 0
    last_used = 0.0


class SqlStore:
    """A centre's data in a SQL database; desks open a :class:`SqlUnitOfWork` on it per operation.

    The tables are created on first use (at the newest migration). A database at an older revision, or at one
    this code does not know, is refused with :class:`SchemaError` (see :mod:`tenderguard.store.schema`).
    """

    #: How many recently committed screenings a process keeps to skip reloading them.
    cache_size = 512

    def __init__(self, url_or_engine: str | Engine, centre: Centre, *, create: bool = True) -> None:
        owned = isinstance(url_or_engine, str)
        self.create = create
        if isinstance(url_or_engine, str):
            self.engine = create_engine_for(url_or_engine, create=create)
        else:
            self.engine = url_or_engine
            if self.engine.dialect.name == "sqlite":
                _configure_sqlite(self.engine)
        self.centre = centre
        self.dialect = self.engine.dialect.name
        #: The writes of every desk step, arrival and admission, compiled once for this database (see driver.py).
        self.hot = _HotPath(self.engine.dialect)
        self.last_seal = 0.0
        #: Sessions and companies never change once registered: each process remembers those it has read.
        self.known_sessions: dict[str, BidSession] = {}
        self.known_companies: dict[str, str] = {}
        #: Screenings this process committed last, reused by its next operation (a stale one fails the version
        #: check on write, and the desk's retry reloads it).
        self._screenings: dict[str, _Tracked] = {}
        self._held = _HeldConnection()
        #: Closes one thread's kept connection (returns it to the pool): run when the thread ends, or by dispose.
        self._closers: list[tuple[int, weakref.finalize[Any, Any]]] = []
        self._held_lock = threading.Lock()
        try:
            self._ensure_schema()
        except BaseException:
            if owned:
                self.engine.dispose()
            raise

    def _ensure_schema(self) -> None:
        schema.ensure(self.engine, create=self.create)

    #: How often (seconds) a desk's commit also seals the audit trail's new entries into the chain.
    seal_interval = 1.0

    def remember(self, entry: _Tracked) -> None:
        """Keep a committed screening for this process's next operation on it (checked by its version)."""
        cache = self._screenings
        cache.pop(entry.screening.id, None)
        cache[entry.screening.id] = _Tracked(entry.screening, entry.version, entry.n_records, dict(entry.values))
        while len(cache) > self.cache_size:
            del cache[next(iter(cache))]

    def forget_screenings(self) -> None:
        """Forget the screenings this process committed last (their rows were changed behind them)."""
        self._screenings.clear()

    def recall(self, screening_id: str) -> _Tracked | None:
        """The screening as this process last committed it, if still remembered (taken out of the cache)."""
        return self._screenings.pop(screening_id, None)

    def seal_audit(self) -> int:
        """Seal every unsealed audit entry into the chain now; returns how many were sealed."""
        return seal_all(self.unit_of_work)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A new unit of work on this store (a ``uow_factory`` for :class:`~tenderguard.services.Gate`)."""
        return SqlUnitOfWork(self)

    def connect(self) -> tuple[Connection, bool]:
        """A connection for one unit of work, and whether it is the calling thread's own (kept open afterwards).

        Each thread keeps one connection from one unit of work to the next instead of taking it from the pool
        and giving it back every time (a desk makes eight calls a screening). A unit of work opened inside
        another one on the same thread gets a connection of its own from the pool. The kept connection is
        replaced when it was invalidated (lost) and, on PostgreSQL, pinged first when it has been idle for
        ``IDLE_PING_SECONDS``; it goes back to the pool when its thread ends (or at :meth:`dispose`).
        """
        held = self._held
        if held.busy:
            return self._open(), False
        conn = held.conn
        if conn is not None and held.pid != os.getpid():
            if held.closer is not None:
                held.closer.detach()  # inherited from the parent process: never used, nor closed, from this one
            conn = None
        elif conn is not None and (conn.invalidated or conn.closed or not self._alive(conn, held.last_used)):
            conn.close()
            conn = None
            held.token = None  # its finaliser closes the connection again: a closed connection stays closed
        if conn is None:
            conn = self._open()
            held.conn, held.pid = conn, os.getpid()
            held.token = _ThreadToken()
            held.closer = closer = weakref.finalize(held.token, conn.close)
            with self._held_lock:
                self._closers = [(pid, c) for pid, c in self._closers if c.alive] + [(os.getpid(), closer)]
        held.busy = True
        return conn, True

    def _open(self) -> Connection:
        conn = self.engine.connect()
        if self.dialect == "postgresql":
            # Transactions are begun by the unit of work itself, in the same pipeline as its first statements
            # (see pgpipe.py): psycopg would send each BEGIN as a round trip of its own.
            conn.execution_options(isolation_level="AUTOCOMMIT")
        return conn

    def _alive(self, conn: Connection, last_used: float) -> bool:
        if self.dialect != "postgresql" or time.monotonic() - last_used < IDLE_PING_SECONDS:
            return True
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is None:
            return False
        failure = _ping_failure(self.engine, dbapi_connection)
        if failure is not None:
            conn.invalidate(failure)
            return False
        return True

    def release(self, conn: Connection, held: bool) -> None:
        """The unit of work is over: keep the thread's own connection, give any other back to the pool."""
        if held:
            self._held.busy = False
            self._held.last_used = time.monotonic()
        else:
            conn.close()

    def compact(self) -> None:
        """Leave nothing deleted on disk and give its space back (after a purge), outside any transaction.

        SQLite: the write-ahead log is checkpointed and truncated and the file rebuilt (``VACUUM``; deleted
        content is overwritten anyway, ``secure_delete``). PostgreSQL: the purged tables are vacuumed.
        """
        if self.dialect == "sqlite":
            raw = self.engine.raw_connection()
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
        """Close the connections kept by threads and the pooled ones."""
        with self._held_lock:
            closers, self._closers = self._closers, []
        for pid, closer in closers:
            if pid == os.getpid():
                closer()  # once only: a finaliser that already ran does nothing
            else:
                closer.detach()  # a parent process's connection, copied by a fork: left to the parent
        self._held = _HeldConnection()
        self.engine.dispose()


# ---------------------------------------------------------------------------------- prepared statements

_SCREENING_MUTABLE = ("state", "outcome", "reason", "services", "badge", "fevers", "measuring_errors",
                      "rest_until", "supplies")


def _update_screening(changed: Iterable[str], *, server_checks: bool) -> Any:
    """The versioned UPDATE of a screening's row setting ``changed`` (and the version) only.

    Naming only what changed keeps the indexes over the other columns out of the write — SQLite maintains an
    index only when its columns (or its partial index's condition) are named in the SET list, and PostgreSQL
    can then update the row in place (a HOT update) — so a plain step writes the row and nothing else.

    On SQLite a stale version matches no row (the unit of work checks the count); with ``server_checks``
    (PostgreSQL) the row is matched by id and a stale version makes the server raise a serialisation failure
    (``tg_screening_changed``, migration 0009), so the COMMIT can follow in the same pipeline.
    """
    values: dict[str, Any] = {name: bindparam(name) for name in changed}
    if server_checks:
        values["version"] = case(
            (screenings.c.version == bindparam("b_version"), bindparam("version")),
            else_=func.tg_screening_changed(screenings.c.id, screenings.c.version, bindparam("b_version")))
        return update(screenings).where(screenings.c.id == bindparam("b_id")).values(values)
    values["version"] = bindparam("version")
    return (update(screenings)
            .where(screenings.c.id == bindparam("b_id"), screenings.c.version == bindparam("b_version"))
            .values(values))


_INSERT_EVENT = insert(screening_events).values({c.name: bindparam(c.name) for c in screening_events.columns})
_SELECT_SCREENING = select(screenings).where(screenings.c.id == bindparam("b_id"))
_SELECT_EVENTS = (select(screening_events).where(screening_events.c.screening_id == bindparam("b_id"))
                  .order_by(screening_events.c.seq))
_ADMISSION_FIELDS = tuple(a.name for a in attrs.fields(Admission) if a.name != "id")
_UPDATE_ADMISSION = (update(admissions).where(admissions.c.id == bindparam("b_id"))
                     .values({name: bindparam(name) for name in _ADMISSION_FIELDS}))
_BADGE_FIELDS = tuple(a.name for a in attrs.fields(Badge) if a.name != "serial")
_UPDATE_BADGE = (update(badges).where(badges.c.serial == bindparam("b_serial"))
                 .values({name: bindparam(name) for name in _BADGE_FIELDS}))


def _next_ordinal(table: Table) -> Any:
    """``max(ordinal) + 1``: SQLite's insertion order (its writers are serialised by BEGIN IMMEDIATE)."""
    return select(func.coalesce(func.max(table.c.ordinal), 0) + 1).scalar_subquery()


def _upsert_sequence(dialect_insert: Any) -> Any:
    return (dialect_insert(day_sequences).values(centre=bindparam("b_centre"), day=bindparam("b_day"), value=1)
            .on_conflict_do_update(index_elements=[day_sequences.c.centre, day_sequences.c.day],
                                   set_={"value": day_sequences.c.value + 1})
            .returning(day_sequences.c.value))


# Hot-path statements, built once (SQLAlchemy then reuses their compiled form).
#: The columns a new screening's row sets (the others keep their defaults: ordinal, health_purged_at).
_NEW_SCREENING_COLUMNS = (
    *_SCREENING_MUTABLE, "id", "centre", "day", "session", "role", "name", "company", "credit_code",
    "document_kind", "document_masked", "phone_masked", "key_area", "visitor_at", "person_key", "hall", "reentry",
    "opened_at", "opened_desk", "opened_operator", "version", "source_ref", "document_number", "phone_key",
)


def _insert_of(table: Table, columns: Iterable[str], *, ordinal: bool) -> Any:
    """An INSERT binding ``columns``; with ``ordinal``, numbered ``max + 1`` (SQLite; PostgreSQL has an identity)."""
    values: dict[str, Any] = {name: bindparam(name) for name in columns}
    if ordinal:
        values["ordinal"] = _next_ordinal(table)
    return insert(table).values(values)


_COMPANY_BY_KEY = select(companies.c.credit_code).where(companies.c.name_key == bindparam("b_key"))
_FOR_PERSON = (select(admissions).where(admissions.c.day == bindparam("b_day"),
                                        admissions.c.person_key == bindparam("b_key"))
               .order_by(admissions.c.ordinal))
_ACTIVE_FOR_ORGANISATION = (select(admissions).where(
    admissions.c.day == bindparam("b_day"), admissions.c.organisation == bindparam("b_org"),
    admissions.c.role == bindparam("b_role"), admissions.c.status == str(AdmissionStatus.ACTIVE))
    .order_by(admissions.c.ordinal))
_INSIDE = select(hall_occupancy.c.inside).where(hall_occupancy.c.day == bindparam("b_day"),
                                                hall_occupancy.c.hall == bindparam("b_hall"))
#: PostgreSQL: the hall's count, its row locked until commit (created at 0 on the day's first use). ON CONFLICT DO
#: UPDATE works on the newest committed version of the row, so a desk that waited for the lock reads the count
#: the other desk left.
def _hold_hall(dialect_insert: Any) -> Any:
    return (dialect_insert(hall_occupancy)
            .values(day=bindparam("b_day"), hall=bindparam("b_hall"), inside=0)
            .on_conflict_do_update(index_elements=[hall_occupancy.c.day, hall_occupancy.c.hall],
                                   set_={"inside": hall_occupancy.c.inside})
            .returning(hall_occupancy.c.inside))
_NEXT_SEQUENCE_PG = _upsert_sequence(postgresql.insert)
#: Desks deciding on the same thing (a company's role quota, a hall) queue on this lock until they commit.
_ADVISORY_LOCK = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("b_name", type_=String), 0)))
_NEXT_SEQUENCE_SQLITE = _upsert_sequence(sqlite_dialect.insert)


def _is_conflict(exc: DBAPIError) -> bool:
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_CONFLICTS:
        return True
    return getattr(orig, "sqlite_errorname", None) in _SQLITE_CONFLICTS


def _conflict_message(exc: DBAPIError) -> str:
    """What the conflict was: the server's own words for a serialisation failure (a stale screening names itself)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) == "40001":
        primary = getattr(getattr(orig, "diag", None), "message_primary", None)
        if primary:
            return str(primary)
    return "another desk changed the same records first"


def _reason(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Reason(value)
    except ValueError:
        return value  # a reason code a policy's question defines


@attrs.define
class _Tracked:
    """A screening this unit of work handed out, and what it looked like when loaded (None: added, new)."""

    screening: Screening
    version: int | None
    n_records: int
    values: dict[str, Any]


def _mutable_values(s: Screening) -> dict[str, Any]:
    return {
        "state": s.state, "outcome": str(s.outcome) if s.outcome is not None else None,
        "reason": str(s.reason) if s.reason is not None else None, "services": list(s.services),
        "badge": s.badge, "fevers": s.fevers, "measuring_errors": s.measuring_errors,
        "rest_until": s.rest_until, "supplies": dict(s.supplies),
    }


def _record_row(r: StepRecord) -> dict[str, Any]:
    return {"screening_id": r.screening_id, "seq": r.seq, "at": r.at, "desk": r.desk, "operator": r.operator,
            "action": r.action, "state_from": r.state_from, "state_to": r.state_to, "detail": dict(r.detail),
            "sensitive": r.sensitive}


# ------------------------------------------------------------------------------------------ repositories


class _Repo:
    __slots__ = ("pg", "store", "uow")

    def __init__(self, uow: SqlUnitOfWork) -> None:
        # Weak, so that a unit of work and its repositories form no reference cycle (see memory.py).
        self.uow: SqlUnitOfWork = weakref.proxy(uow)
        self.store = uow.store
        self.pg = uow.store.dialect == "postgresql"

    def _local(self, value: dt.datetime) -> dt.datetime:
        return value.astimezone(self.store.centre.tz)

    def _opt_local(self, value: dt.datetime | None) -> dt.datetime | None:
        return None if value is None else self._local(value)


class _Sessions(_Repo):
    __slots__ = ()

    def add(self, session: BidSession) -> None:
        self.uow.execute(insert(sessions), {
            "code": session.code, "project_name": session.project_name, "opens_at": session.opens_at,
            "day": session.day(self.store.centre), "hall": session.hall, "agency": session.agency,
        })

    def _of(self, row: RowMapping) -> BidSession:
        return BidSession(code=row["code"], project_name=row["project_name"], opens_at=self._local(row["opens_at"]),
                          hall=row["hall"], agency=row["agency"])

    def get(self, code: str) -> BidSession | None:
        known = self.store.known_sessions.get(code)
        if known is not None:
            return known
        row = self.uow.execute(_SELECT_SESSION, {"b_code": code}).mappings().first()
        if row is None:
            return None
        found = self._of(row)
        self.uow.learned(self.store.known_sessions, code, found)
        return found

    def all(self, day: dt.date | None = None) -> list[BidSession]:
        query = select(sessions).order_by(sessions.c.opens_at, sessions.c.code)
        if day is not None:
            query = query.where(sessions.c.day == day)
        return [self._of(row) for row in self.uow.execute(query).mappings()]


class _Agencies(_Repo):
    __slots__ = ()

    def add(self, agency: Agency) -> None:
        values = {"code": agency.code, "name": agency.name, "contact": agency.contact, "phone": agency.phone,
                  "email": agency.email}
        stmt = (postgresql.insert(agencies) if self.pg else sqlite_dialect.insert(agencies)).values(values)
        stmt = stmt.on_conflict_do_update(index_elements=[agencies.c.code],
                                          set_={k: v for k, v in values.items() if k != "code"})
        self.uow.execute(stmt)

    def get(self, code: str) -> Agency | None:
        row = self.uow.execute(select(agencies).where(agencies.c.code == code)).mappings().first()
        return None if row is None else Agency(**row)

    def all(self) -> list[Agency]:
        return [Agency(**row) for row in self.uow.execute(select(agencies).order_by(agencies.c.code)).mappings()]


class _Companies(_Repo):
    __slots__ = ()

    def get(self, credit_code: str) -> str | None:
        known = self.store.known_companies.get(credit_code)
        if known is not None:
            return known
        found: str | None = self.uow.scalar(self.store.hot.select_company, {"b_code": credit_code})
        if found is not None:
            self.uow.learned(self.store.known_companies, credit_code, found)
        return found

    def by_key(self, name_key: str) -> str | None:
        found: str | None = self.uow.scalar(self.store.hot.company_by_key, {"b_key": name_key})
        return found

    def expect(self, credit_code: str, name_key: str) -> None:
        if credit_code not in self.store.known_companies:
            self.uow.expect(self.store.hot.select_company, {"b_code": credit_code})
            self.uow.expect(self.store.hot.company_by_key, {"b_key": name_key})

    def add(self, credit_code: str, name: str, name_key: str) -> None:
        row = {"credit_code": credit_code, "name": name, "name_key": name_key}
        self.uow.later(self.store.hot.insert_company, [row])


class _Screenings(_Repo):
    __slots__ = ()

    def add(self, screening: Screening) -> None:
        self.uow.track(_Tracked(screening, None, 0, {}))

    def _build(self, row: RowMapping, records: Iterable[RowMapping]) -> Screening:
        visitor = Visitor(
            session=row["session"], role=Role(row["role"]), name=row["name"], at=self._local(row["visitor_at"]),
            document_kind=row["document_kind"], document_masked=row["document_masked"], company=row["company"],
            credit_code=row["credit_code"], phone_masked=row["phone_masked"], key_area=row["key_area"],
            document_number=row["document_number"], phone_key=row["phone_key"],
        )
        s = Screening(id=row["id"], visitor=visitor, person_key=row["person_key"], hall=row["hall"],
                      reentry=row["reentry"], opened_at=self._local(row["opened_at"]),
                      actor=Actor(desk=row["opened_desk"], operator=row["opened_operator"]), state=row["state"],
                      source=row["source_ref"])
        s.outcome = Outcome(row["outcome"]) if row["outcome"] is not None else None
        s.reason = _reason(row["reason"])
        s.services = tuple(row["services"])
        s.badge = row["badge"]
        s.fevers = row["fevers"]
        s.measuring_errors = row["measuring_errors"]
        s.rest_until = self._opt_local(row["rest_until"])
        s.supplies = dict(row["supplies"])
        s.health_purged_at = self._opt_local(row["health_purged_at"])
        s.keep_records([StepRecord(
            screening_id=r["screening_id"], seq=r["seq"], at=self._local(r["at"]), desk=r["desk"],
            operator=r["operator"], action=r["action"], state_from=r["state_from"], state_to=r["state_to"],
            detail=dict(r["detail"]), sensitive=r["sensitive"],
        ) for r in records])
        self.uow.track(_Tracked(s, row["version"], len(s.records), _mutable_values(s)))
        return s

    def get(self, screening_id: str) -> Screening | None:
        known = self.uow.tracked(screening_id)
        if known is not None:
            return known
        remembered = self.store.recall(screening_id)
        if remembered is not None:  # as this process committed it; the version check on write catches staleness
            self.uow.track(remembered)
            return remembered.screening
        row = self.uow.execute(_SELECT_SCREENING, {"b_id": screening_id}).mappings().first()
        if row is None:
            return None
        return self._build(row, self.uow.execute(_SELECT_EVENTS, {"b_id": screening_id}).mappings())

    def _many(self, *where: Any) -> list[Screening]:
        rows = self.uow.execute(select(screenings).where(*where).order_by(screenings.c.ordinal)).mappings().all()
        events: dict[str, list[RowMapping]] = {}
        query = (select(screening_events).join(screenings, screenings.c.id == screening_events.c.screening_id)
                 .where(*where).order_by(screening_events.c.screening_id, screening_events.c.seq))
        for event_row in self.uow.execute(query).mappings():
            events.setdefault(event_row["screening_id"], []).append(event_row)
        found: list[Screening] = []
        for row in rows:
            known = self.uow.tracked(row["id"])
            found.append(known if known is not None else self._build(row, events.get(row["id"], ())))
        return found

    def for_day(self, day: dt.date) -> list[Screening]:
        found = self._many(screenings.c.centre == self.store.centre.code, screenings.c.day == day)
        stored = {s.id for s in found}
        found += [s for s in self.uow.new_screenings() if s.id not in stored
                  and self.store.centre.day_of(s.opened_at) == day]
        return found

    def open(self) -> list[Screening]:
        found = self._many(screenings.c.centre == self.store.centre.code, screenings.c.outcome.is_(None))
        stored = {s.id for s in found}
        return found + [s for s in self.uow.new_screenings() if s.id not in stored and not s.closed]

    def for_person(self, day: dt.date, person_key: str) -> list[Screening]:
        found = self._many(screenings.c.day == day, screenings.c.person_key == person_key)
        stored = {s.id for s in found}
        return found + [s for s in self.uow.new_screenings() if s.id not in stored and s.person_key == person_key
                        and self.store.centre.day_of(s.opened_at) == day]

    def with_phone(self, day: dt.date, session: str, phone_key: str) -> list[Screening]:
        found = self._many(screenings.c.session == session, screenings.c.phone_key == phone_key,
                           screenings.c.day == day)
        stored = {s.id for s in found}
        return found + [s for s in self.uow.new_screenings() if s.id not in stored
                        and s.visitor.session == session and s.visitor.phone_key == phone_key]

    def by_source(self, source: str) -> Screening | None:
        known = next((s for s in self.uow.new_screenings() if s.source == source), None)
        if known is not None:
            return known
        found = self.uow.execute(select(screenings.c.id).where(screenings.c.source_ref == source)).scalar()
        return None if found is None else self.get(found)


def _quota_lock(day: dt.date, organisation: str, role: Role) -> str:
    """The name of the advisory lock of an organisation's quota in a role on a day (PostgreSQL)."""
    return f"quota|{day}|{organisation}|{role}"


class _Attendance(_Repo):
    __slots__ = ()

    def _row(self, a: Admission) -> dict[str, Any]:
        row = attrs.asdict(a, recurse=False)
        row["role"], row["status"] = str(a.role), str(a.status)
        return row

    def _of(self, row: Mapping[Any, Any]) -> Admission:
        return Admission(
            id=row["id"], screening_id=row["screening_id"], day=row["day"], session=row["session"],
            hall=row["hall"], role=Role(row["role"]), organisation=row["organisation"],
            person_key=row["person_key"], badge=row["badge"], at=self._local(row["at"]), desk=row["desk"],
            status=AdmissionStatus(row["status"]), inside=row["inside"], exited_at=self._opt_local(row["exited_at"]),
            entries=row["entries"],
        )

    def _list(self, query: Executable) -> list[Admission]:
        return [self._of(row) for row in self.uow.execute(query).mappings()]

    def add(self, admission: Admission) -> None:
        self.uow.later(self.store.hot.insert_admission, [self._row(admission)])

    def save(self, admission: Admission) -> None:
        row = self._row(admission)
        row["b_id"] = row.pop("id")
        self.uow.execute(_UPDATE_ADMISSION, row)

    def by_badge(self, serial: str) -> Admission | None:
        query = select(admissions).where(admissions.c.badge == serial,
                                         admissions.c.status == str(AdmissionStatus.ACTIVE))
        if self.pg:
            query = query.with_for_update()
        found = self._list(query.order_by(admissions.c.ordinal))
        return found[-1] if found else None

    def for_day(self, day: dt.date) -> list[Admission]:
        return self._list(select(admissions).where(admissions.c.day == day).order_by(admissions.c.ordinal))

    # Each read as (query, values), built in one place for the read itself and for ``expect``, which must
    # announce exactly the reads that follow.
    def _person_read(self, day: dt.date, person_key: str) -> tuple[DriverQuery, dict[str, Any]]:
        return self.store.hot.for_person, {"b_day": day, "b_key": person_key}

    def _quota_reads(self, day: dt.date, organisation: str, role: Role, *, deciding: bool
                     ) -> list[tuple[DriverQuery, dict[str, Any]]]:
        hot = self.store.hot
        # Desks counting the same quota queue on its lock until they commit (PostgreSQL).
        lock = [(hot.advisory_lock, {"b_name": _quota_lock(day, organisation, role)})] if deciding and self.pg else []
        return [*lock, (hot.active_for_organisation, {"b_day": day, "b_org": organisation, "b_role": str(role)})]

    def _hall_read(self, day: dt.date, hall: str, *, deciding: bool) -> tuple[DriverQuery, dict[str, Any]]:
        hot = self.store.hot
        return hot.hold_hall if deciding and self.pg else hot.inside, {"b_day": day, "b_hall": hall}

    def latest_for_person(self, day: dt.date, person_key: str) -> Admission | None:
        found = self.for_person(day, person_key)
        return found[-1] if found else None

    def for_person(self, day: dt.date, person_key: str, *, deciding: bool = False) -> list[Admission]:
        if deciding:
            self.hold_person(day, person_key)
        return [self._of(row) for row in self.uow.mappings(*self._person_read(day, person_key))]

    def hold_person(self, day: dt.date, person_key: str) -> None:
        # Desks deciding on one person queue on an advisory lock (PostgreSQL; SQLite's writers queue anyway).
        if self.pg:
            self.uow.fetch(self.store.hot.advisory_lock, {"b_name": f"person|{day}|{person_key}"})

    def expect(self, day: dt.date, *, person_key: str | None = None, quota: tuple[str, Role] | None = None,
               hall: str | None = None, deciding: bool = False) -> None:
        reads = [] if person_key is None else [self._person_read(day, person_key)]
        if quota is not None:
            reads += self._quota_reads(day, *quota, deciding=deciding)
        if hall is not None:
            reads.append(self._hall_read(day, hall, deciding=deciding))
        for query, values in reads:
            self.uow.expect(query, values)

    def active_for_person(self, day: dt.date, person_key: str) -> Admission | None:
        found = self.latest_for_person(day, person_key)
        return found if found is not None and found.status is AdmissionStatus.ACTIVE else None


    def active_for_organisation(self, day: dt.date, organisation: str, role: Role, *,
                                deciding: bool = False) -> list[Admission]:
        # Rows another desk has not committed yet cannot be locked: desks deciding on one organisation's role
        # queue on an advisory lock instead (and the unique index settles bidders' races in any case). The
        # early check at arrival reads without waiting; the admission re-checks under the lock.
        *lock, count = self._quota_reads(day, organisation, role, deciding=deciding)
        for query, values in lock:
            self.uow.fetch(query, values)
        return [self._of(row) for row in self.uow.mappings(*count)]

    def inside(self, day: dt.date, hall: str, *, deciding: bool = False) -> int:
        # Desks deciding on one hall queue on its row of hall_occupancy (PostgreSQL; SQLite's writers queue anyway).
        count: int | None = self.uow.scalar(*self._hall_read(day, hall, deciding=deciding))
        return count or 0


class _Badges(_Repo):
    __slots__ = ()

    def _row(self, b: Badge) -> dict[str, Any]:
        row = attrs.asdict(b, recurse=False)
        row["role"], row["status"] = str(b.role), str(b.status)
        return row

    def _of(self, row: RowMapping) -> Badge:
        return Badge(
            serial=row["serial"], centre=row["centre"], day=row["day"], session=row["session"], hall=row["hall"],
            role=Role(row["role"]), company=row["company"], credit_code=row["credit_code"],
            holder_masked=row["holder_masked"], person_key=row["person_key"],
            issued_at=self._local(row["issued_at"]), status=BadgeStatus(row["status"]),
            revoked_reason=row["revoked_reason"], reprints=row["reprints"],
        )

    def add(self, badge: Badge) -> None:
        self.uow.later(self.store.hot.insert_badge, [self._row(badge)])

    def get(self, serial: str) -> Badge | None:
        query = select(badges).where(badges.c.serial == serial)
        if self.pg:
            query = query.with_for_update()
        row = self.uow.execute(query).mappings().first()
        return None if row is None else self._of(row)

    def save(self, badge: Badge) -> None:
        row = self._row(badge)
        row["b_serial"] = row.pop("serial")
        self.uow.execute(_UPDATE_BADGE, row)

    def next_sequence(self, centre: str, day: dt.date) -> int:
        value: int = self.uow.scalar(self.store.hot.next_sequence, {"b_centre": centre, "b_day": day})
        return value

    def for_day(self, day: dt.date) -> list[Badge]:
        query = select(badges).where(badges.c.day == day).order_by(badges.c.serial)
        return [self._of(row) for row in self.uow.execute(query).mappings()]


_SELECT_SESSION = select(sessions).where(sessions.c.code == bindparam("b_code"))
_SELECT_COMPANY = select(companies.c.name).where(companies.c.credit_code == bindparam("b_code"))
_AUDIT_FIELDS = ("at", "kind", "subject", "desk", "operator", "payload")
_INSERT_AUDIT = insert(audit_log).values({f: bindparam(f) for f in _AUDIT_FIELDS})


def _audit_rows(drafts: Sequence[AuditDraft]) -> list[dict[str, Any]]:
    return [{f: getattr(d, f) for f in _AUDIT_FIELDS} for d in drafts]


class _HotPath:
    """The writes of every desk step, arrival and admission, sent straight to the driver (compiled once)."""

    def __init__(self, dialect: Dialect) -> None:
        numbered = dialect.name == "sqlite"
        self._dialect = dialect
        self._updates: dict[tuple[str, ...], DriverStatement] = {}
        self.insert_company = DriverStatement(_insert_of(companies, ("credit_code", "name", "name_key"),
                                                         ordinal=False), companies, dialect, _dumps)
        # The reads of an arrival and an admission.
        self.select_company = DriverQuery(_SELECT_COMPANY, dialect)
        self.company_by_key = DriverQuery(_COMPANY_BY_KEY, dialect)
        self.for_person = DriverQuery(_FOR_PERSON, dialect)
        self.active_for_organisation = DriverQuery(_ACTIVE_FOR_ORGANISATION, dialect)
        self.inside = DriverQuery(_INSIDE, dialect)
        self.hold_hall = DriverQuery(_hold_hall(sqlite_dialect.insert if numbered else postgresql.insert), dialect)
        self.next_sequence = DriverQuery(_NEXT_SEQUENCE_SQLITE if numbered else _NEXT_SEQUENCE_PG, dialect)
        self.advisory_lock = DriverQuery(_ADVISORY_LOCK, dialect)
        # Sealing the audit trail, about once a second.
        self.select_pending = DriverQuery(_SELECT_PENDING, dialect)
        self.seal_entry = DriverStatement(_SEAL_ENTRY, audit_log, dialect, _dumps)
        self.insert_events = DriverStatement(_INSERT_EVENT, screening_events, dialect, _dumps)
        self.insert_audit = DriverStatement(_INSERT_AUDIT, audit_log, dialect, _dumps)
        self.insert_screening = DriverStatement(_insert_of(screenings, _NEW_SCREENING_COLUMNS, ordinal=numbered),
                                                screenings, dialect, _dumps)
        self.insert_admission = DriverStatement(
            _insert_of(admissions, (a.name for a in attrs.fields(Admission)), ordinal=numbered), admissions,
            dialect, _dumps)
        self.insert_badge = DriverStatement(_insert_of(badges, (a.name for a in attrs.fields(Badge)), ordinal=False),
                                            badges, dialect, _dumps)

    def update_screening(self, changed: tuple[str, ...]) -> DriverStatement:
        """The versioned update of a screening setting the ``changed`` columns (one statement per combination)."""
        found = self._updates.get(changed)
        if found is None:
            statement = _update_screening(changed, server_checks=self._dialect.name == "postgresql")
            found = self._updates[changed] = DriverStatement(statement, screenings, self._dialect, _dumps)
        return found


_SELECT_HEAD = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
_LOCK_HEAD = _SELECT_HEAD.with_for_update()
_SELECT_PENDING = (select(audit_log.c.id, *(audit_log.c[f] for f in _AUDIT_FIELDS))
                   .where(audit_log.c.seq.is_(None)).order_by(audit_log.c.id).limit(bindparam("b_limit")))
_SEAL_ENTRY = (update(audit_log).where(audit_log.c.id == bindparam("b_id"))
               .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash")))
_MOVE_HEAD = update(audit_head).where(audit_head.c.id == 1).values(seq=bindparam("seq"), hash=bindparam("hash"))
#: PostgreSQL advisory lock of the sealer ("tg_aud"): one desk seals at a time, the others skip it.
_SEAL_LOCK = 0x7467_5F61_7564


class _Audit(_Repo):
    __slots__ = ()

    def record(self, draft: AuditDraft) -> None:
        self.uow.audit_drafts.append(draft)

    def _entries(self, query: Select[Any]) -> list[AuditEntry]:
        return [AuditEntry(seq=r["seq"] or 0, at=self._local(r["at"]), kind=r["kind"], subject=r["subject"],
                           desk=r["desk"], operator=r["operator"], payload=r["payload"],
                           prev_hash=r["prev_hash"] or "", hash=r["hash"] or "")
                for r in self.uow.execute(query).mappings()]

    def entries(self, after: int = 0, limit: int | None = None, *, since: dt.datetime | None = None
                ) -> list[AuditEntry]:
        query = select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
        if since is not None:
            query = query.where(audit_log.c.at >= since)
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
        hot = self.store.hot
        rows = self.uow.mappings(hot.select_pending, {"b_limit": limit})
        if not rows:
            return 0
        linked = chain_hashes(((r["at"], r["kind"], r["subject"], r["desk"], r["operator"], r["payload"])
                               for r in rows), int(head.seq), str(head.hash))
        self.uow.run(hot.seal_entry, [{"b_id": r["id"], "seq": seq, "prev_hash": prev, "hash": digest}
                                      for r, (seq, prev, digest) in zip(rows, linked, strict=True)])
        self.uow.execute(_MOVE_HEAD, {"seq": linked[-1][0], "hash": linked[-1][2]})
        return len(linked)


_SCRUB_SCREENING = (
    update(screenings).where(screenings.c.id == bindparam("b_id"))
    .values(name=bindparam("name"), reason=bindparam("reason"), fevers=0, measuring_errors=0, rest_until=None,
            phone_masked=None, phone_key=None, document_number=None, health_purged_at=bindparam("at"),
            version=screenings.c.version + 1)
)


class _Signals(_Repo):
    __slots__ = ()

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


class _Settings(_Repo):
    __slots__ = ()

    def get(self, name: str) -> str | None:
        found: str | None = self.uow.execute(select(settings.c.value).where(settings.c.name == name)).scalar()
        return found

    def add(self, name: str, value: str) -> None:
        stmt = (postgresql.insert(settings) if self.pg else sqlite_dialect.insert(settings)).values(
            name=name, value=value).on_conflict_do_nothing(index_elements=[settings.c.name])
        self.uow.execute(stmt)


class _Calls(_Repo):
    __slots__ = ()

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


class _Outbox(_Repo):
    __slots__ = ()

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
        dialect_insert = postgresql.insert if self.pg else sqlite_dialect.insert
        stmt = dialect_insert(outbox).values(self._row(item)).on_conflict_do_nothing(index_elements=[outbox.c.key])
        return bool(self.uow.execute(stmt).rowcount)

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


class _Retention(_Repo):
    __slots__ = ()

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
        self.store.forget_screenings()  # what this process remembers of them is what the purge changed
        return counts


# ------------------------------------------------------------------------------------------ unit of work


class SqlUnitOfWork(AbstractUnitOfWork):
    """One operation on a :class:`SqlStore`: one connection, one transaction, committed or rolled back."""

    #: Screenings are rebuilt from the database in every operation.
    live_objects = False

    def __init__(self, store: SqlStore) -> None:
        super().__init__()
        self.store = store
        self._conn: Connection | None = None
        self._held = False
        self._tracked: dict[str, _Tracked] = {}
        self._learned: list[tuple[dict[str, Any], str, Any]] = []
        self._pg = store.dialect == "postgresql"
        self._dbapi_error: type[Exception] = store.engine.dialect.loaded_dbapi.Error
        #: PostgreSQL: reads announced as coming next (not run yet), and reads run ahead and not asked for yet.
        self._expected: list[tuple[DriverQuery, dict[str, Any]]] = []
        self._ahead: collections.deque[tuple[DriverQuery, dict[str, Any], list[list[Any]]]] = collections.deque()
        #: Inserts nothing reads back before the commit, sent with it (see :meth:`later`).
        self._later: list[Write] = []

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

    def compact(self) -> None:
        """Leave nothing deleted on disk (see :meth:`SqlStore.compact`)."""
        self.store.compact()

    def __enter__(self) -> SqlUnitOfWork:
        """Open a connection and begin the transaction (on SQLite: take the write lock)."""
        super().__enter__()
        self._tracked.clear()
        self._learned.clear()
        self._forget_ahead()
        self._later.clear()
        conn, held = self.store.connect()
        try:
            conn.begin()  # on SQLite the engine's "begin" listener emits BEGIN IMMEDIATE
        except DBAPIError as exc:
            self.store.release(conn, held)
            if _is_conflict(exc):
                raise ConflictError("the database is busy with another desk", hint="retry") from exc
            raise
        self._conn, self._held = conn, held
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Roll back whatever was not committed and release the connection (see :meth:`SqlStore.connect`)."""
        try:
            self.rollback()
        finally:
            if self._conn is not None:
                self.store.release(self._conn, self._held)
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
        """Run a statement in the transaction; a lost race is rolled back and raised as ConflictError."""
        conn = self.connection
        self._forget_ahead()
        self._send_later()
        try:
            if self._pg:
                pgpipe.begin(conn)
            return conn.execute(statement, params)
        except DBAPIError as exc:
            self._failed(exc)
        except self._dbapi_error as exc:  # the BEGIN, sent straight to the driver
            self._failed(driver_error(conn, exc, "BEGIN"))

    def run(self, statement: DriverStatement, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run a hot-path statement through the driver (see driver.py); conflicts as for :meth:`execute`."""
        return self.run_all([(statement, rows)])[0]

    def run_all(self, writes: Sequence[Write]) -> list[int]:
        """Run hot-path statements through the driver together; the rows each affected, in order."""
        self._forget_ahead()
        later, self._later = self._later, []
        try:
            return run_together(self.connection, [*later, *writes])[len(later):]
        except DBAPIError as exc:
            self._failed(exc)

    def later(self, statement: DriverStatement, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows with the commit (in the same round trip), or before the operation's next statement.

        For a row nothing in the operation reads back (a new company, badge or admission): a database check it
        fails (a unique index, a foreign key) fails the commit instead, as a conflict the desk runs again.
        """
        self._forget_ahead()
        self._later.append((statement, rows))

    def _send_later(self) -> None:
        if self._later:
            self.run_all([])

    def fetch(self, query: DriverQuery, values: Mapping[str, Any]) -> list[list[Any]]:
        """Run a hot-path query through the driver (see driver.py); its rows. Conflicts as for :meth:`execute`.

        A query announced with :meth:`expect` is answered from the reads run ahead, when it is the next one.
        """
        if self._expected or self._ahead:
            found = self._from_ahead(query, values)
            if found is not None:
                return found
        self._send_later()
        try:
            return fetch(self.connection, query, values)
        except DBAPIError as exc:
            self._failed(exc)

    def expect(self, query: DriverQuery, values: Mapping[str, Any]) -> None:
        """Announce a hot-path read the operation makes next (after those already announced); PostgreSQL only.

        When the first announced read is asked for, all of them run in one pipeline; each is then answered from
        there as it is asked, in order. A read asked out of order, or any write, drops what is left, and reads
        run one by one again — so an answer is always what the read would have found at that point (the reads
        run in order on the server, a lock taken by one before the next is read).
        """
        if self._pg:
            self._expected.append((query, dict(values)))

    def _from_ahead(self, query: DriverQuery, values: Mapping[str, Any]) -> list[list[Any]] | None:
        if self._expected:
            first, first_values = self._expected[0]
            if first is not query or first_values != values:
                self._forget_ahead()
                return None
            reads, self._expected = self._expected, []
            try:
                answers = fetch_together(self.connection, reads)
            except DBAPIError as exc:
                self._failed(exc)
            self._ahead.extend((q, v, rows) for (q, v), rows in zip(reads, answers, strict=True))
        if self._ahead:
            ahead, ahead_values, rows = self._ahead.popleft()
            if ahead is query and ahead_values == values:
                return rows
        self._forget_ahead()
        return None

    def _forget_ahead(self) -> None:
        self._expected.clear()
        self._ahead.clear()

    def mappings(self, query: DriverQuery, values: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A hot-path query's rows, each as a mapping of its column names."""
        keys = query.keys
        return [dict(zip(keys, row, strict=True)) for row in self.fetch(query, values)]

    def scalar(self, query: DriverQuery, values: Mapping[str, Any]) -> Any:
        """The first column of a hot-path query's first row, or None when it has no rows."""
        rows = self.fetch(query, values)
        return rows[0][0] if rows else None

    def _failed(self, exc: DBAPIError) -> NoReturn:
        self.rollback()
        if exc.connection_invalidated:
            # Nothing of this operation was committed (the server rolls back a lost connection's transaction).
            raise ConflictError("the connection to the database was lost",
                                hint="the operation is run again on a new connection") from exc
        if _is_conflict(exc):
            raise ConflictError(_conflict_message(exc), hint="retry the operation") from exc
        raise exc

    def learned(self, cache: dict[str, Any], key: str, value: Any) -> None:
        """Remember a registered record in a store-wide cache once this operation commits."""
        self._learned.append((cache, key, value))

    def track(self, entry: _Tracked) -> None:
        """Remember a screening handed out (loaded or added) so that commit writes it back."""
        self._tracked[entry.screening.id] = entry

    def tracked(self, screening_id: str) -> Screening | None:
        """The screening already handed out by this operation, if any."""
        entry = self._tracked.get(screening_id)
        return None if entry is None else entry.screening

    def new_screenings(self) -> list[Screening]:
        """Screenings added in this operation and not yet written."""
        return [e.screening for e in self._tracked.values() if e.version is None]

    # -- the contract

    def _flush(self, writes: list[Write]
               ) -> tuple[list[tuple[_Tracked, int | None]], list[StepRecord], list[tuple[str, int]]]:
        """Queue in ``writes`` the inserts of new screenings, the updates of loaded ones and every new step record.

        Returns what was written, the new step records, and each queued update's screening id and place in
        ``writes``.
        """
        written: list[tuple[_Tracked, int | None]] = []
        records: list[StepRecord] = []
        updated: list[tuple[str, int]] = []
        hot = self.store.hot
        centre = self.store.centre
        for entry in self._tracked.values():
            s = entry.screening
            values = _mutable_values(s)
            if entry.version is None:
                v = s.visitor
                row = values | {
                    "id": s.id, "centre": centre.code, "day": centre.day_of(s.opened_at), "session": v.session,
                    "role": str(v.role), "name": v.name, "company": v.company, "credit_code": v.credit_code,
                    "document_kind": v.document_kind, "document_masked": v.document_masked,
                    "phone_masked": v.phone_masked, "key_area": v.key_area, "visitor_at": v.at,
                    "person_key": s.person_key, "hall": s.hall, "reentry": s.reentry, "opened_at": s.opened_at,
                    "opened_desk": s.opened_by.desk, "opened_operator": s.opened_by.operator, "version": 1,
                    "source_ref": s.source, "document_number": v.document_number, "phone_key": v.phone_key,
                }
                writes.append((hot.insert_screening, [row]))
                written.append((entry, 1))
            elif (changed := tuple(name for name in _SCREENING_MUTABLE if values[name] != entry.values.get(name))
                  ) or len(s.records) > entry.n_records:
                params = values | {"b_id": s.id, "b_version": entry.version, "version": entry.version + 1}
                updated.append((s.id, len(writes)))
                writes.append((hot.update_screening(changed), [params]))
                written.append((entry, entry.version + 1))
            else:
                continue
            new_records = s.records[entry.n_records:]
            if new_records:
                writes.append((hot.insert_events, [_record_row(r) for r in new_records]))
                records += new_records
        return written, records, updated

    def commit(self) -> None:
        """Write back every screening touched and the audit entries, then commit (a lost race: ConflictError).

        The step's writes — the rows written with the commit (:meth:`later`), the screenings' versioned updates,
        their new step records, the audit entries — go to the driver together; on PostgreSQL the COMMIT goes with
        them (one round trip for the whole step, see pgpipe.py). An update that finds another version is a
        conflict.
        """
        self._forget_ahead()
        writes, self._later = self._later, []
        written, records, updated = self._flush(writes)
        drafts = self.pending_audit(iter(records))
        if drafts:
            writes.append((self.store.hot.insert_audit, _audit_rows(drafts)))
        self.audit_drafts = []
        # On PostgreSQL the COMMIT goes in the writes' pipeline when the server itself refuses every stale write:
        # each screening update checks its version (tg_screening_changed) and carries new step records (whose
        # foreign key fails if the screening is gone), so there is nothing left to check between them.
        pipelined = self._pg and bool(writes) and all(
            entry.version is None or len(entry.screening.records) > entry.n_records for entry, _v in written)
        if pipelined and not pgpipe.probe(self.connection):
            self.connection.invalidate()
            self.rollback()
            raise ConflictError("the connection to the database was lost",
                                hint="the operation is run again on a new connection")
        try:
            counts = run_together(self.connection, writes, commit=pipelined) if writes else []
        except DBAPIError as exc:
            if pipelined and exc.connection_invalidated:
                self._lost_at_commit(exc)
            self._failed(exc)
        for screening_id, place in updated:
            if counts[place] != 1:
                self.rollback()
                raise ConflictError(f"screening {screening_id} was changed by another desk",
                                    hint="retry the operation")
        try:
            self.connection.commit()
        except DBAPIError as exc:
            if exc.connection_invalidated:
                self._lost_at_commit(exc)
            self._failed(exc)
        for entry, version in written:
            entry.version = version
            entry.n_records = len(entry.screening.records)
            entry.values = _mutable_values(entry.screening)
            self.store.remember(entry)
        for cache, key, value in self._learned:
            cache[key] = value
        self._learned.clear()
        if drafts:
            self._seal_now_and_then()

    def _lost_at_commit(self, exc: DBAPIError) -> NoReturn:
        self.rollback()
        raise TenderGuardError(
            "the connection to the database was lost while committing: this operation may or may not "
            "have been saved", hint="look at the screening (Desk.view) before repeating the step") from exc

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
            self.connection.begin()
            self.audit.seal(wait=False)
            self.connection.commit()
        except (DBAPIError, TenderGuardError):
            log.warning("sealing the audit trail failed; it is retried with a later operation", exc_info=True)
            self.rollback()

    def rollback(self) -> None:
        """Discard the uncommitted changes of this operation."""
        self._forget_ahead()
        self._later.clear()
        conn = self._conn
        if conn is None or conn.invalidated:
            return
        try:
            if conn.in_transaction():
                conn.rollback()
            if self._pg and not conn.invalidated:
                pgpipe.end(conn)  # a transaction the driver began after SQLAlchemy's had ended
        except (DBAPIError, self._dbapi_error):  # the connection is gone; the server rolls back on its own
            conn.invalidate()

    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation."""
        return iter([e.screening for e in self._tracked.values()])
