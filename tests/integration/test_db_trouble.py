"""Database trouble: a restarted PostgreSQL, a locked SQLite file — a clear error, a retry, nothing twice."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlkit import CENTRE, arrival, screen_fully, set_up_day

from tenderguard.errors import ConflictError, TenderGuardError
from tenderguard.store import pgpipe, sql
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import screening_events, screenings

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _kill_backend(pid: int) -> None:
    """Terminate a server process, as a restart would, and wait until it is gone."""
    admin = sql.create_engine_for(PG_SERVER)
    try:
        with admin.connect() as conn:
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE pid = :me"), {"me": pid}).scalar_one()
            assert killed == 1
            for _ in range(200):
                alive = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :me"),
                                     {"me": pid}).scalar_one()
                conn.rollback()
                if not alive:
                    break
                time.sleep(0.01)
            else:
                raise AssertionError(f"server process {pid} is still there")
    finally:
        admin.dispose()


@pytest.mark.parametrize("idle", [True, False], ids=["idle connection pinged", "busy connection retried"])
def test_postgresql_restart_is_survived_without_a_double_step(pg_url: str, idle: bool,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """Every server connection of the desk is killed (as by a restart); the next step reconnects and commits once.

    A connection idle for a while is pinged when checked out and replaced; one in steady use is not pinged, so
    its first statement fails, nothing is committed, and the desk runs the step again on a new connection.
    """
    monkeypatch.setattr(sql, "IDLE_PING_SECONDS", 0.0 if idle else 3600.0)
    store = SqlStore(pg_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
        with store.unit_of_work() as uow:  # the connection this thread's units of work keep using
            me = uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        _kill_backend(me)
        with caplog.at_level(logging.INFO, logger="tenderguard.services"):
            view = desk.confirm(view.id)  # the pooled connection is dead: the pool or the desk notices, reconnects
        retried = [r.getMessage() for r in caplog.records if "runs the operation again" in r.getMessage()]
        assert retried == ([] if idle else ["desk A runs the operation again: the connection to the database was lost"])
        assert view.state == "hand_sanitiser"
        with store.engine.connect() as conn:
            steps = conn.execute(select(func.count()).select_from(screening_events)
                                 .where(screening_events.c.screening_id == view.id)).scalar_one()
        assert steps == 3  # check-in, mask, shoe soles: each once
    finally:
        store.dispose()


def test_a_connection_lost_at_commit_is_reported_as_unknown_and_nothing_is_half_done(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server goes away after the step's writes, where its COMMIT would be: a clear error, nothing stored.

    The writes and the COMMIT travel in one pipeline, so a connection lost on the way may have been lost before
    or after the commit: the desk says it does not know instead of running the step a second time.
    """
    store = SqlStore(pg_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
        # In place of the pipeline's COMMIT, the server process ends itself (as in a crash at that moment).
        monkeypatch.setattr(pgpipe, "COMMIT", b"SELECT pg_terminate_backend(pg_backend_pid())")
        with pytest.raises(TenderGuardError, match="may or may not have been saved"):
            desk.confirm(view.id)
        monkeypatch.undo()
        assert desk.view(view.id).state == view.state  # the lost transaction was rolled back by the server
        view = desk.confirm(view.id)
        assert view.state == "hand_sanitiser"
        with store.engine.connect() as conn:
            steps = conn.execute(select(func.count()).select_from(screening_events)
                                 .where(screening_events.c.screening_id == view.id)).scalar_one()
        assert steps == 3
    finally:
        store.dispose()


def test_an_unreachable_server_is_a_clear_error() -> None:
    """No server at the address: opening the store fails with the driver's connection error, nothing half-done."""
    with pytest.raises(OperationalError, match=r"127\.0\.0\.1"):
        SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2", CENTRE)


def test_a_locked_sqlite_file_is_retried_for_a_bounded_time_then_reported(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer holding the lock: the desk waits the busy timeout, retries, then says so; later it works."""
    monkeypatch.setattr(sql, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "gate.db"
    store = SqlStore(f"sqlite:///{path}", CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.arrive(arrival(1, 1))
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # e.g. a backup tool or a stuck process holding the write lock
        try:
            with pytest.raises(ConflictError, match="busy"):
                desk.mask(view.id, "ok")
        finally:
            other.execute("ROLLBACK")
            other.close()
        view = screen_fully(desk, desk.view(view.id))
        assert view.outcome == "admitted"
        with store.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(screenings)).scalar_one()
        assert rows == 1
    finally:
        store.dispose()
