"""Shared helpers of the SQL integration tests: a centre, valid arrivals, a gate on a store, a full screening."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence

from tenderguard import Agency, Arrival, BidSession, Centre, Desk, Gate, ManualClock, ScreeningView, load_preset
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival as valid_arrival
from tenderguard.store.sql import SqlStore

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
DAY = AT.date()
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
SECRET = b"integration-tests-secret-32bytes"
NO_RISK = {"symptoms": False, "key_area_travel": False, "contact": False}


def gate_on(store: SqlStore, clock: ManualClock | None = None, policy: str = "miyun-2020") -> Gate:
    """A gate of the miyun-2020 policy over a SQL store, on a manual clock at 09:00 on the test day."""
    return Gate(policy=load_preset(policy), centre=CENTRE, uow_factory=store.unit_of_work,
                clock=clock or ManualClock(AT), secret=SECRET)


def set_up_day(store: SqlStore) -> Gate:
    """A gate with one agency and one session (S1, 10:00, hall 1) registered."""
    gate = gate_on(store)
    gate.register_agency(Agency(code="AG1", name="北京某某招标代理有限公司"))
    gate.register_session(BidSession(code="S1", project_name="密云区道路工程", opens_at=AT + dt.timedelta(hours=1),
                                     hall="第一开标室", agency="AG1"))
    return gate


def arrival(person: int, company: int = 1, at: dt.datetime = AT, role: str = "bidder", session: str = "S1"
            ) -> Arrival:
    """A valid arrival: person ``n`` (its own ID number and mobile) of company ``m`` (its own credit code)."""
    return valid_arrival(person, company, session=session, at=at, role=role, phone=f"138{person:08d}",
                         company_name=f"北京某某建设工程有限公司{company}")


def screen_fully(desk: Desk, view: ScreeningView, celsius: float = 36.5) -> ScreeningView:
    """Every miyun-2020 step from the arrival's view; a fever reading leaves the person resting."""
    view = desk.mask(view.id, "ok")
    view = desk.confirm(view.id)
    view = desk.confirm(view.id)
    view = desk.measure(view.id, celsius)
    if view.closed or view.rest_until is not None:
        return view
    view = desk.answer(view.id, NO_RISK)
    view = desk.declare(view.id, "complete")
    return desk.confirm(view.id)


def through_declaration(desk: Desk, view: ScreeningView) -> ScreeningView:
    """Every miyun-2020 step but the last (the mask's disposal, whose confirmation admits)."""
    view = desk.mask(view.id, "ok")
    view = desk.confirm(view.id)
    view = desk.confirm(view.id)
    view = desk.measure(view.id, 36.5)
    view = desk.answer(view.id, NO_RISK)
    return desk.declare(view.id, "complete")


def confirm_together(desks: Sequence[Desk], views: Sequence[ScreeningView]) -> list[ScreeningView]:
    """Each desk confirms its screening's last step on its own thread, all released at the same instant.

    Returns the views in the order the confirmations finished; anything a thread raised is raised here.
    """
    barrier = threading.Barrier(len(desks))
    results: list[ScreeningView] = []
    errors: list[BaseException] = []

    def finish(desk: Desk, view: ScreeningView) -> None:
        barrier.wait()
        try:
            results.append(desk.confirm(view.id))
        except BaseException as exc:  # re-raised by the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=pair) for pair in zip(desks, views, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results
