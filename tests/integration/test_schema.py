"""Schema versions on SQLite and PostgreSQL: created on first use, upgraded by command, unknown ones refused."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, select, text, update
from sqlkit import CENTRE, arrival, screen_fully, set_up_day

from tenderguard.store import schema
from tenderguard.store.sql import SchemaError, SqlStore, create_engine_for
from tenderguard.store.tables import audit_head, metadata


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database, disposed afterwards."""
    made = create_engine_for(db_url)
    yield made
    made.dispose()


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


def test_an_older_schema_is_refused_until_upgraded(engine: Engine, db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A database behind this code's revision is refused with the upgrade hint, untouched; `upgrade` is asked."""
    SqlStore(db_url, CENTRE).dispose()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO agencies (code, name) VALUES ('AG0', '北京旧代理有限公司')"))
    behind = schema.SchemaStatus("behind", "0000", schema.head_revision())
    monkeypatch.setattr(schema, "status", lambda _conn: behind)  # as a database of an earlier release reads
    with pytest.raises(SchemaError, match="revision 0000") as info:
        SqlStore(db_url, CENTRE)
    assert "tenderguard db upgrade" in (info.value.hint or "")
    monkeypatch.undo()
    store = SqlStore(db_url, CENTRE)
    try:
        with store.unit_of_work() as uow:
            agency = uow.agencies.get("AG0")
        assert agency is not None
    finally:
        store.dispose()


def test_the_revisions_go_down_and_up_again(engine: Engine, db_url: str) -> None:
    """Downgrading every revision empties the database; upgrading builds it again, the same."""
    schema.upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(schema._config(conn), "base")
    with engine.connect() as conn:
        assert schema.status(conn).state == "empty"
    before, after = schema.upgrade(engine)
    assert (before.state, after.state) == ("empty", "current")


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


def test_the_migrations_build_the_schema_the_code_describes(engine: Engine, db_url: str) -> None:
    """Upgrading an empty database through every migration gives the tables and indexes of ``tables.py``."""
    SqlStore(db_url, CENTRE).dispose()
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
        found = {ix["name"]: ix for table in ("screenings", "audit_log")
                 for ix in inspect(conn).get_indexes(table)}
    assert diffs == []
    assert "ix_screenings_state" not in found
    assert "ix_audit_subject" not in found
    assert found["ix_screenings_open"]["column_names"] == ["centre"]
    assert found["ix_audit_subject_lookup"]["column_names"] == ["subject", "kind"]
    with engine.connect() as conn:
        hall = {ix["name"] for ix in inspect(conn).get_indexes("admissions")}
        occupancy = inspect(conn).get_pk_constraint("hall_occupancy")["constrained_columns"]
    assert "ix_admissions_hall" not in hall
    assert occupancy == ["day", "hall"]


def test_lookups_by_subject_open_screenings_and_the_hall_count_use_their_indexes(tmp_path: Path) -> None:
    """SQLite uses a partial index only when the query repeats its condition: the store's queries do.

    The hall count is one row of hall_occupancy, found by its key.
    """
    store = SqlStore(f"sqlite:///{tmp_path / 'gate.db'}", CENTRE)
    try:
        statements: list[str] = []

        def note(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
            statements.append(sql)

        with store.unit_of_work() as uow:
            event.listen(uow.connection, "before_cursor_execute", note)
            uow.audit.about("MY-20200302-0001", "exit")
            uow.screenings.open()
            uow.attendance.inside(dt.date(2020, 3, 2), "第一开标室")
            event.remove(uow.connection, "before_cursor_execute", note)
            plans = [" ".join(str(row[-1]) for row in uow.connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, (None,) * sql.count("?"))) for sql in statements]
    finally:
        store.dispose()
    assert any("ix_audit_subject_lookup" in plan for plan in plans), plans
    assert any("ix_screenings_open" in plan for plan in plans), plans
    assert any("SEARCH hall_occupancy USING" in plan for plan in plans), plans


def test_the_step_counts_are_counted_from_the_step_records_on_upgrade(engine: Engine, db_url: str) -> None:
    """A database from before the counts: upgrading counts each screening's step records and readings."""
    store = SqlStore(db_url, CENTRE)
    gate = set_up_day(store)
    desk = gate.desk("A", "王芳")
    done = screen_fully(desk, desk.arrive(arrival(1)))
    store.dispose()
    with engine.begin() as conn:
        command.downgrade(schema._config(conn), "0007-1")
    schema.upgrade(engine)
    with engine.connect() as conn:
        from tenderguard.store.tables import screening_events, screenings  # noqa: PLC0415
        steps, readings = conn.execute(select(screenings.c.steps, screenings.c.readings)
                                       .where(screenings.c.id == done.id)).one()
        stored = conn.execute(select(screening_events.c.seq).where(screening_events.c.screening_id == done.id)
                              ).scalars().all()
    assert steps == max(stored) == len(stored) > 1
    assert readings == done.readings == 1
