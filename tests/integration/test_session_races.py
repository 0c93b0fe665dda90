"""A desk admitting while the office postpones or cancels the session: the two take turns, on every store.

The racing tests run on the in-memory store, SQLite and PostgreSQL; the ones that hold one side half-way and
check that the other waits run on PostgreSQL, the store whose transactions overlap.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from gatekit import CENTRE, COMPANIES, DAY, HALL_1, PEOPLE, Harness, HarnessFactory

from tenderguard import BidSession, SessionStatus
from tenderguard.domain.model import SHANGHAI, AdmissionStatus, BadgeStatus, Outcome
from tenderguard.errors import ScreeningError, TenderGuardError
from tenderguard.services.desk import Desk
from tenderguard.services.sessions import SessionUseCases
from tenderguard.services.views import ScreeningView
from tenderguard.store.sql import SqlStore

OPENS = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
LATER = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)


def _session(h: Harness, code: str) -> None:
    h.gate.register_session(BidSession(code=code, project_name="密云区溪翁庄镇污水管网工程", opens_at=OPENS,
                                       hall=HALL_1))


def _valid_badges(h: Harness, code: str) -> list[str]:
    """The badges of ``code`` still valid, and the places they hold."""
    with h.uow() as uow:
        badges = [b.serial for b in uow.badges.for_day(DAY)
                  if b.session == code and b.status is not BadgeStatus.REVOKED]
        places = [a.badge for a in uow.attendance.for_day(DAY)
                  if a.session == code and a.status is AdmissionStatus.ACTIVE]
    return badges + places


def _together(*work: Callable[[], Any]) -> list[Any]:
    """Run each callable in its own thread, started at one instant; their results or the errors they raised."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work[i]()
        except TenderGuardError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.mark.parametrize("change", ["cancel", "postpone"])
def test_an_admission_racing_a_cancellation_or_postponement_leaves_no_valid_badge(
        make: HarnessFactory, change: str) -> None:
    """Admission and change started together: the admission is refused, or its badge is issued and revoked."""
    h = make("badge-only")
    for i in range(4):
        code = f"MY-2026-14{i}"
        _session(h, code)
        view = h.desk.arrive(h.arrival(PEOPLE[i], COMPANIES[i], session=code))

        def alter(code: str = code) -> Any:
            if change == "cancel":
                return h.gate.cancel_session(code, operator="李强", reason="招标人撤回")
            return h.gate.postpone_session(code, LATER, operator="李强")

        def admit(view: ScreeningView = view) -> Any:
            return h.desk.confirm(view.id)

        admitted, done = _together(admit, alter)
        assert not isinstance(done, TenderGuardError), done
        assert _valid_badges(h, code) == []
        if isinstance(admitted, ScreeningView) and admitted.outcome == Outcome.ADMITTED:
            assert done.revoked == (admitted.badge,)  # issued first, then revoked by the change
        else:  # refused at admission, or ended by the change before the desk's step
            assert done.revoked == ()
            with h.uow() as uow:
                screening = uow.screenings.get(view.id)
                assert screening is not None
                assert (screening.outcome, screening.reason) == (Outcome.REFUSED, "session_closed")


def test_the_desk_reads_the_session_again_when_it_admits(make: HarnessFactory) -> None:
    """A session cancelled after the arrival (its screening left open) is refused at admission, not badged."""
    h = make("badge-only")
    code = "MY-2026-150"
    _session(h, code)
    view = h.desk.arrive(h.arrival(PEOPLE[0], COMPANIES[0], session=code))
    with h.uow() as uow:  # the status alone, as a change a desk could not see yet would leave it
        session = uow.sessions.get(code)
        assert session is not None
        uow.sessions.save(attrs.evolve(session, status=SessionStatus.CANCELLED))
        uow.commit()
    done = h.desk.confirm(view.id)
    assert (done.outcome, done.reason, done.badge) == (Outcome.REFUSED, "session_closed", None)
    assert _valid_badges(h, code) == []


# --- PostgreSQL: one side held half-way, the other waits ------------------------------------------------------


@pytest.fixture
def pg_day(pg_url: str) -> Iterator[Harness]:
    """The badge-only gate on PostgreSQL with session MY-2026-160 at 10:00 and one person waiting to be admitted."""
    store = SqlStore(pg_url, CENTRE)
    h = Harness("badge-only", store=store)
    _session(h, "MY-2026-160")
    yield h
    store.dispose()


def _paused(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> tuple[threading.Event, threading.Event]:
    """Make ``owner.name`` stop after it ran (inside its unit of work) until told: (reached, go on)."""
    reached, go_on = threading.Event(), threading.Event()
    original = getattr(owner, name)

    def paused(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        reached.set()
        assert go_on.wait(30)
        return result

    monkeypatch.setattr(owner, name, paused)
    return reached, go_on


def _start(results: list[Any], work: Callable[[], Any]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(work())
        except TenderGuardError as exc:
            results.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_cancellation_waits_for_the_admission_under_way_and_revokes_its_badge(
        pg_day: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk has issued a badge but not committed: the cancellation waits, then sees the badge and revokes it."""
    h, code = pg_day, "MY-2026-160"
    view = h.desk.arrive(h.arrival(PEOPLE[0], COMPANIES[0], session=code))
    reached, go_on = _paused(monkeypatch, Desk, "_admit")
    admitted: list[Any] = []
    desk = _start(admitted, lambda: h.desk.confirm(view.id))
    assert reached.wait(30)
    cancelled: list[Any] = []
    office = _start(cancelled, lambda: h.gate.cancel_session(code, operator="李强"))
    time.sleep(0.5)
    assert office.is_alive()  # waiting for the desk's lock on the session
    go_on.set()
    desk.join(30)
    office.join(30)
    [view] = admitted
    [done] = cancelled
    assert view.outcome == Outcome.ADMITTED
    assert done.revoked == (view.badge,)
    assert _valid_badges(h, code) == []


def test_an_admission_waits_for_the_cancellation_under_way_and_is_refused(
        pg_day: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """The office is cancelling but has not committed: the desk's admission waits, then issues no badge."""
    h, code = pg_day, "MY-2026-160"
    view = h.desk.arrive(h.arrival(PEOPLE[0], COMPANIES[0], session=code))
    reached, go_on = _paused(monkeypatch, SessionUseCases, "_revoke_session_badges")
    cancelled: list[Any] = []
    office = _start(cancelled, lambda: h.gate.cancel_session(code, operator="李强"))
    assert reached.wait(30)
    admitted: list[Any] = []
    desk = _start(admitted, lambda: h.desk.confirm(view.id))
    time.sleep(0.5)
    assert desk.is_alive()  # waiting for the cancellation's lock on the session
    go_on.set()
    office.join(30)
    desk.join(30)
    [done] = cancelled
    [outcome] = admitted
    assert done.revoked == ()
    assert done.ended == (view.id,)
    # The desk then finds the screening ended by the cancellation (or refuses it itself): never a badge.
    assert isinstance(outcome, ScreeningError) or (outcome.outcome, outcome.reason) == (
        Outcome.REFUSED, "session_closed")
    assert _valid_badges(h, code) == []
