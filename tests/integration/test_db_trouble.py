"""Database trouble: a restarted PostgreSQL, a connection lost at commit, a locked SQLite file.

A clear error or a retry, never a step done twice; a batch killed at the database side resumes its lines.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import OperationalError
from sqlkit import AT, CENTRE, arrival, gate_on, screen_fully, set_up_day

from tenderguard.batch import run_batch
from tenderguard.domain.model import ManualClock
from tenderguard.errors import CommitUnknownError, ConflictError
from tenderguard.factories import batch_line
from tenderguard.store.sql import SqlStore, create_engine_for, engine
from tenderguard.store.tables import admissions, screening_events, screenings

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


_BY_PID = text("SELECT pid FROM pg_stat_activity WHERE pid = ANY(:pids)")
_BY_APPLICATION = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name")


def _terminate(*pids: int, application: str | None = None) -> int:
    """Terminate server processes (as a restart would) and wait until they are gone; how many there were."""
    admin = create_engine_for(PG_SERVER)
    try:
        with admin.connect() as conn:
            if application is not None:
                pids = tuple(conn.execute(_BY_APPLICATION, {"name": application}).scalars())
            found = list(conn.execute(_BY_PID, {"pids": list(pids)}).scalars())
            for pid in found:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
            for _ in range(200):
                if not conn.execute(_BY_PID, {"pids": found}).first():
                    break
                conn.rollback()
                time.sleep(0.01)
        return len(found)
    finally:
        admin.dispose()


def _steps(store: SqlStore, screening_id: str) -> int:
    with store.engine.connect() as conn:
        found: int = conn.execute(select(func.count()).select_from(screening_events)
                                  .where(screening_events.c.screening_id == screening_id)).scalar_one()
    return found


def test_postgresql_restart_between_steps_is_survived_without_a_double_step(pg_url: str) -> None:
    """Every pooled connection of the desk is killed (as by a restart): the pool pings, reconnects, one step."""
    store = SqlStore(pg_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
        with store.unit_of_work() as uow:
            me = uow.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _terminate(me) == 1
        view = desk.confirm(view.id)
        assert view.state == "hand_sanitiser"
        assert _steps(store, view.id) == 3  # check-in, mask, shoe soles: each once
    finally:
        store.dispose()


def test_a_connection_lost_in_the_middle_of_a_step_is_run_again_once(pg_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The server goes away during the step's writes: nothing committed, the desk runs the step again, once."""
    store = SqlStore(pg_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
        original = Connection.execute
        killed: list[int] = []

        def execute(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
            if not killed and "screening_events" in str(statement) and "INSERT" in str(statement):
                pid = original(self, text("SELECT pg_backend_pid()")).scalar_one()
                killed.append(_terminate(pid))
            return original(self, statement, *args, **kwargs)

        monkeypatch.setattr(Connection, "execute", execute)
        view = desk.confirm(view.id)
        monkeypatch.undo()
        assert killed == [1]
        assert view.state == "hand_sanitiser"
        assert _steps(store, view.id) == 3
    finally:
        store.dispose()


@pytest.mark.slow
def test_a_connection_lost_at_commit_is_reported_as_unknown_and_nothing_is_half_done(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server goes away just before the COMMIT: the desk says it does not know, instead of a second step."""
    store = SqlStore(pg_url, CENTRE)
    try:
        gate = set_up_day(store)
        desk = gate.desk("A", "王芳")
        view = desk.mask(desk.arrive(arrival(1, 1)).id, "ok")
        original = Connection.commit

        def commit(self: Connection) -> None:
            pid = self.execute(text("SELECT pg_backend_pid()")).scalar_one()
            _terminate(pid)
            original(self)

        monkeypatch.setattr(Connection, "commit", commit)
        with pytest.raises(CommitUnknownError, match="may or may not have been saved"):
            desk.confirm(view.id)
        monkeypatch.undo()
        assert desk.view(view.id).state == view.state  # the lost transaction was rolled back by the server
        view = desk.confirm(view.id)
        assert view.state == "hand_sanitiser"
        assert _steps(store, view.id) == 3
    finally:
        store.dispose()


@pytest.mark.slow
def test_backends_killed_during_a_batch_lose_nothing_and_repeat_nothing(pg_url: str, tmp_path: Path) -> None:
    """``pg_terminate_backend`` on the batch's connections, again and again: every line ends as in a clean run.

    No line turns ``invalid``, nobody is screened twice, no company gets a second bidder.
    """
    lines = []
    for n in range(40):
        a = arrival(n % 30 + 1, n % 25 + 1, at=AT)
        lines.append(json.dumps(batch_line(a, temperatures=[36.5]), ensure_ascii=False))
    clean_store = SqlStore(f"sqlite:///{tmp_path / 'clean.db'}", CENTRE)
    try:
        gate = set_up_day(clean_store)
        clock = ManualClock(AT)
        gate = gate_on(clean_store, clock)
        expected = [(r["outcome"], r["reason"]) for r in run_batch(lines, gate, gate.desk("B", "批量"), clock,
                                                                   source="queue.jsonl")]
    finally:
        clean_store.dispose()

    store = SqlStore(pg_url + "&application_name=tg_batch_under_fire", CENTRE)
    stop = threading.Event()
    kills: list[int] = []

    def killer() -> None:
        while not stop.is_set():
            time.sleep(0.02)
            kills.append(_terminate(application="tg_batch_under_fire"))

    try:
        set_up_day(store)
        clock = ManualClock(AT)
        gate = gate_on(store, clock)
        thread = threading.Thread(target=killer)
        thread.start()
        try:
            got = [(r["outcome"], r["reason"]) for r in run_batch(lines, gate, gate.desk("B", "批量"), clock,
                                                                  source="queue.jsonl")]
        finally:
            stop.set()
            thread.join()
        assert sum(kills) > 0
        assert got == expected
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(screenings)).scalar_one() == len(lines)
            twice = conn.execute(select(admissions.c.organisation).where(admissions.c.status == "active")
                                 .group_by(admissions.c.organisation).having(func.count() > 1)).all()
        assert twice == []
    finally:
        store.dispose()


def test_an_unreachable_server_is_a_clear_error() -> None:
    """No server at the address: opening the store fails with the driver's connection error, nothing half-done."""
    with pytest.raises(OperationalError, match=r"127\.0\.0\.1"):
        SqlStore("postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2", CENTRE)


def test_a_locked_sqlite_file_is_retried_for_a_bounded_time_then_reported(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer holding the lock: the desk waits the busy timeout, retries, then says so; later it works."""
    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
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
