"""Statements on a desk's hot path, compiled once per dialect and sent straight to the database driver.

Every desk step writes the same three rows — the screening's versioned update, its step record and its audit
entry — an arrival adds the screening's row and an admission its badge and admission rows; SQLAlchemy's
per-execution work (the compiled-cache lookup, bind processing, the execution context
and result set-up) costs several times what the driver itself takes for such a statement. A
:class:`DriverStatement` is compiled by SQLAlchemy once, from the same Core construct and table definitions as
everything else, and converts its parameters exactly as the column types would (an instant as UTC ISO text on
SQLite, JSON through the store's serialiser); it runs on the unit of work's own connection and transaction, and
a driver error is raised as SQLAlchemy's ``DBAPIError`` (the connection invalidated when it was lost), so
conflicts, retries and rollbacks are handled exactly as for any other statement. The reads of an arrival and an
admission (and the audit trail's sealing) are :class:`DriverQuery` objects, built the same way, whose
parameters and rows go through SQLAlchemy's own processors for their types.

On SQLite they run on the sqlite3 connection's cursors; on PostgreSQL they are compiled with numbered
parameters and sent through libpq in one pipeline per call (:mod:`tenderguard.store.pgpipe`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Date, Dialect, Table
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import ValuesBase
from sqlalchemy.sql.elements import BindParameter, ClauseElement
from sqlalchemy.sql.selectable import ReturnsRows

from tenderguard.store import pgpipe
from tenderguard.store.tables import AwareDateTime, require_aware, utc_text

__all__ = ["DriverQuery", "DriverStatement", "Write", "driver_error", "fetch", "fetch_together", "run_together"]

Convert = Callable[[Any], Any]


def _converters(table: Table, dialect: Dialect, dumps: Callable[[Any], str]) -> dict[str, Convert]:
    """For each column whose value the driver cannot take as it is, the conversion its SQLAlchemy type makes."""
    sqlite = dialect.name == "sqlite"
    found: dict[str, Convert] = {}
    for column in table.columns:
        kind = column.type
        if isinstance(kind, AwareDateTime):
            found[column.name] = utc_text if sqlite else require_aware
        elif isinstance(kind, JSON):
            # JSON text on both: PostgreSQL's statements go through pgpipe as text, cast to the column's type.
            found[column.name] = dumps
        elif isinstance(kind, Date) and sqlite:
            found[column.name] = dt.date.isoformat
    return found


_NUMBERED: dict[type[Dialect], Dialect] = {}


def _numbered(dialect: Dialect) -> Dialect:
    """The dialect's twin that writes ``$1, $2…`` parameters, as libpq's prepared statements take them."""
    found = _NUMBERED.get(type(dialect))
    if found is None:
        found = _NUMBERED[type(dialect)] = type(dialect)(paramstyle="numeric_dollar")  # type: ignore[call-arg]
    return found


class _Compiled:
    """A statement compiled once for a dialect, and how to turn one set of values into the driver's parameters."""

    def __init__(self, statement: ClauseElement, dialect: Dialect,
                 conversion: Callable[[str, BindParameter[Any]], Convert | None]) -> None:
        #: On PostgreSQL the statement is prepared under this name and run through libpq (see pgpipe.py), with
        #: numbered parameters ($1, $2…) that each carry their column type's cast.
        self.pg = dialect.name == "postgresql"
        self.name = pgpipe.prepared_name() if self.pg else b""
        compiled = statement.compile(dialect=_numbered(dialect) if self.pg else dialect)
        assert isinstance(compiled, SQLCompiler)  # noqa: S101 - a DML or SELECT statement compiles to one
        self.sql = compiled.string
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        binds = compiled.binds
        #: (bind name, whether the caller gives it, else the statement's own literal — e.g. the 0 and 1 of
        #: ``coalesce(max(ordinal), 0) + 1`` — and its conversion or None), in the statement's order.
        self._params = [(name, binds[name].required, binds[name].value, conversion(name, binds[name]))
                        for name in names]
        self._names = names
        self._positional = compiled.positional
        self.sql_bytes = self.sql.encode()

    @property
    def parameters(self) -> list[str]:
        """The names of the values the caller gives, in the statement's order (its own literals left out)."""
        return [name for name, required, _, _ in self._params if required]

    def ordered(self, values: Mapping[str, Any]) -> list[Any]:
        """The driver's values for one execution, in the statement's order (``values`` by bind name)."""
        return [(values[name] if required else literal) if convert is None
                else convert(values[name] if required else literal)
                for name, required, literal, convert in self._params]

    def _bind(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bound = self.ordered(values)
        return bound if self._positional else dict(zip(self._names, bound, strict=True))


class DriverStatement(_Compiled):
    """One INSERT or UPDATE, compiled for a dialect, executed through the driver's cursor."""

    def __init__(self, statement: ValuesBase, table: Table, dialect: Dialect, dumps: Callable[[Any], str]) -> None:
        convert = _converters(table, dialect, dumps)
        super().__init__(statement, dialect, lambda name, _bind: convert.get(name))

    def bind(self, rows: Sequence[Mapping[str, Any]]) -> list[Sequence[Any] | dict[str, Any]]:
        """The driver's parameters for each row."""
        return [self._bind(row) for row in rows]


#: One hot-path write: a statement and the rows it is executed for.
Write = tuple[DriverStatement, Sequence[Mapping[str, Any]]]


class DriverQuery(_Compiled):
    """One statement that returns rows (a SELECT, an INSERT … RETURNING), compiled for a dialect.

    Parameters and results go through the very processors SQLAlchemy would apply for their types (a date as ISO
    text on SQLite and back, a boolean from SQLite's 0/1, an instant through ``AwareDateTime``), so a row read
    here equals the row SQLAlchemy reads; only SQLAlchemy's per-execution work is skipped.
    """

    def __init__(self, statement: ReturnsRows, dialect: Dialect) -> None:
        super().__init__(statement, dialect,
                         lambda _name, bind: bind.type.dialect_impl(dialect).bind_processor(dialect))
        columns = list(statement.exported_columns)
        #: The result columns' keys and their types' result processors, in the statement's order.
        self.keys = [column.key for column in columns]
        self._results = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns]

    def bind(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for one execution (``values`` by bind name)."""
        return self._bind(values)

    def convert(self, row: Sequence[Any]) -> list[Any]:
        """One result row's values, converted as SQLAlchemy would."""
        return [value if convert is None else convert(value)
                for value, convert in zip(row, self._results, strict=True)]


def _execute(cursor: Any, sql: str, bound: list[Sequence[Any] | dict[str, Any]]) -> None:
    if len(bound) == 1:
        cursor.execute(sql, bound[0])
    else:
        cursor.executemany(sql, bound)


def run_together(connection: Connection, writes: Sequence[Write], *, commit: bool = False) -> list[int]:
    """Execute the writes in order in the connection's transaction; the rows each affected.

    On PostgreSQL they go in one pipeline (one round trip to the server instead of one each), after a BEGIN when
    no transaction is open and, with ``commit``, before the COMMIT that ends it (see pgpipe.py); ``commit`` is
    for PostgreSQL only. A driver error is raised as SQLAlchemy's ``DBAPIError``, with the connection
    invalidated if it was lost.
    """
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101 - an open unit of work always holds a live connection
    if dialect.name == "postgresql":
        calls = [(statement.name, statement.sql_bytes, [statement.ordered(row) for row in rows])
                 for statement, rows in writes]
        try:
            return [outcome.count for outcome in pgpipe.run(connection, calls, commit=commit)]
        except dialect.loaded_dbapi.Error as exc:
            raise _as_dbapi_error(connection, raw, None, exc, sql="; ".join(s.sql for s, _ in writes),
                                  params=[p for _, _, p in calls]) from exc
    if commit:
        raise ValueError("only a PostgreSQL pipeline commits with its writes")
    if not writes:
        return []
    bound = [(statement.sql, statement.bind(rows)) for statement, rows in writes]
    cursors = [raw.cursor() for _ in bound]
    try:
        for cursor, (sql, params) in zip(cursors, bound, strict=True):
            _execute(cursor, sql, params)
        return [int(cursor.rowcount) for cursor in cursors]
    except dialect.loaded_dbapi.Error as exc:
        raise _as_dbapi_error(connection, raw, cursors[0], exc, sql="; ".join(sql for sql, _ in bound),
                              params=[p for _, p in bound]) from exc
    finally:
        for cursor in cursors:
            cursor.close()


def fetch(connection: Connection, query: DriverQuery, values: Mapping[str, Any]) -> list[list[Any]]:
    """Execute a query in the connection's transaction; its rows, converted (errors as for :func:`run_together`)."""
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101 - an open unit of work always holds a live connection
    if query.pg:
        return fetch_together(connection, [(query, values)])[0]
    params = query.bind(values)
    cursor = raw.cursor()
    try:
        cursor.execute(query.sql, params)
        return [query.convert(row) for row in cursor.fetchall()]
    except dialect.loaded_dbapi.Error as exc:
        raise _as_dbapi_error(connection, raw, cursor, exc, sql=query.sql, params=params) from exc
    finally:
        cursor.close()


def driver_error(connection: Connection, exc: Exception, sql: str) -> DBAPIError:
    """A driver error raised outside a statement run here (e.g. a BEGIN), as SQLAlchemy would raise it."""
    raw = connection.connection.driver_connection
    error = _as_dbapi_error(connection, raw, None, exc, sql=sql, params=())
    assert isinstance(error, DBAPIError)  # noqa: S101 - a driver error always becomes one
    return error


def fetch_together(connection: Connection, reads: Sequence[tuple[DriverQuery, Mapping[str, Any]]]
                   ) -> list[list[list[Any]]]:
    """PostgreSQL: run the queries in order in one pipeline; each one's rows, converted (errors as for fetch)."""
    dialect = connection.dialect
    raw = connection.connection.driver_connection
    calls = [(query.name, query.sql_bytes, [query.ordered(values)]) for query, values in reads]
    try:
        outcomes = pgpipe.run(connection, calls)
    except dialect.loaded_dbapi.Error as exc:
        raise _as_dbapi_error(connection, raw, None, exc, sql="; ".join(q.sql for q, _ in reads),
                              params=[p for _, _, p in calls]) from exc
    return [[query.convert(row) for row in outcome.rows] for (query, _), outcome in zip(reads, outcomes, strict=True)]


def _as_dbapi_error(connection: Connection, raw: Any, cursor: Any, exc: Any, *, sql: str, params: Any
                    ) -> StatementError:
    """A driver error as SQLAlchemy raises it; a lost connection is invalidated (the pool replaces it)."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(exc, raw, cursor)
    if lost:
        connection.invalidate(exc)
    error: StatementError = DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error,
                                                connection_invalidated=lost, dialect=dialect)
    return error
