"""The database schema's version: create it on first use, upgrade it with Alembic, refuse what this code cannot read.

* an empty database is created at the newest revision the first time a store opens it;
* a database at an older revision is refused by the store with a hint to run ``tenderguard db upgrade`` (one
  person upgrades a centre's database, not whichever desk starts first);
* a database at a revision this code does not know (written by a newer TenderGuard) or with tables but no
  version at all is refused with :class:`SchemaError` and never touched.

On PostgreSQL every check and upgrade holds a transaction-scoped advisory lock, so desks starting together on an
empty database do not race to create it; SQLite's ``BEGIN IMMEDIATE`` serialises them there.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import attrs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, func, inspect, select

from tenderguard.errors import TenderGuardError

__all__ = ["SchemaError", "SchemaStatus", "check", "ensure", "head_revision", "status", "upgrade"]

_MIGRATIONS = Path(__file__).with_name("migrations")
#: PostgreSQL advisory lock held while the schema is checked or changed ("tg_sch").
_SCHEMA_LOCK = 0x7467_5F73_6368


class SchemaError(TenderGuardError):
    """Raised when a database's schema is older (upgrade it), newer or unknown to this version of TenderGuard."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


#: Alembic keeps module-level state while it runs migrations and loads revision files: one thread at a time.
_ALEMBIC = threading.RLock()


@functools.cache
def _script() -> ScriptDirectory:
    with _ALEMBIC:
        return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The newest revision this code knows."""
    head = _script().get_current_head()
    assert head is not None  # noqa: S101 - the package ships its migrations
    return head


@attrs.frozen
class SchemaStatus:
    """Where a database's schema stands: ``empty``, ``behind``, ``current`` or ``unknown``."""

    state: str
    revision: str | None
    head: str

    def __str__(self) -> str:
        """One line for ``tenderguard db status``."""
        shown = self.revision or "none"
        return f"schema {self.state}: revision {shown}, this TenderGuard writes {self.head}"


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))


def status(conn: Connection) -> SchemaStatus:
    """The schema status of the database behind a connection."""
    head = head_revision()
    tables = set(inspect(conn).get_table_names())
    current = MigrationContext.configure(conn).get_current_revision()
    if current is None:
        if not tables - {"alembic_version"}:
            return SchemaStatus("empty", None, head)
        return SchemaStatus("unknown", None, head)
    try:
        known = _script().get_revision(current)
    except CommandError:
        known = None
    if known is None:
        return SchemaStatus("unknown", current, head)
    return SchemaStatus("current" if current == head else "behind", current, head)


def _refuse(found: SchemaStatus) -> SchemaError:
    if found.state == "unknown" and found.revision is None:
        return SchemaError("the database has tables but no TenderGuard schema version",
                           hint="point --db at a TenderGuard database, or at a new one")
    if found.state == "unknown":
        return SchemaError(f"the database's schema is at revision {found.revision}, which this TenderGuard does "
                           f"not know (it writes up to {found.head}): it was made by a newer version",
                           hint="upgrade TenderGuard on this machine before opening the database")
    return SchemaError(f"the database's schema is at revision {found.revision}; this TenderGuard needs "
                       f"{found.head}", hint="run `tenderguard db upgrade --db URL` once, then start the desks")


def check(conn: Connection) -> SchemaStatus:
    """Raise :class:`SchemaError` unless the schema is current."""
    found = status(conn)
    if found.state != "current":
        raise _refuse(found)
    return found


def ensure(engine: Engine, *, create: bool = True) -> SchemaStatus:
    """Create the schema in an empty database; otherwise check it is current (used when a store opens).

    With ``create=False`` (a command that only reads) an empty database is refused instead.
    """
    with _ALEMBIC, engine.begin() as conn:
        _lock(conn)
        found = status(conn)
        if found.state == "empty" and not create:
            raise SchemaError("the database is empty: no day has been imported or screened in it",
                              hint="check --db (or TENDERGUARD_DB)")
        if found.state == "empty":
            command.upgrade(_config(conn), "head")
            return status(conn)
        if found.state != "current":
            raise _refuse(found)
        return found


def upgrade(engine: Engine) -> tuple[SchemaStatus, SchemaStatus]:
    """Bring an empty or older schema up to the newest revision; returns the status before and after."""
    with _ALEMBIC, engine.begin() as conn:
        _lock(conn)
        before = status(conn)
        if before.state == "unknown":
            raise _refuse(before)
        if before.state != "current":
            command.upgrade(_config(conn), "head")
        return before, status(conn)
