"""Database trouble: a restarted PostgreSQL, a locked SQLite file — a clear error, a retry, nothing twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlkit import CENTRE, arrival, screen_fully, set_up_day

from tenderguard.errors import ConflictError
from tenderguard.store import sql
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import screening_events, screenings

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_postgresql_restart_is_survived_without_a_double_step(pg_url: str) -> None:
    """Every server connection of the desk is killed (as by a restart); the next step reconnects and commits once."""
    store = SqlStore(pg_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
        with store.engine.connect() as conn:
            me = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = sql.create_engine_for(PG_SERVER)
        with admin.connect() as conn:
            killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       "WHERE pid = :me"), {"me": me}).scalar_one()
        admin.dispose()
        assert killed == 1
        view = desk.confirm(view.id)  # the pooled connection is dead: the pool notices and reconnects
        assert view.state == "hand_sanitiser"
        with store.engine.connect() as conn:
            steps = conn.execute(select(func.count()).select_from(screening_events)
                                 .where(screening_events.c.screening_id == view.id)).scalar_one()
        assert steps == 3  # check-in, mask, shoe soles: each once
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
