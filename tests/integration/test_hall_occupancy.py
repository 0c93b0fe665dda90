"""The people inside each hall: the database's running count agrees with the admissions whatever changes them."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs
from sqlalchemy import Engine, select
from sqlkit import (
    AT,
    CENTRE,
    DAY,
    NO_RISK,
    SECRET,
    arrival,
    confirm_together,
    screen_fully,
    set_up_day,
    through_declaration,
)

from tenderguard import Desk, Gate, ManualClock, ScreeningView, load_preset
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import admissions, hall_occupancy

HALL = "第一开标室"


def _counted(engine: Engine) -> dict[tuple[dt.date, str], int]:
    """hall_occupancy as it stands (rows at 0 left out)."""
    with engine.connect() as conn:
        rows = conn.execute(select(hall_occupancy.c.day, hall_occupancy.c.hall, hall_occupancy.c.inside)).all()
    return {(day, hall): inside for day, hall, inside in rows if inside}


def _actual(engine: Engine) -> dict[tuple[dt.date, str], int]:
    """The same, counted from the admissions themselves."""
    with engine.connect() as conn:
        rows = conn.execute(select(admissions.c.day, admissions.c.hall)
                            .where(admissions.c.inside.is_(True), admissions.c.status == "active")).all()
    return dict(Counter((day, hall) for day, hall in rows))


def _admit(desk: Desk, person: int, company: int) -> str:
    view = screen_fully(desk, desk.arrive(arrival(person, company)))
    assert view.outcome == "admitted", view
    assert view.badge is not None
    return view.badge


def _reenter(desk: Desk, view: ScreeningView) -> ScreeningView:
    """The re-entry steps of miyun-2020: mask, shoe soles, temperature and questions (no new declaration)."""
    assert view.reentry
    view = desk.mask(view.id, "ok")
    view = desk.confirm(view.id)
    view = desk.measure(view.id, 36.5)
    return desk.answer(view.id, NO_RISK)


def _agree(store: SqlStore, expected: int) -> None:
    counted, actual = _counted(store.engine), _actual(store.engine)
    assert counted == actual
    assert counted.get((DAY, HALL), 0) == expected
    with store.unit_of_work() as uow:
        assert uow.attendance.inside(DAY, HALL) == expected
        assert uow.attendance.inside(DAY, HALL, deciding=True) == expected


def test_admissions_exits_reentries_substitutions_and_revocations_keep_the_count(store: SqlStore) -> None:
    """Every way an admission changes moves the hall's count by exactly what it should."""
    gate: Gate = set_up_day(store)
    desk = gate.desk("A", "王芳")
    _agree(store, 0)
    first, second, third = _admit(desk, 1, 1), _admit(desk, 2, 2), _admit(desk, 3, 3)
    _agree(store, 3)
    desk.record_exit(first)
    _agree(store, 2)
    again = _reenter(desk, desk.arrive(arrival(1, 1)))  # re-entry with the same badge
    assert (again.outcome, again.badge) == ("admitted", first)
    _agree(store, 3)
    returning = desk.arrive(arrival(2, 2))  # arrives again without a recorded exit: taken to have left
    assert returning.reentry
    _agree(store, 2)
    assert _reenter(desk, returning).outcome == "admitted"
    _agree(store, 3)
    substitute = desk.substitute(arrival(4, 3), replaces=third, reason="单位更换授权代表")
    _agree(store, 2)  # the replaced holder gave up the place
    assert screen_fully(desk, substitute).outcome == "admitted"
    _agree(store, 3)
    gate.revoke_badge(second, reason="证件不符", operator="李主任")
    _agree(store, 2)


def test_a_purge_takes_the_old_days_counts_with_their_admissions(store: SqlStore) -> None:
    """Deleting an old day's admissions leaves no count behind for it."""
    gate = set_up_day(store)
    desk = gate.desk("A", "王芳")
    _admit(desk, 1, 1)
    _admit(desk, 2, 2)
    assert _counted(store.engine) == {(DAY, HALL): 2}
    far = DAY + dt.timedelta(days=gate.policy.retention.attendance_days + 10)
    gate.purge(today=far)
    assert _counted(store.engine) == {}
    with store.engine.connect() as conn:
        assert conn.execute(select(hall_occupancy)).all() == []


def test_four_desks_racing_for_the_last_two_places_admit_exactly_two(db_url: str) -> None:
    """Four people of four companies finish at four desks at once; the hall holds two: two get in, two wait."""
    stores = [SqlStore(db_url, CENTRE) for _ in range(4)]
    try:
        set_up_day(stores[0])
        policy = load_preset("miyun-2020")
        policy = attrs.evolve(policy, hall_capacity={**policy.hall_capacity, HALL: 2})
        desks = [Gate(policy=policy, centre=CENTRE, uow_factory=s.unit_of_work, clock=ManualClock(AT),
                      secret=SECRET).desk(f"D{i}", "王芳") for i, s in enumerate(stores)]
        views = [through_declaration(desk, desk.arrive(arrival(30 + i, company=30 + i)))
                 for i, desk in enumerate(desks)]
        results = confirm_together(desks, views)
        assert sorted((r.outcome or "", r.reason or "") for r in results) == [
            ("admitted", ""), ("admitted", ""), ("refused", "hall_full"), ("refused", "hall_full")]
        _agree(stores[0], 2)
    finally:
        for store in stores:
            store.dispose()
