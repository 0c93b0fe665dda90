"""Properties that hold whatever happens at the desks: one bidder per company per day, and honest thermometers."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from gatekit import COMPANIES, PEOPLE, SESSION, SESSION_PM, Harness
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tenderguard.domain.model import AdmissionStatus
from tenderguard.errors import TenderGuardError
from tenderguard.policy import Policy, Role, TemperatureStep, parse_policy
from tenderguard.services import Desk, ScreeningView

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compact_policy(*, remeasures: int = 1, rest_minutes: int = 5) -> Policy:
    """Mask, temperature and registration; quotas as in 密云; room for four per hall; re-entry re-measures."""
    return parse_policy({
        "name": "compact",
        "title": "精简检查",
        "steps": [
            {"id": "mask", "kind": "mask", "label": "佩戴口罩"},
            {"id": "temperature", "kind": "temperature", "label": "测温", "remeasures": remeasures,
             "rest_minutes": rest_minutes},
            {"id": "registration", "kind": "confirm", "label": "登记"},
        ],
        "quotas": {"bidder": 1, "tenderer": 2, "agency": 3},
        "default_hall_capacity": 4,
        "reentry": {"allowed": True, "steps": ["temperature"]},
    })


# --- one active bidder per company per day ------------------------------------------------------------------

ROLES = st.sampled_from([Role.BIDDER, Role.BIDDER, Role.BIDDER, Role.TENDERER, Role.EXPERT])
ARRIVE = st.tuples(st.just("arrive"), st.integers(0, 5), st.integers(0, 2), ROLES, st.integers(0, 1),
                   st.sampled_from([SESSION, SESSION_PM]))
STEP = st.tuples(st.just("step"), st.integers(0, 20),
                 st.sampled_from(["pass", "finish", "finish", "finish", "finish", "fever", "refuse", "abandon"]),
                 st.integers(0, 1))
OPERATIONS = st.one_of(
    ARRIVE,
    ARRIVE,
    STEP,
    STEP,
    STEP,
    st.tuples(st.just("exit"), st.integers(0, 20)),
    st.tuples(st.just("substitute"), st.integers(0, 5), st.integers(0, 20), st.integers(0, 1)),
    st.tuples(st.just("wait"), st.integers(1, 30)),
)


def _step(h: Harness, desk: Desk, view: ScreeningView, choice: str) -> None:
    """Do one desk action of the chosen kind on an open screening."""
    if choice == "finish":
        h.run(view, desk)
    elif choice == "abandon":
        desk.abandon(view.id)
    elif choice == "refuse" and view.step == "mask":
        desk.mask(view.id, "refused")
    elif choice == "fever" and view.step == "temperature":
        desk.measure(view.id, 38.6)
    else:
        h.pass_step(view, desk)


def _check_one_bidder_per_company(h: Harness) -> None:
    """No day has two active bidder admissions of one company, nor more tenderers than the quota."""
    active = Counter(
        (a.day, a.organisation, a.role) for a in h.store.admissions.values() if a.status is AdmissionStatus.ACTIVE
    )
    for (_day, organisation, role), count in active.items():
        if role is Role.BIDDER:
            assert organisation is not None
            assert count == 1, f"{count} active bidders for {organisation}"
        if role is Role.TENDERER:
            assert count <= 2


@FAST
@given(st.lists(OPERATIONS, min_size=20, max_size=60))
def test_never_two_active_bidders_of_one_company(operations: list[tuple[Any, ...]]) -> None:
    """Whatever arrivals, steps, exits and substitutions happen at two desks, each company holds one place."""
    h = Harness(compact_policy())
    desks = [h.desk, h.gate.desk("B", "赵敏")]
    for op in operations:
        kind = op[0]
        try:
            if kind == "arrive":
                _, person, company, role, desk, session = op
                org = COMPANIES[company] if role is not Role.EXPERT else None
                desks[desk].arrive(h.arrival(PEOPLE[person], org, role=role, session=session))
            elif kind == "step":
                _, pick, choice, desk = op
                open_ids = [s.id for s in h.store.screenings.values() if not s.closed]
                if open_ids:
                    view = desks[desk].view(open_ids[pick % len(open_ids)])
                    _step(h, desks[desk], view, choice)
            elif kind == "exit":
                inside = [a.badge for a in h.store.admissions.values()
                          if a.inside and a.status is AdmissionStatus.ACTIVE]
                if inside:
                    h.desk.record_exit(inside[op[1] % len(inside)])
            elif kind == "substitute":
                _, person, pick, desk = op
                badges = sorted(h.store.badges)
                if badges:
                    badge = h.store.badges[badges[pick % len(badges)]]
                    company = next((c for c in COMPANIES if c.credit_code == badge.credit_code), COMPANIES[0])
                    desks[desk].substitute(h.arrival(PEOPLE[person], company, role=badge.role),
                                           replaces=badge.serial, reason="单位更换授权代表")
            else:
                h.clock.advance(minutes=op[1])
        except TenderGuardError:
            pass  # an action the situation does not allow; the invariant must hold all the same
        _check_one_bidder_per_company(h)
        # The SQL store finds open screenings as those without an outcome (a partial index): the two must agree.
        assert all(s.closed == (s.outcome is not None) for s in h.store.screenings.values())
    statuses = Counter(str(a.status) for a in h.store.admissions.values())
    event(f"admissions: {min(statuses['active'], 5)} active, {min(statuses['substituted'], 2)} substituted")
    reasons = {s.reason for s in h.store.screenings.values() if s.reason}
    event(f"company_quota refusal: {'company_quota' in reasons}")


# --- temperatures ------------------------------------------------------------------------------------------

HUNDREDTHS = st.integers
IMPLAUSIBLE = st.one_of(
    HUNDREDTHS(-5000, 3399).map(lambda n: n / 100),
    HUNDREDTHS(4251, 12000).map(lambda n: n / 100),
    st.floats(min_value=120.0, max_value=1e9),
    st.floats(min_value=-1e9, max_value=-50.0),
)
FEVER = HUNDREDTHS(3730, 4250).map(lambda n: n / 100)
NORMAL = HUNDREDTHS(3400, 3729).map(lambda n: n / 100)


def _at_temperature(h: Harness) -> ScreeningView:
    """A new arrival taken to the temperature step."""
    view = h.desk.mask(h.desk.arrive(h.arrival()).id, "ok")
    assert view.step == "temperature"
    return view


@FAST
@given(st.lists(st.one_of(IMPLAUSIBLE, FEVER), min_size=1, max_size=12))
def test_implausible_reading_never_refuses_for_fever(readings: list[float]) -> None:
    """A reading outside the plausible range never counts as a fever; only too many of them end the screening."""
    h = Harness(compact_policy(remeasures=2))
    step = h.policy.step("temperature")
    assert isinstance(step, TemperatureStep)
    view = _at_temperature(h)
    for reading in readings:
        if view.closed:
            break
        before = h.screening(view)
        fevers, state, errors = before.fevers, before.state, before.measuring_errors
        view = h.desk.measure(view.id, reading)
        h.clock.advance(minutes=step.rest_minutes)
        if not step.plausible_min <= reading <= step.plausible_max:
            assert h.screening(view).fevers == fevers
            if errors < step.max_measuring_errors:
                assert view.outcome is None
                assert view.state == state
                assert h.screening(view).records[-1].action == "temperature:measuring_error"
            else:  # one error too many: the screening ends, but never as a fever
                assert (view.outcome, view.reason) == ("refused", "measuring_error")
    event(f"ended: {view.reason}")
    if view.reason == "fever":
        last = [r for r in h.screening(view).records if "celsius" in r.detail][-1]
        assert step.is_fever(last.detail["celsius"])


@FAST
@given(
    st.integers(0, 4),
    st.lists(st.one_of(IMPLAUSIBLE, FEVER, NORMAL), min_size=1, max_size=15),
)
def test_fever_refusal_takes_exactly_one_plus_remeasures_fever_readings(remeasures: int,
                                                                        readings: list[float]) -> None:
    """Whatever the readings, a fever refusal comes after exactly 1 + remeasures fever readings, never sooner."""
    h = Harness(compact_policy(remeasures=remeasures))
    step = h.policy.step("temperature")
    assert isinstance(step, TemperatureStep)
    view = _at_temperature(h)
    fever_readings = 0
    for reading in readings:
        if view.step != "temperature" or view.closed:
            break
        view = h.desk.measure(view.id, reading)
        h.clock.advance(minutes=step.rest_minutes)
        if step.is_fever(reading):
            fever_readings += 1
        if fever_readings <= remeasures:
            assert view.reason != "fever"
    event(f"ended: {view.reason or view.step}")
    if view.reason == "fever":
        assert fever_readings == 1 + remeasures
        counted = [r for r in h.screening(view).records if r.sensitive and "celsius" in r.detail
                   and step.is_fever(r.detail["celsius"])]
        assert len(counted) == 1 + remeasures
    elif fever_readings == 1 + remeasures and view.step == "temperature":
        raise AssertionError("enough fever readings but not refused")
    else:
        assert fever_readings <= remeasures or view.step != "temperature"


@FAST
@given(st.lists(st.one_of(IMPLAUSIBLE, FEVER, NORMAL, st.just(math.nan), st.just(-1.0)), min_size=1, max_size=10),
       st.booleans())
def test_the_readings_shown_are_the_readings_recorded(readings: list[float], too_early: bool) -> None:
    """The desk's count of readings is the number of step records holding one, whatever was measured and purged."""
    h = Harness(compact_policy(remeasures=2))
    step = h.policy.step("temperature")
    assert isinstance(step, TemperatureStep)
    view = _at_temperature(h)
    for reading in readings:
        if view.step != "temperature" or view.closed:
            break
        try:
            view = h.desk.measure(view.id, reading)
        except TenderGuardError:
            view = h.desk.view(view.id)  # refused before anything was recorded, or rolled back
        if not too_early:
            h.clock.advance(minutes=step.rest_minutes)
        recorded = sum(1 for r in h.screening(view).records if "celsius" in r.detail)
        assert view.readings == recorded
    h.gate.purge(today=h.clock.now().date() + dt.timedelta(days=h.policy.retention.health_data_days + 1))
    assert h.desk.view(view.id).readings == 0
