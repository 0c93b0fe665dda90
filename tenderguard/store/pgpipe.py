"""PostgreSQL: a desk operation's statements sent through libpq in one pipeline, its BEGIN and COMMIT included.

psycopg's cursors cost a desk about a third of a millisecond of CPU per operation in Python (a cursor per
statement, its own prepared-statement bookkeeping, a wait and a send per statement in pipeline mode) and send
``BEGIN`` as a round trip of its own. Here the hot-path statements (see :mod:`tenderguard.store.driver`) are
prepared once per connection under their own names and sent through psycopg's libpq layer (``psycopg.pq``):
BEGIN when the connection is idle, each statement, COMMIT when asked, then one sync and one flush — a plain
desk step is one round trip to the server. Parameters are sent as text (the statements cast each one to its
column's type) and rows come back through psycopg's own loaders (``psycopg.adapt.Transformer``), so a value
read here is the value a cursor would read.

The connection runs in psycopg's autocommit mode (see ``SqlStore.connect``): transactions are begun here, or by
:func:`begin` before a statement SQLAlchemy runs, and ended by COMMIT / ROLLBACK as usual.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import select
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from psycopg import abc as pg_abc
from psycopg import errors as pg_errors
from psycopg import pq
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import Connection

__all__ = ["BEGIN", "COMMIT", "PgResult", "begin", "end", "prepared_name", "probe", "run"]

_TEXT = pq.Format.TEXT
_IDLE = pq.TransactionStatus.IDLE
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)
#: Sent as they are (no parameters); the tests replace COMMIT to lose the server at that moment.
BEGIN = b"BEGIN"
COMMIT = b"COMMIT"
_INFO_KEY = "tenderguard.pgpipe"
_names = itertools.count(1)


def prepared_name() -> bytes:
    """A new name for a statement prepared on every connection that runs it (unique in this process)."""
    return b"tg_%d" % next(_names)


@attrs.define
class _Session:
    """What one server connection has been told: the statements prepared on it, and its type loaders."""

    raw: Any
    transformer: pg_abc.Transformer
    #: Waits for the connection's socket to have something to read.
    readable: select.poll
    prepared: set[bytes] = attrs.field(factory=set)
    #: The server said it is ending the connection (a FATAL message while idle: a restart, an administrator).
    farewell: bool = False

    def hear(self, diagnostic: pg_errors.Diagnostic) -> None:
        """A message the server sent outside any statement (libpq hands those on as notices)."""
        if diagnostic.severity_nonlocalized in ("FATAL", "PANIC"):
            self.farewell = True


@attrs.frozen
class PgResult:
    """One statement's outcome: the rows it affected (summed over its parameter sets) and the rows it returned."""

    count: int
    rows: list[tuple[Any, ...]]


#: One statement to run: its prepared name, its SQL, and one list of driver values per execution.
Call = tuple[bytes, bytes, Sequence[Sequence[Any]]]


def _raw(connection: Connection) -> Any:
    raw = connection.connection.driver_connection
    assert raw is not None  # noqa: S101 - an open unit of work always holds a live connection
    return raw


def _session(connection: Connection) -> _Session:
    record = connection.connection
    raw = _raw(connection)
    found: _Session | None = record.info.get(_INFO_KEY)
    if found is None or found.raw is not raw:
        # psycopg prepares statements of its own after a few executions and then answers every ROLLBACK with
        # DEALLOCATE ALL, which would drop these prepared statements too; SQLAlchemy's statements (off the hot
        # path) are therefore not prepared by psycopg on this connection.
        raw.prepare_threshold = None
        readable = select.poll()
        readable.register(raw.pgconn.socket, select.POLLIN)
        found = _Session(raw, Transformer(raw), readable)
        raw.add_notice_handler(found.hear)
        record.info[_INFO_KEY] = found
    return found


def begin(connection: Connection) -> None:
    """Begin a transaction unless one is open (before a statement SQLAlchemy itself runs)."""
    raw = _raw(connection)
    if raw.pgconn.transaction_status == _IDLE:
        raw.execute(BEGIN)


def end(connection: Connection) -> None:
    """Roll back whatever transaction is still open on the server connection (nothing when it is idle)."""
    raw = _raw(connection)
    if raw.pgconn.transaction_status != _IDLE:
        raw.rollback()


def probe(connection: Connection) -> bool:
    """Whether the server connection still looks alive, without a round trip.

    A connection the server has closed (a restart, an administrator) has its last message — a FATAL error,
    which libpq hands on as a notice — and then the end of the stream waiting on the socket: reading what is
    there finds either. Called before a pipeline that commits, so a
    connection lost while the desk was idle is replaced and the operation run again, instead of reported as
    "may or may not have been saved".
    """
    session = _session(connection)
    pg = session.raw.pgconn
    for _ in range(4):
        if pg.status != pq.ConnStatus.OK or session.farewell:
            return False
        if not session.readable.poll(0):
            return True
        try:
            pg.consume_input()
            pg.is_busy()  # parses what arrived (a notice, a parameter change, the server's farewell)
        except pg_errors.OperationalError:
            return False
    return bool(pg.status == pq.ConnStatus.OK) and not session.farewell


def _iso(value: dt.date) -> bytes:
    return value.isoformat().encode()


#: Text for the driver values the hot path sends (what psycopg's text dumpers write, and what the statements'
#: casts read); a row with any other type of value goes through psycopg's own dumpers.
_AS_TEXT: dict[type[Any], Callable[[Any], bytes]] = {
    str: str.encode, int: lambda v: b"%d" % v, bool: lambda v: b"t" if v else b"f",
    dt.datetime: _iso, dt.date: _iso,
}


def _dump(tx: pg_abc.Transformer, values: Sequence[Any]) -> list[pg_abc.Buffer | None]:
    """One execution's parameters as text (None stays NULL)."""
    out: list[pg_abc.Buffer | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        as_text = _AS_TEXT.get(type(value))
        if as_text is None:
            return list(tx.dump_sequence(values, [PyFormat.TEXT] * len(values)))
        out.append(as_text(value))
    return out


def _message(pg: Any) -> str:
    return str(pg.get_error_message() or "no message").strip()


def _wait_writable(pg: Any) -> None:
    fd = pg.socket
    select.select([fd], [fd], [])
    pg.consume_input()  # a server that answers while we send must not fill its side of the socket


def _result(session: _Session) -> Any:
    pg = session.raw.pgconn
    while pg.is_busy():
        session.readable.poll()  # until the server's answer (or the end of the connection) arrives
        pg.consume_input()
    return pg.get_result()


#: What each result in the pipeline's stream answers: BEGIN or COMMIT (``_TX``), the PREPARE of a statement
#: (``_PREPARE``, with its name), or an execution of the call at that index.
_TX, _PREPARE = -1, -2


def _send(session: _Session, calls: Sequence[Call], dumped: list[list[list[pg_abc.Buffer | None]]], *,
          commit: bool) -> list[tuple[int, bytes | None]]:
    """Queue the pipeline's messages and send them; what each of the results to come answers, in order."""
    pg = session.raw.pgconn
    expected: list[tuple[int, bytes | None]] = []
    if pg.transaction_status == _IDLE:
        pg.send_query_params(BEGIN, None)
        expected.append((_TX, None))
    preparing: set[bytes] = set()
    for index, ((name, sql, _executions), executions) in enumerate(zip(calls, dumped, strict=True)):
        if name not in session.prepared and name not in preparing:
            pg.send_prepare(name, sql)
            expected.append((_PREPARE, name))
            preparing.add(name)
        for params in executions:
            pg.send_query_prepared(name, params, None, _TEXT)
            expected.append((index, None))
    if commit:
        pg.send_query_params(COMMIT, None)
        expected.append((_TX, None))
    pg.pipeline_sync()
    while pg.flush():
        _wait_writable(pg)
    return expected


def _read(session: _Session, expected: list[tuple[int, bytes | None]], outcomes: list[PgResult]
          ) -> pg_errors.Error | None:
    """Read every result up to the sync into ``outcomes``; the first statement's error, if one failed."""
    pg, tx = session.raw.pgconn, session.transformer
    failure: pg_errors.Error | None = None
    for index, prepared in expected:
        res = _result(session)
        if res is None or pg.status != pq.ConnStatus.OK:
            raise pg_errors.OperationalError(f"the connection to the server was lost: {_message(pg)}")
        status = res.status
        if status == pq.ExecStatus.FATAL_ERROR and failure is None:
            failure = pg_errors.error_from_result(res, encoding=session.raw.info.encoding)
        elif status in _OK and index == _PREPARE:
            assert prepared is not None  # noqa: S101 - a PREPARE carries its statement's name
            session.prepared.add(prepared)
        elif status in _OK and index >= 0:
            outcome = outcomes[index]
            rows = outcome.rows
            if status == pq.ExecStatus.TUPLES_OK and res.ntuples:
                tx.set_pgresult(res)
                rows = rows + tx.load_rows(0, res.ntuples, tuple)
            outcomes[index] = PgResult(outcome.count + (res.command_tuples or 0), rows)
        _result(session)  # the end marker of this statement's results
    while (res := _result(session)) is not None and res.status != pq.ExecStatus.PIPELINE_SYNC:
        pass
    return failure


def run(connection: Connection, calls: Sequence[Call], *, commit: bool = False) -> list[PgResult]:
    """Run the calls in order in one pipeline — after BEGIN if no transaction is open, then COMMIT if asked.

    Raises the driver's error (e.g. ``UniqueViolation``) of the first statement that failed, after the
    pipeline has been read to its end; the transaction is then aborted and must be rolled back. A lost
    connection raises psycopg's ``OperationalError``.
    """
    session = _session(connection)
    pg = session.raw.pgconn
    tx = session.transformer
    # Everything that can fail in Python happens before the first byte is sent.
    dumped = [[_dump(tx, values) for values in executions] for _name, _sql, executions in calls]
    outcomes = [PgResult(0, []) for _ in calls]
    pg.enter_pipeline_mode()
    try:
        failure = _read(session, _send(session, calls, dumped, commit=commit), outcomes)
    finally:
        if pg.status == pq.ConnStatus.OK and pg.pipeline_status != pq.PipelineStatus.OFF:
            with contextlib.suppress(pg_errors.OperationalError):  # only if answers were left unread
                pg.exit_pipeline_mode()
    if failure is not None:
        if isinstance(failure, pg_errors.InvalidSqlStatementName):
            session.prepared.clear()  # the server forgot them (DEALLOCATE ALL, a pooler's DISCARD ALL): prepare anew
        raise failure
    return outcomes
