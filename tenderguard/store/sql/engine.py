"""The SQLAlchemy engine of the SQL store: SQLite (one gate PC) or PostgreSQL (several desks and machines).

SQLite: WAL mode, foreign keys, a busy timeout, deleted content overwritten (``secure_delete``), and every
transaction begun with ``BEGIN IMMEDIATE`` so writers queue instead of failing half-way; the file is created
readable by its owner only. PostgreSQL: psycopg 3 through SQLAlchemy's pool, which pings a connection before
handing it out (``pool_pre_ping``), so a connection the server dropped between two operations is replaced.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from tenderguard.errors import InvalidInputError, NotFoundError
from tenderguard.records.files import create_private

__all__ = ["SQLITE_BUSY_TIMEOUT_MS", "conflict_message", "create_engine_for", "dumps", "is_conflict"]

#: How long a SQLite writer waits for another desk's transaction before giving up (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 10_000

#: PostgreSQL error codes that mean "another desk got there first": unique violation, serialisation failure,
#: deadlock, lock not available, and a transaction that could not begin.
_PG_CONFLICTS = frozenset({"23505", "40001", "40P01", "55P03"})
_SQLITE_CONFLICTS = frozenset({
    "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT",
    "SQLITE_LOCKED",
})


def dumps(value: Any) -> str:
    """The JSON of a column's value: Chinese text as it is, not escaped."""
    return json.dumps(value, ensure_ascii=False, default=str)


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
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def configure_sqlite(engine: Engine) -> None:
    """Install the SQLite settings and ``BEGIN IMMEDIATE`` on an engine (once)."""
    if not event.contains(engine, "connect", _sqlite_on_connect):
        event.listen(engine, "connect", _sqlite_on_connect)
    if not event.contains(engine, "begin", _sqlite_on_begin):
        event.listen(engine, "begin", _sqlite_on_begin)


def create_engine_for(url: str, *, create: bool = True) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql+psycopg://user@host/db``.

    A SQLite file is created on first use, readable by its owner only (its WAL and shared-memory files take the
    same mode); with ``create=False`` a missing file is refused instead.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInputError("db", f"{parsed.get_backend_name()!r} databases are not supported",
                                hint="use sqlite:///FILE or postgresql+psycopg://user@host/db")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database in (None, "", ":memory:"):
            engine = create_engine(url, json_serializer=dumps, poolclass=StaticPool,
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
            engine = create_engine(url, json_serializer=dumps, connect_args={"check_same_thread": False})
        configure_sqlite(engine)
        return engine
    return create_engine(url, json_serializer=dumps, pool_pre_ping=True)


def is_conflict(exc: DBAPIError) -> bool:
    """Whether a database error means another desk changed the same records first (run the operation again)."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_CONFLICTS:
        return True
    if isinstance(orig, sqlite3.Error):
        return getattr(orig, "sqlite_errorname", None) in _SQLITE_CONFLICTS
    return False


def conflict_message(exc: DBAPIError) -> str:
    """What the conflict was, in the server's own words when it gave some."""
    primary = getattr(getattr(exc.orig, "diag", None), "message_primary", None)
    return str(primary) if primary else "another desk changed the same records first"
