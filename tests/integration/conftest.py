"""Fixtures for the SQL store: one database URL per backend (a SQLite file, a throw-away PostgreSQL schema)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from accountkit import use_cheap_hashes
from fastapi.testclient import TestClient
from gatekit import CENTRE, Harness, HarnessFactory
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from webkit import WebDay, make_day

from tenderguard.domain.clock import ManualClock
from tenderguard.domain.model import SHANGHAI
from tenderguard.policy import Policy
from tenderguard.store.sql import SqlStore
from tenderguard.web import create_app

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    finally:
        engine.dispose()
    return None


@pytest.fixture(scope="session")
def pg_unreachable() -> str | None:
    """Checked once per run: the reason PostgreSQL is not reachable, or None."""
    return _pg_unreachable()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, pg_unreachable: str | None) -> Iterator[str]:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gate.db'}"
        return
    yield from _pg_schema(pg_unreachable)


@pytest.fixture
def pg_url(pg_unreachable: str | None) -> Iterator[str]:
    """A URL to a fresh PostgreSQL schema (for tests about the server itself), dropped after the test."""
    yield from _pg_schema(pg_unreachable)


def _pg_schema(pg_unreachable: str | None) -> Iterator[str]:
    if pg_unreachable is not None:
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {pg_unreachable}")
    schema = f"tg_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        # psycopg passes ``options`` to the server: every connection of the store works in the test's schema.
        yield f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A store of the test centre on the test database of each backend, disposed afterwards."""
    made = SqlStore(db_url, CENTRE)
    yield made
    made.dispose()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_kind(request: pytest.FixtureRequest) -> str:
    """Each store a gate runs on: in memory, SQLite, PostgreSQL."""
    return str(request.param)


@pytest.fixture
def any_store_url(store_kind: str, tmp_path: Path, pg_unreachable: str | None) -> Iterator[str | None]:
    """A URL to an empty database of ``store_kind`` (None for the in-memory store)."""
    if store_kind == "memory":
        yield None
    elif store_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'gate.db'}"
    else:
        yield from _pg_schema(pg_unreachable)


@pytest.fixture
def make(any_store_url: str | None) -> Iterator[HarnessFactory]:
    """Builds harnesses on the test's store: each a fresh gate (miyun-2020 unless told) on the same database."""
    stores: list[SqlStore] = []

    def build(policy: Policy | str = "miyun-2020") -> Harness:
        store = None
        if any_store_url is not None:
            store = SqlStore(any_store_url, CENTRE)
            stores.append(store)
        return Harness(policy, store=store)

    yield build
    for store in stores:
        store.dispose()


# -- the web gate in-process: today's day with an account per role, a clock at 08:30, a test client


@pytest.fixture
def day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WebDay:
    """Today's database with two sessions and an account (and API token) per role, passwords hashed cheaply."""
    use_cheap_hashes(monkeypatch)
    return make_day(tmp_path)


@pytest.fixture
def clock(day: WebDay) -> ManualClock:
    """The server's clock, at 08:30 of the day."""
    return ManualClock(dt.datetime.combine(day.day, dt.time(8, 30), tzinfo=SHANGHAI))


@pytest.fixture
def client(day: WebDay, clock: ManualClock) -> Iterator[TestClient]:
    """The web gate in-process on the day, with its clock."""
    with TestClient(create_app(day.config, clock=clock)) as found:
        yield found
