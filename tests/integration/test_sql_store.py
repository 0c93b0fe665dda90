"""The SQL store under the real service layer, on SQLite and PostgreSQL: durability, restarts, races, rollback."""

from __future__ import annotations

import datetime as dt
import gc
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.pool import QueuePool
from sqlkit import AT, CENTRE, DAY, NO_RISK, arrival, confirm_together, gate_on, set_up_day, through_declaration

from tenderguard import (
    Admission,
    Agency,
    Badge,
    BidSession,
    ConflictError,
    Gate,
    InvalidInputError,
    ManualClock,
    ScreeningError,
    ScreeningView,
)
from tenderguard.domain.model import Visitor
from tenderguard.domain.screening import Actor, Screening
from tenderguard.policy import Role
from tenderguard.store.sql import SqlStore, SqlUnitOfWork
from tenderguard.store.tables import admissions, badges, screening_events, screenings

StoreFactory = Callable[[], SqlStore]


@pytest.fixture
def make_store(db_url: str) -> Iterator[StoreFactory]:
    """Open stores on the test database (each call is a new store object: a restart or another desk PC)."""
    opened: list[SqlStore] = []

    def make() -> SqlStore:
        store = SqlStore(db_url, CENTRE)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.dispose()


def _through_declaration(gate: Gate, desk_name: str, view: ScreeningView) -> ScreeningView:
    """Every miyun-2020 step but the last (mask disposal), at a desk of that name."""
    return through_declaration(gate.desk(desk_name, "王芳"), view)


def _load(store: SqlStore, screening_id: str) -> Screening:
    with SqlUnitOfWork(store) as uow:
        found = uow.screenings.get(screening_id)
        assert found is not None
        assert found.records  # step records are read in the unit of work that loaded the screening
    return found


def test_admitted_screening_is_durable(make_store: StoreFactory) -> None:
    """A complete screening is admitted and readable, step by step and with aware times, from a new store."""
    gate = set_up_day(make_store())
    desk = gate.desk("A", "王芳")
    view = _through_declaration(gate, "A", desk.arrive(arrival(1)))
    view = desk.confirm(view.id)
    assert view.outcome == "admitted"
    assert view.badge == "MY-20261123-0001"

    store = make_store()  # a restart: nothing is shared with the first store but the database
    reread = gate_on(store)
    [seen] = reread.screenings(DAY)
    assert (seen.id, seen.outcome, seen.badge) == (view.id, "admitted", "MY-20261123-0001")
    badge = reread.badge("MY-20261123-0001")
    assert badge.issued_at == AT
    assert badge.issued_at.utcoffset() == dt.timedelta(hours=8)
    assert reread.session("S1").opens_at == AT + dt.timedelta(hours=1)

    screening = _load(store, view.id)
    actions = [r.action for r in screening.records]
    assert actions == ["check_in", "mask:ok", "shoe_disinfection", "hand_sanitiser", "temperature:normal",
                       "temperature:answers", "declaration:complete", "mask_disposal", "admit"]
    assert [r.seq for r in screening.records] == list(range(1, 10))
    assert all(r.at == AT and r.at.tzinfo is not None for r in screening.records)
    assert screening.records[4].detail == {"celsius": 36.5}
    assert screening.records[4].sensitive
    assert screening.opened_at == AT
    assert screening.opened_at.tzinfo is not None
    assert screening.visitor.at == AT
    assert screening.visitor.phone_masked is not None
    assert screening.visitor.role is Role.BIDDER
    with store.engine.connect() as conn:
        rows = conn.execute(select(screening_events.c.seq, screening_events.c.action)
                            .where(screening_events.c.screening_id == view.id)
                            .order_by(screening_events.c.seq)).all()
        version = conn.execute(select(screenings.c.version).where(screenings.c.id == view.id)).scalar_one()
        [admission] = conn.execute(select(admissions)).mappings().all()
    assert [a for _, a in rows] == actions
    assert version == 8  # inserted on arrival (version 1), then one version per committed step (7)
    assert admission["at"] == AT
    assert admission["at"].tzinfo is not None


def test_fever_rest_remeasure_resumes_after_restart(make_store: StoreFactory) -> None:
    """A fever sends the person to rest; a new store (restart) resumes, keeps the rest time, then admits."""
    gate = set_up_day(make_store())
    desk = gate.desk("A", "王芳")
    view = desk.arrive(arrival(2))
    view = desk.mask(view.id, "replaced")
    view = desk.confirm(view.id)
    view = desk.confirm(view.id)
    view = desk.measure(view.id, 37.8, device="IR-1")
    assert view.rest_until == AT + dt.timedelta(minutes=5)

    clock = ManualClock(AT + dt.timedelta(minutes=2))
    restarted = gate_on(make_store(), clock)
    desk2 = restarted.desk("B", "李强")
    [open_view] = restarted.open_screenings()
    assert open_view.id == view.id
    assert open_view.rest_until == AT + dt.timedelta(minutes=5)
    assert (open_view.state, open_view.readings, open_view.expected) == ("temperature_rest", 1,
                                                                        ("measure", "abandon"))
    with pytest.raises(ScreeningError, match="正在休息"):
        desk2.measure(view.id, 36.6)
    clock.advance(minutes=4)
    view = desk2.measure(view.id, 36.6)
    view = desk2.answer(view.id, NO_RISK)
    view = desk2.declare(view.id, "missing")  # filled in at the desk
    view = desk2.declare(view.id, "complete")
    view = desk2.confirm(view.id)
    assert view.outcome == "admitted"

    screening = _load(make_store(), view.id)
    assert screening.fevers == 1
    assert screening.supplies == {"mask": 1}
    assert screening.rest_until is None
    actions = [r.action for r in screening.records]
    assert actions[4:6] == ["temperature:fever", "temperature:normal"]
    assert screening.records[4].detail["device"] == "IR-1"
    assert {r.desk for r in screening.records} == {"A", "B"}


def _admission_row(n: int, organisation: str, *, role: str = "bidder", status: str = "active") -> dict[str, Any]:
    return {"id": f"adm{n}", "ordinal": n, "screening_id": f"scr{n}", "day": DAY, "session": "S1",
            "hall": "第一开标室", "role": role, "organisation": organisation, "person_key": f"p{n}",
            "badge": f"MY-20261123-{n:04d}", "at": AT, "desk": "A", "status": status, "inside": True,
            "exited_at": None, "entries": 1}


def _badge(n: int, credit_code: str, role: Role = Role.BIDDER) -> Badge:
    return Badge(serial=f"MY-20261123-{n:04d}", centre="MY", day=DAY, session="S1", hall="第一开标室", role=role,
                 company="某公司", credit_code=credit_code, holder_masked="张*", person_key=f"p{n}", issued_at=AT)


def _insert_badges(store: SqlStore, *numbers: int) -> None:
    with SqlUnitOfWork(store) as uow:
        for n in numbers:
            uow.badges.add(_badge(n, "91110000MA01A2B01X"))
        uow.commit()


def test_partial_unique_index_allows_one_active_bidder_per_company(make_store: StoreFactory) -> None:
    """Inserted directly, a second active bidder admission of a company and day violates the unique index."""
    store = make_store()
    _insert_badges(store, 1, 2, 3, 4)
    org = "91110000MA01A2B01X"
    with store.engine.begin() as conn:
        conn.execute(insert(admissions), [
            _admission_row(1, org),
            _admission_row(2, org, status="substituted"),  # gave up its place: not counted
            _admission_row(3, org, role="tenderer"),  # other roles have their own quotas
        ])
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert(admissions), [_admission_row(4, org)])
    with store.engine.begin() as conn:
        conn.execute(update(admissions).where(admissions.c.id == "adm1").values(status="revoked"))
        conn.execute(insert(admissions), [_admission_row(4, org)])  # the place is free again


def test_unique_violation_through_the_unit_of_work_is_a_conflict(make_store: StoreFactory) -> None:
    """Through the repositories the same violation is rolled back and raised as ConflictError."""
    store = make_store()
    _insert_badges(store, 1, 2)
    org = "91110000MA01A2B01X"

    def admission(n: int) -> Admission:
        return Admission(id=f"adm{n}", screening_id=f"scr{n}", day=DAY, session="S1", hall="第一开标室",
                         role=Role.BIDDER, organisation=org, person_key=f"p{n}", badge=f"MY-20261123-{n:04d}",
                         at=AT, desk="A")

    with SqlUnitOfWork(store) as uow:
        uow.attendance.add(admission(1))
        uow.commit()
    with SqlUnitOfWork(store) as uow, pytest.raises(ConflictError):
        uow.attendance.add(admission(2))  # the unique index refuses it
    with SqlUnitOfWork(store) as uow:
        assert [a.id for a in uow.attendance.active_for_organisation(DAY, org, Role.BIDDER)] == ["adm1"]
        assert uow.attendance.inside(DAY, "第一开标室") == 1


def test_rows_written_with_the_commit_are_read_back_within_the_operation(make_store: StoreFactory) -> None:
    """An admission waiting to be written with the commit is sent first when the operation reads: it sees it."""
    store = make_store()
    _insert_badges(store, 1)
    org = "91110000MA01A2B01X"
    admission = Admission(id="adm1", screening_id="scr1", day=DAY, session="S1", hall="第一开标室",
                          role=Role.BIDDER, organisation=org, person_key="p1", badge="MY-20261123-0001", at=AT,
                          desk="A")
    with SqlUnitOfWork(store) as uow:
        uow.attendance.add(admission)
        assert [a.id for a in uow.attendance.for_person(DAY, "p1")] == ["adm1"]
        assert uow.attendance.inside(DAY, "第一开标室") == 1  # the database's own count, kept by its trigger
    with SqlUnitOfWork(store) as uow:  # not committed: nothing stays
        assert uow.attendance.for_person(DAY, "p1") == []


def test_two_desks_interleaved_admit_one_person_per_company(make_store: StoreFactory) -> None:
    """Two stores (two desk PCs) screen two people of one company step by step: one admitted, one refused."""
    gate1 = set_up_day(make_store())
    gate2 = gate_on(make_store())
    desk1, desk2 = gate1.desk("A", "王芳"), gate2.desk("B", "李强")
    v1, v2 = desk1.arrive(arrival(3)), desk2.arrive(arrival(4))
    for step in ("mask", "confirm", "confirm", "measure", "answer", "declare"):
        for desk, view in ((desk1, v1), (desk2, v2)):
            if step == "mask":
                desk.mask(view.id, "ok")
            elif step == "confirm":
                desk.confirm(view.id)
            elif step == "measure":
                desk.measure(view.id, 36.4)
            elif step == "answer":
                desk.answer(view.id, NO_RISK)
            else:
                desk.declare(view.id, "complete")
    second = desk2.confirm(v2.id)
    first = desk1.confirm(v1.id)
    assert (second.outcome, second.badge) == ("admitted", "MY-20261123-0001")
    assert (first.outcome, first.reason) == ("refused", "company_quota")
    with SqlUnitOfWork(make_store()) as uow:
        assert len(uow.attendance.for_day(DAY)) == 1
        assert [b.serial for b in uow.badges.for_day(DAY)] == ["MY-20261123-0001"]


def test_two_desks_racing_for_one_company_admit_exactly_one(make_store: StoreFactory) -> None:
    """Both desks finish at the same instant on separate threads: exactly one admitted (the loser retries)."""
    gate1 = set_up_day(make_store())
    gate2 = gate_on(make_store())
    desk1, desk2 = gate1.desk("A", "王芳"), gate2.desk("B", "李强")
    v1 = _through_declaration(gate1, "A", desk1.arrive(arrival(5)))
    v2 = _through_declaration(gate2, "B", desk2.arrive(arrival(6)))
    results = {view.id: view for view in confirm_together([desk1, desk2], [v1, v2])}
    outcomes = sorted((r.outcome or "", r.reason or "") for r in results.values())
    assert outcomes == [("admitted", ""), ("refused", "company_quota")]
    with SqlUnitOfWork(make_store()) as uow:
        [admission] = uow.attendance.for_day(DAY)
    [refused] = [r for r in results.values() if r.outcome == "refused"]
    # The loser is told when and at which desk the place was taken — nothing about who took it.
    assert refused.detail == {"limit": 1, "admitted_at": admission.at.isoformat(), "desk": admission.desk}


def test_four_desks_racing_for_a_role_quota_admit_exactly_the_quota(make_store: StoreFactory) -> None:
    """Four tenderer representatives of one organisation finish at once at four desks: the quota of 2 holds."""
    gates = [set_up_day(make_store())] + [gate_on(make_store()) for _ in range(3)]
    desks = [g.desk(f"D{i}", "王芳") for i, g in enumerate(gates)]
    views = [_through_declaration(g, f"D{i}", d.arrive(arrival(20 + i, company=9, role="tenderer")))
             for i, (g, d) in enumerate(zip(gates, desks, strict=True))]
    results = confirm_together(desks, views)
    assert sorted((r.outcome or "", r.reason or "") for r in results) == [
        ("admitted", ""), ("admitted", ""), ("refused", "role_quota"), ("refused", "role_quota")]


def test_rollback_leaves_nothing_behind(make_store: StoreFactory) -> None:
    """Whatever an uncommitted unit of work wrote (every repository) is gone afterwards."""
    store = make_store()
    with SqlUnitOfWork(store) as uow:
        uow.agencies.add(Agency(code="AG9", name="某招标代理有限公司"))
        uow.sessions.add(BidSession(code="S9", project_name="某工程", opens_at=AT, hall="第二开标室"))
        uow.companies.add("91110000MA01A2B01X", "某公司", "某公司")
        assert uow.badges.next_sequence("MY", DAY) == 1
        uow.badges.add(_badge(1, "91110000MA01A2B01X"))
        screening = Screening(id=uuid.uuid4().hex, visitor=Visitor.of(arrival(9)), person_key="pk", hall="第二开标室",
                              reentry=False, opened_at=AT, actor=Actor(desk="A", operator="王芳"))
        uow.screenings.add(screening)
        assert [s.id for s in uow.screenings.for_day(DAY)] == [screening.id]
        uow.rollback()
    with SqlUnitOfWork(store) as uow:
        assert uow.agencies.all() == []
        assert uow.sessions.all() == []
        assert uow.companies.get("91110000MA01A2B01X") is None
        assert uow.badges.get("MY-20261123-0001") is None
        assert uow.screenings.for_day(DAY) == []
        assert uow.badges.next_sequence("MY", DAY) == 1  # the rolled-back number was never handed out


def test_failed_use_case_writes_nothing(make_store: StoreFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """An arrival failing half-way (its company and screening added, then an error) leaves no trace."""
    gate = set_up_day(make_store())
    desk = gate.desk("A", "王芳")
    desk.arrive(arrival(1, company=1))

    def broken(*_args: object) -> None:
        raise InvalidInputError("check_in", "failed on purpose")

    monkeypatch.setattr(Screening, "check_in", broken)
    with pytest.raises(InvalidInputError, match="on purpose"):
        desk.arrive(arrival(2, company=2))
    monkeypatch.undo()
    assert len(gate_on(make_store()).screenings(DAY)) == 1
    with make_store().unit_of_work() as uow:
        assert uow.companies.get(arrival(2, company=2).credit_code or "") is None


def test_exit_and_reentry_survive_a_restart(make_store: StoreFactory) -> None:
    """Exit, then same-day re-entry on another store: the admission is found by badge and updated in place."""
    gate = set_up_day(make_store())
    desk = gate.desk("A", "王芳")
    view = desk.confirm(_through_declaration(gate, "A", desk.arrive(arrival(7))).id)
    desk.record_exit(view.badge or "")
    clock = ManualClock(AT + dt.timedelta(minutes=30))
    other = gate_on(make_store(), clock)
    desk2 = other.desk("B", "李强")
    again = desk2.arrive(arrival(7, at=clock.now()))
    assert again.reentry
    again = desk2.mask(again.id, "ok")
    again = desk2.confirm(again.id)
    again = desk2.measure(again.id, 36.5)
    again = desk2.answer(again.id, NO_RISK)
    assert (again.outcome, again.badge) == ("admitted", view.badge)
    with SqlUnitOfWork(make_store()) as uow:
        [admission] = uow.attendance.for_day(DAY)
        assert (admission.entries, admission.inside, admission.exited_at) == (2, True, None)
        assert uow.attendance.inside(DAY, "第一开标室") == 1
        assert uow.attendance.for_person(DAY, admission.person_key) == [admission]
        assert uow.attendance.by_badge(admission.badge) == admission


def test_serial_numbers_never_repeat_across_stores(make_store: StoreFactory) -> None:
    """Two stores (and threads on each) drawing the day's serial numbers never get the same one twice."""
    stores = [make_store(), make_store()]
    drawn: list[int] = []
    lock = threading.Lock()

    def draw(store: SqlStore) -> None:
        for _ in range(10):
            while True:
                try:
                    with SqlUnitOfWork(store) as uow:
                        value = uow.badges.next_sequence("MY", DAY)
                        uow.commit()
                    break
                except ConflictError:
                    continue
            with lock:
                drawn.append(value)

    threads = [threading.Thread(target=draw, args=(stores[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(drawn) == list(range(1, 41))
    with SqlUnitOfWork(stores[0]) as uow:
        assert uow.badges.next_sequence("MY", DAY + dt.timedelta(days=1)) == 1  # a new day starts again


def test_naive_datetimes_are_refused_by_the_store(make_store: StoreFactory) -> None:
    """A naive datetime never reaches the database (it would be ambiguous)."""
    store = make_store()
    naive = dt.datetime(2026, 11, 23, 9, 0)  # noqa: DTZ001 - the point of the test
    row = attrs.asdict(_badge(1, "X"), recurse=False) | {"issued_at": naive, "role": "bidder", "status": "active"}
    with pytest.raises(StatementError, match="no UTC offset"), store.engine.begin() as conn:
        conn.execute(insert(badges), [row])


def test_stale_screening_version_is_a_conflict(make_store: StoreFactory) -> None:
    """A screening changed by another desk since it was loaded is not overwritten: ConflictError, rolled back."""
    gate = set_up_day(make_store())
    view = gate.desk("A", "王芳").arrive(arrival(8))
    store = make_store()
    with SqlUnitOfWork(store) as uow:
        screening = uow.screenings.get(view.id)
        assert screening is not None
        assert uow.screenings.get(view.id) is screening  # one object per screening and operation
        screening.bind(gate.machine)
        screening.mask(Actor(desk="B", operator="李强"), AT, "ok")
        screening.unbind()
        # meanwhile another desk committed a step of the same screening
        uow.execute(update(screenings).where(screenings.c.id == view.id).values(version=screenings.c.version + 1))
        # SQLite: the update matched no row; PostgreSQL: the server refused the stale version (migration 0009)
        with pytest.raises(ConflictError, match=rf"screening {view.id} (was changed by another desk|is at "
                                                r"version 2, not 1: another desk changed it)"):
            uow.commit()
    assert _load(store, view.id).state == "mask"


def test_a_lost_kept_connection_is_replaced(db_url: str) -> None:
    """The thread's connection invalidated (as after a lost server): the next unit of work opens a new one."""
    store = SqlStore(db_url, CENTRE)
    try:
        with store.unit_of_work() as uow:
            first = uow.connection.connection.dbapi_connection
            uow.connection.invalidate()
        with store.unit_of_work() as uow:
            assert uow.connection.connection.dbapi_connection is not first
            assert uow.attendance.inside(DAY, "第一开标室") == 0
    finally:
        store.dispose()


def test_a_finished_thread_gives_its_connection_back(db_url: str) -> None:
    """Threads come and go (e.g. a host system's worker threads): each one's kept connection returns to the pool."""
    store = SqlStore(db_url, CENTRE)
    pool = store.engine.pool
    assert isinstance(pool, QueuePool)
    try:
        def one_operation() -> None:
            with store.unit_of_work() as uow:
                uow.attendance.inside(DAY, "第一开标室")

        for _ in range(20):  # more threads than the pool holds (5 + 10 overflow): none may be left waiting
            thread = threading.Thread(target=one_operation)
            thread.start()
            thread.join(timeout=30)
            assert not thread.is_alive()
        gc.collect()
        assert pool.checkedout() == 0
    finally:
        store.dispose()
