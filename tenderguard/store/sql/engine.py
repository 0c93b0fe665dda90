"""The SQLAlchemy engine of the SQL store: SQLite (one gate PC) or PostgreSQL (several desks and machines).

SQLite: WAL mode, foreign keys, a busy timeout, deleted content overwritten (``secure_delete``), and every
transaction begun with ``BEGIN IMMEDIATE`` so writers queue instead of failing half-way; the file is created
readable by its owner only. PostgreSQL: psycopg 3 through SQLAlchemy's pool, which pings a connection before
handing it out (``pool_pre_ping``), so a connection the server dropped between two operations is replaced.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import StaticPool

from tenderguard.errors import InvalidInputError, NotFoundError, StorageError, TenderGuardError
from tenderguard.records.files import create_private, storage_error

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS", "conflict_message", "create_engine_for", "dumps", "is_conflict", "storage_problem",
]

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


#: The databases TenderGuard runs on, each with the one driver it is tested with.
_DRIVERS = {"sqlite": "pysqlite", "postgresql": "psycopg"}
_URL_HINT = "use sqlite:///FILE or postgresql+psycopg://user@host/db"


def _parsed(url: str) -> URL:
    """The URL of a supported database and driver; anything else is refused before a driver is loaded."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # The URL itself is not repeated: it may hold a password.
        raise InvalidInputError("db", "is not a database URL (its scheme, host or port cannot be read)",
                                hint=_URL_HINT) from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    if backend not in _DRIVERS:
        raise InvalidInputError("db", f"{backend!r} databases are not supported", hint=_URL_HINT)
    if driver != _DRIVERS[backend]:
        raise InvalidInputError("db", f"the {driver!r} driver is not supported for {backend}", hint=_URL_HINT)
    if backend == "sqlite" and parsed.query:
        raise InvalidInputError("db", "a SQLite URL takes no ?options", hint=_URL_HINT)
    return parsed


def _create_file(path: Path) -> None:
    """Create the folders and the empty 0600 file of a new SQLite database, or say in one line why not."""
    for folder in (path.parent, *path.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise InvalidInputError("db", f"cannot create the database {path}: {folder} is a file, not a folder",
                                        hint="check --db (or TENDERGUARD_DB)")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
    except OSError as exc:
        raise storage_error(exc, path) from None


def create_engine_for(url: str, *, create: bool = True) -> Engine:
    """An engine for ``sqlite:///path`` or ``postgresql+psycopg://user@host/db``.

    A SQLite file is created on first use, readable by its owner only (its WAL and shared-memory files take the
    same mode); with ``create=False`` a missing file is refused instead. Another database, driver or a malformed
    URL is refused with :class:`~tenderguard.errors.InvalidInputError`; a file that cannot be created with
    :class:`~tenderguard.errors.StorageError`.
    """
    parsed = _parsed(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database in (None, "", ":memory:"):
            engine = create_engine(parsed, json_serializer=dumps, poolclass=StaticPool,
                                   connect_args={"check_same_thread": False})
        else:
            assert database is not None  # noqa: S101 - narrowed above
            path = Path(database)
            if not path.exists():
                if not create:
                    raise NotFoundError(f"there is no database at {path}",
                                        hint="check --db (or TENDERGUARD_DB); a database is made by `tenderguard "
                                             "import` or the first batch or desk")
                _create_file(path)
            elif not path.is_file():
                raise InvalidInputError("db", f"{path} is not a database file (it is a folder or a device)",
                                        hint="check --db (or TENDERGUARD_DB)")
            engine = create_engine(parsed, json_serializer=dumps, connect_args={"check_same_thread": False})
        configure_sqlite(engine)
        return engine
    return create_engine(parsed, json_serializer=dumps, pool_pre_ping=True)


def _no_room_beside(path: str) -> bool:
    """Whether the disk holding ``path`` is full (SQLite reports a full disk while mapping its WAL index as I/O)."""
    try:
        return shutil.disk_usage(Path(path).parent).free < _ROOM_NEEDED
    except OSError:
        return False


#: Less free space than this beside a database is a full disk to SQLite (its WAL index takes 32 KiB at once).
_ROOM_NEEDED = 64 * 1024


def storage_problem(exc: BaseException, url: str) -> TenderGuardError | None:
    """The one-line error for a SQLite file that is full, cannot be opened or written, or is no database; else None.

    SQLite rolls the transaction back on each of these, so nothing was half-written.
    """
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    if not isinstance(orig, sqlite3.Error):
        return None
    name = str(getattr(orig, "sqlite_errorname", ""))
    path = make_url(url).database or url
    if name == "SQLITE_FULL" or (name.startswith("SQLITE_IOERR") and _no_room_beside(path)):
        return StorageError(path, "the disk holding the database is full (磁盘已满)",
                            hint="free some space and run the command again; the last operation was rolled back")
    if name.startswith("SQLITE_CANTOPEN"):
        return StorageError(path, "the database cannot be opened (its folder cannot be written, or it is no file)",
                            hint="check --db (or TENDERGUARD_DB) and the folder's permissions")
    if name.startswith("SQLITE_IOERR"):
        return StorageError(path, "the disk reported an error reading or writing the database",
                            hint="check the disk; the last operation was rolled back")
    if name.startswith("SQLITE_READONLY"):
        return StorageError(path, "the database is read-only",
                            hint="check the file's and its folder's permissions; nothing was written")
    if name == "SQLITE_NOTADB":
        return InvalidInputError("db", f"{path} is not a TenderGuard database (not even a SQLite file)",
                                 hint="check --db (or TENDERGUARD_DB)")
    return None


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
