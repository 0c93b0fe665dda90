"""The hot-path statements sent straight to the driver write exactly what SQLAlchemy would, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlkit import AT, CENTRE, arrival, screen_fully, set_up_day

from tenderguard.errors import ConflictError
from tenderguard.store import sql
from tenderguard.store.driver import DriverQuery
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import admissions, audit_log, screening_events, screenings


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    """A store on the test database."""
    made = SqlStore(db_url, CENTRE)
    yield made
    made.dispose()


def _row(seq: int, *, at: dt.datetime = AT) -> dict[str, object]:
    return {
        "screening_id": "",
        "seq": seq,
        "at": at,
        "desk": "A",
        "operator": "王芳",
        "action": "mask:ok",
        "state_from": "arrived",
        "state_to": "step1",
        "detail": {"supply": "口罩", "n": [1, 2]},
        "sensitive": False,
    }


def _screened_id(store: SqlStore) -> str:
    desk = set_up_day(store).desk("A", "王芳")
    view = screen_fully(desk, desk.arrive(arrival(1, 1)))
    assert view.outcome == "admitted"
    return view.id


def test_driver_rows_read_back_as_sqlalchemy_written_ones(store: SqlStore) -> None:
    """A step record written by the driver and one written by SQLAlchemy read back equal, instants and JSON alike."""
    sid = _screened_id(store)
    later = AT.astimezone(dt.timezone(dt.timedelta(hours=-5))) + dt.timedelta(minutes=1)
    with store.unit_of_work() as uow:
        assert uow.run(store.hot.insert_events, [_row(100, at=later) | {"screening_id": sid}]) == 1
        uow.execute(insert(screening_events), _row(101, at=later) | {"screening_id": sid})
        uow.commit()
    with store.engine.connect() as conn:
        rows = (
            conn.execute(
                select(screening_events)
                .where(screening_events.c.screening_id == sid, screening_events.c.seq >= 100)
                .order_by(screening_events.c.seq)
            )
            .mappings()
            .all()
        )
        raw = conn.exec_driver_sql("SELECT at FROM screening_events WHERE seq >= 100 ORDER BY seq").scalars().all()
    driver, core = ({k: v for k, v in r.items() if k != "seq"} for r in rows)
    assert driver == core
    assert driver["at"] == later
    assert driver["detail"] == {"supply": "口罩", "n": [1, 2]}
    assert raw[0] == raw[1]  # the very same stored form (UTC text on SQLite, timestamptz on PostgreSQL)


def test_every_step_of_a_screening_is_written_through_the_driver(store: SqlStore) -> None:
    """The screening's row, its eight step records and their audit entries are all there after a full screening."""
    sid = _screened_id(store)
    store.seal_audit()
    with store.engine.connect() as conn:
        state, version = conn.execute(
            select(screenings.c.state, screenings.c.version).where(screenings.c.id == sid)
        ).one()
        steps = (
            conn.execute(select(screening_events.c.seq).where(screening_events.c.screening_id == sid)).scalars().all()
        )
        audited = conn.execute(select(audit_log.c.payload).where(audit_log.c.subject == sid)).scalars().all()
    assert (state, version) == ("admitted", 8)
    assert sorted(steps) == list(range(1, len(steps) + 1))
    assert len(steps) >= 8
    assert len(audited) == len(steps)  # an ordinary screening: one entry per step record
    assert sum(1 for p in audited if p.get("opens")) == 1


def test_a_naive_instant_is_refused_before_it_reaches_the_database(store: SqlStore) -> None:
    """The driver path refuses a datetime without offset, as the column type does."""
    sid = _screened_id(store)
    with store.unit_of_work() as uow, pytest.raises(ValueError, match="no UTC offset"):
        uow.run(store.hot.insert_events, [_row(100, at=AT.replace(tzinfo=None)) | {"screening_id": sid}])


def test_a_duplicate_through_the_driver_is_a_conflict_and_rolls_back(store: SqlStore) -> None:
    """A unique violation raised by the driver becomes ConflictError (from IntegrityError) and writes nothing."""
    sid = _screened_id(store)
    with store.unit_of_work() as uow:
        uow.run(store.hot.insert_events, [_row(100) | {"screening_id": sid}])
        with pytest.raises(ConflictError) as caught:
            uow.run(store.hot.insert_events, [_row(100) | {"screening_id": sid}])
        assert isinstance(caught.value.__cause__, IntegrityError)
    with store.engine.connect() as conn:
        found = conn.execute(select(screening_events.c.seq).where(screening_events.c.seq == 100)).all()
    assert found == []


def test_writes_sent_together_fail_together(store: SqlStore) -> None:
    """When the last of several writes sent together conflicts, none of them is kept (one pipeline on PostgreSQL)."""
    sid = _screened_id(store)
    rows = [_row(200) | {"screening_id": sid}]
    with store.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.run_all(
            [
                (store.hot.insert_events, rows),
                (store.hot.insert_events, [_row(201) | {"screening_id": sid}]),
                (store.hot.insert_events, rows),
            ]
        )
    with store.unit_of_work() as uow:
        counts = uow.run_all(
            [(store.hot.insert_events, rows), (store.hot.insert_events, [_row(201) | {"screening_id": sid}])]
        )
        uow.commit()
    with store.engine.connect() as conn:
        found = (
            conn.execute(
                select(screening_events.c.seq).where(screening_events.c.seq >= 200).order_by(screening_events.c.seq)
            )
            .scalars()
            .all()
        )
    assert counts == [1, 1]
    assert found == [200, 201]


def test_a_new_screening_row_sets_every_column_but_the_defaulted_ones(store: SqlStore) -> None:
    """The driver's insert of a new screening binds every column of the table except ordinal and the purge mark."""
    sid = _screened_id(store)
    names = store.hot.insert_screening.parameters
    assert set(names) == {c.name for c in screenings.columns} - {"ordinal", "health_purged_at"}
    with store.engine.connect() as conn:
        row = conn.execute(select(screenings).where(screenings.c.id == sid)).mappings().one()
    assert row["ordinal"] >= 1
    assert row["health_purged_at"] is None
    assert row["opened_at"] == AT


def test_driver_reads_equal_what_sqlalchemy_reads(store: SqlStore) -> None:
    """The arrival's and admission's reads through the driver return exactly SQLAlchemy's values and types."""
    _screened_id(store)
    with store.engine.connect() as conn:
        admitted = conn.execute(select(admissions)).mappings().one()
    day, key, org, hall = admitted["day"], admitted["person_key"], admitted["organisation"], admitted["hall"]
    with store.unit_of_work() as uow:
        latest = uow.mappings(store.hot.for_person, {"b_day": day, "b_key": key})
        active = uow.mappings(store.hot.active_for_organisation, {"b_day": day, "b_org": org, "b_role": "bidder"})
        inside = uow.scalar(store.hot.inside, {"b_day": day, "b_hall": hall})
        nobody = uow.mappings(store.hot.for_person, {"b_day": day, "b_key": "someone else"})
        company = uow.scalar(store.hot.select_company, {"b_code": org})
        again = uow.scalar(store.hot.next_sequence, {"b_centre": CENTRE.code, "b_day": day})
    assert latest == [dict(admitted)] == active
    assert {k: type(v) for k, v in latest[0].items()} == {k: type(v) for k, v in admitted.items()}
    assert isinstance(latest[0]["day"], dt.date)
    assert latest[0]["inside"] is True
    assert latest[0]["at"].utcoffset() is not None
    assert (inside, nobody, again) == (1, [], 2)  # the day's second badge number (the first was issued)
    assert company is not None


def test_a_failing_driver_read_is_raised_as_sqlalchemy_raises_it(store: SqlStore) -> None:
    """A driver error on a read is SQLAlchemy's DBAPIError, rolled back; the unit of work stays usable after."""
    broken = DriverQuery(select(screenings.c.id).where(text("no_such_column = 1")), store.engine.dialect)
    with store.unit_of_work() as uow, pytest.raises(DBAPIError, match="no_such_column"):
        uow.fetch(broken, {})
    with store.unit_of_work() as uow:
        assert uow.attendance.inside(dt.date(2020, 3, 2), "第一开标室") == 0


@pytest.mark.parametrize("value", [{}, [], (), {"celsius": 36.5}, ["separate_room"], None, 0, "", False])
def test_json_columns_encode_empty_values_as_the_encoder_does(value: object) -> None:
    """The shortcut for empty containers gives the encoder's own text, and other values still go through it."""
    assert sql._dumps(value) == sql._JSON.encode(value)
