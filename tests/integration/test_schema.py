"""Schema versions on SQLite and PostgreSQL: created on first use, upgraded by command, unknown ones refused."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text, update
from sqlkit import CENTRE, arrival, screen_fully, set_up_day

from tenderguard.store import schema
from tenderguard.store.sql import SchemaError, SqlStore, create_engine_for
from tenderguard.store.tables import audit_head


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database, disposed afterwards."""
    made = create_engine_for(db_url)
    yield made
    made.dispose()


def _at_revision(engine: Engine, revision: str) -> None:
    """Build the schema only up to an older revision (as an earlier TenderGuard would have left it)."""
    with engine.begin() as conn:
        command.upgrade(schema._config(conn), revision)


def test_an_empty_database_is_created_at_the_newest_revision(engine: Engine, db_url: str) -> None:
    """The first store to open an empty database creates every table at the head revision."""
    store = SqlStore(db_url, CENTRE)
    store.dispose()
    with engine.connect() as conn:
        found = schema.status(conn)
        tables = set(inspect(conn).get_table_names())
        head = conn.execute(select(audit_head.c.seq)).scalar_one()
    assert (found.state, found.revision) == ("current", schema.head_revision())
    assert {"screenings", "screening_events", "admissions", "badges", "audit_log", "audit_head"} <= tables
    assert "schema_version" not in tables
    assert head == 0


def test_an_older_schema_is_refused_until_upgraded_and_keeps_its_data(engine: Engine, db_url: str) -> None:
    """A database at revision 0001 is refused with the upgrade hint; `upgrade` brings it to head, data intact."""
    _at_revision(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO agencies (code, name) VALUES ('AG0', '北京旧代理有限公司')"))
    with pytest.raises(SchemaError, match="revision 0001") as info:
        SqlStore(db_url, CENTRE)
    assert "tenderguard db upgrade" in (info.value.hint or "")
    before, after = schema.upgrade(engine)
    assert (before.state, before.revision) == ("behind", "0001")
    assert (after.state, after.revision) == ("current", schema.head_revision())
    store = SqlStore(db_url, CENTRE)
    try:
        with store.unit_of_work() as uow:
            agency = uow.agencies.get("AG0")
        assert agency is not None
        assert agency.name == "北京旧代理有限公司"
    finally:
        store.dispose()


def test_a_database_made_before_migrations_is_stamped_and_upgraded(engine: Engine, db_url: str) -> None:
    """Tables with a schema_version of 1 and no Alembic version are revision 0001: upgrade takes them to head."""
    _at_revision(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    with engine.connect() as conn:
        assert schema.status(conn).state == "legacy"
    schema.upgrade(engine)
    with engine.connect() as conn:
        assert schema.status(conn).state == "current"
        assert "schema_version" not in inspect(conn).get_table_names()


def test_a_newer_or_unknown_schema_is_refused_and_left_untouched(engine: Engine, db_url: str) -> None:
    """A revision this code does not know (a newer TenderGuard) is refused by the store and by upgrade."""
    SqlStore(db_url, CENTRE).dispose()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="newer version"):
        SqlStore(db_url, CENTRE)
    with pytest.raises(SchemaError, match="9999"):
        schema.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "9999"


def test_foreign_tables_without_a_version_are_refused(engine: Engine, db_url: str) -> None:
    """A database holding someone else's tables is not written to."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE payroll (id INTEGER PRIMARY KEY)"))
    with pytest.raises(SchemaError, match="no TenderGuard schema"):
        SqlStore(db_url, CENTRE)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {"payroll"}


def test_desks_starting_together_on_an_empty_database_all_open_it(db_url: str) -> None:
    """Four stores opening a fresh database at once: one creates the schema, none fails."""
    errors: list[BaseException] = []
    stores: list[SqlStore] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        try:
            stores.append(SqlStore(db_url, CENTRE))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        gate = set_up_day(stores[0])
        desk = gate.desk("A", "王芳")
        assert screen_fully(desk, desk.arrive(arrival(1))).outcome == "admitted"
    finally:
        for store in stores:
            store.dispose()


def test_upgrade_of_a_current_database_changes_nothing(engine: Engine, db_url: str) -> None:
    """Running the upgrade twice is harmless."""
    schema.upgrade(engine)
    before, after = schema.upgrade(engine)
    assert before == after
    with engine.begin() as conn:
        conn.execute(update(audit_head).values(seq=0))
        assert schema.status(conn).state == "current"
