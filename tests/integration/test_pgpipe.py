"""PostgreSQL's one-pipeline desk step (pgpipe.py): one round trip, the server's own checks, clean failures."""

from __future__ import annotations

import logging
import select as io_select
import tempfile
from collections.abc import Callable, Iterator

import pytest
from psycopg import errors as pg_errors
from psycopg import pq
from sqlalchemy import func, select, text
from sqlkit import CENTRE, DAY, arrival, screen_fully, set_up_day

from tenderguard.services import Desk
from tenderguard.store import pgpipe
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import screening_events


@pytest.fixture
def store(pg_url: str) -> Iterator[SqlStore]:
    """A store on the PostgreSQL test database."""
    made = SqlStore(pg_url, CENTRE)
    yield made
    made.dispose()


def _desk(store: SqlStore) -> Desk:
    return set_up_day(store).desk("A", "王芳")


def _protocol(store: SqlStore, action: Callable[[], object]) -> list[str]:
    """The messages between this thread's kept connection and the server while ``action`` runs (libpq's trace)."""
    with store.unit_of_work() as uow:  # the connection this thread's units of work keep using
        pg = uow.connection.connection.driver_connection.pgconn  # type: ignore[union-attr]
    with tempfile.TemporaryFile("w+") as trace:
        pg.trace(trace.fileno())
        pg.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            action()
        finally:
            pg.untrace()
        trace.seek(0)
        return trace.read().splitlines()


def test_a_plain_step_is_one_round_trip_that_begins_and_commits(store: SqlStore) -> None:
    """Shoe soles confirmed: BEGIN, the writes and COMMIT leave together, one sync, and the server ends idle."""
    desk = _desk(store)
    view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
    lines = _protocol(store, lambda: desk.confirm(view.id))
    ready = [line for line in lines if line.startswith("B\t") and "\tReadyForQuery\t" in line]
    assert len(ready) == 1  # the server answered once: one round trip
    assert ready[0].endswith("I")  # and was idle then: the step is committed
    parsed = [line for line in lines if line.startswith("F\t") and "\tParse\t" in line]
    assert any('"BEGIN"' in q for q in parsed)
    assert any('"COMMIT"' in q for q in parsed)
    with store.engine.connect() as conn:
        steps = conn.execute(select(func.count()).select_from(screening_events)
                             .where(screening_events.c.screening_id == view.id)).scalar_one()
    assert steps == 3


def test_a_failing_statement_aborts_the_pipeline_and_the_connection_recovers(store: SqlStore) -> None:
    """The second of three statements fails: its own error is raised, nothing of the three stays, the next works."""
    insert_n = (pgpipe.prepared_name(), b"INSERT INTO pipe_probe (n) VALUES ($1::integer)")
    count_n = (pgpipe.prepared_name(), b"SELECT n FROM pipe_probe ORDER BY n")
    with store.unit_of_work() as uow:
        uow.execute(text("CREATE TEMPORARY TABLE pipe_probe (n integer PRIMARY KEY)"))  # this connection's own
        uow.commit()
    with store.unit_of_work() as uow, pytest.raises(pg_errors.UniqueViolation):
        pgpipe.run(uow.connection, [(*insert_n, [[1]]), (*insert_n, [[1]]), (*insert_n, [[2]])], commit=True)
    with store.unit_of_work() as uow:
        assert [r.count for r in pgpipe.run(uow.connection, [(*insert_n, [[3], [4]])], commit=True)] == [2]
    with store.unit_of_work() as uow:
        assert pgpipe.run(uow.connection, [(*count_n, [[]])])[0].rows == [(3,), (4,)]
        pg = uow.connection.connection.driver_connection.pgconn  # type: ignore[union-attr]
        assert pg.transaction_status == pq.TransactionStatus.INTRANS
    assert pg.transaction_status == pq.TransactionStatus.IDLE  # the unit of work's end rolled the read back


def test_prepared_statements_the_server_forgot_are_prepared_again(store: SqlStore,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """DEALLOCATE ALL (as a pooler's DISCARD ALL would) between two steps: the step runs again and is stored once."""
    desk = _desk(store)
    view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
    with store.unit_of_work() as uow:
        uow.connection.exec_driver_sql("DEALLOCATE ALL")
        uow.commit()
    with caplog.at_level(logging.INFO, logger="tenderguard.services"):
        view = desk.confirm(view.id)
    assert view.state == "hand_sanitiser"
    assert any("runs the operation again" in r.getMessage() for r in caplog.records)
    with store.engine.connect() as conn:
        steps = conn.execute(select(func.count()).select_from(screening_events)
                             .where(screening_events.c.screening_id == view.id)).scalar_one()
    assert steps == 3


def test_a_statement_run_by_sqlalchemy_is_inside_the_operations_transaction(store: SqlStore) -> None:
    """The connection is in autocommit mode for the driver: a SQLAlchemy statement still waits for the commit."""
    _desk(store)
    with store.unit_of_work() as uow:
        uow.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS tx_probe (n integer)"))
        uow.commit()
    with store.unit_of_work() as uow:
        uow.execute(text("INSERT INTO tx_probe VALUES (1)"))
        assert uow.connection.connection.driver_connection.pgconn.transaction_status == pq.TransactionStatus.INTRANS  # type: ignore[union-attr]
        uow.rollback()
    with store.unit_of_work() as uow:
        assert uow.execute(text("SELECT count(*) FROM tx_probe")).scalar_one() == 0


def _round_trips(lines: list[str]) -> int:
    return sum(1 for line in lines if line.startswith("B\t") and "\tReadyForQuery\t" in line)


def test_reads_asked_out_of_order_or_after_a_write_are_read_afresh(store: SqlStore) -> None:
    """Reads announced ahead answer only in their order and before any write; otherwise they are run again."""
    desk = _desk(store)
    admitted = screen_fully(desk, desk.arrive(arrival(1, 1)))
    assert admitted.outcome == "admitted"
    with store.unit_of_work() as uow:
        key = uow.attendance.for_day(DAY)[0].person_key
    with store.unit_of_work() as uow:
        uow.attendance.expect(DAY, person_key="nobody", hall="第一开标室")
        assert uow.attendance.inside(DAY, "第一开标室") == 1  # out of order: what was announced is dropped
        assert uow.attendance.latest_for_person(DAY, key) is not None  # not the announced "nobody"
    with store.unit_of_work() as uow:
        uow.attendance.expect(DAY, person_key=key, hall="第一开标室")
        found = uow.attendance.latest_for_person(DAY, key)
        assert found is not None
        found.inside = False
        uow.attendance.save(found)  # a write: the announced hall count is read again, after it
        assert uow.attendance.inside(DAY, "第一开标室") == 0


def test_a_connection_the_server_closed_is_found_without_a_round_trip(store: SqlStore) -> None:
    """probe: a live connection looks alive; once its server process is gone (a restart) it does not."""
    with store.unit_of_work() as uow:
        conn = uow.connection
        assert pgpipe.probe(conn)
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        uow.commit()
    with store.engine.connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        admin.commit()
    socket = conn.connection.driver_connection.pgconn.socket  # type: ignore[union-attr]
    assert io_select.select([socket], [], [], 5.0)[0]  # the server's farewell has arrived (as after a restart)
    assert not pgpipe.probe(conn)
