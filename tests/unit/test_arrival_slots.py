"""Unit tests of tenderguard.domain.arrival_slots: staggered arrival windows checked by simulating the gate."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import deque

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tenderguard.domain.arrival_slots import ArrivalPlan, SessionLoad, plan_arrivals
from tenderguard.domain.model import SHANGHAI, BidSession
from tenderguard.errors import InvalidInputError

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

MINUTE = dt.timedelta(minutes=1)
DAY = dt.date(2026, 11, 23)
GATE = dt.datetime(2026, 11, 23, 7, 30, tzinfo=SHANGHAI)
MARGIN = dt.timedelta(minutes=10)


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A time on the bid-opening day, in the centre's time zone."""
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=SHANGHAI)


def load(code: str, opens: dt.datetime, low: int, high: int, hall: str = "第一开标厅") -> SessionLoad:
    """A session expected to bring between ``low`` and ``high`` people."""
    return SessionLoad(code=code, opens_at=opens, hall=hall, expected_min=low, expected_max=high)


@attrs.frozen
class Run:
    """What the independent simulation saw: the longest queue and the minute each session was fully screened."""

    peak: float
    done: dict[str, dt.datetime]


def minute_of(when: dt.datetime, gate: dt.datetime) -> int:
    """Minutes after the gate opens; the plan must use whole minutes."""
    assert (when - gate) % MINUTE == dt.timedelta(0)
    return (when - gate) // MINUTE


def simulate(plan: ArrivalPlan, loads: list[SessionLoad], *, gate: dt.datetime, capacity: float) -> Run:
    """Send people through the desks minute by minute, arriving evenly over their windows, first come first served."""
    people = {s.code: float(s.expected_max) for s in loads}
    spans = {code: (minute_of(w.start, gate), minute_of(w.end, gate)) for code, w in plan.windows.items()}
    queue: deque[list[str | float]] = deque()
    served = dict.fromkeys(people, 0.0)
    done: dict[str, dt.datetime] = {}
    peak = 0.0
    minute = 0
    last = max(end for _, end in spans.values())
    while minute < last or queue:
        for code in sorted(spans):
            start, end = spans[code]
            if start <= minute < end:
                queue.append([code, people[code] / (end - start)])
        budget = capacity
        while queue and budget > 1e-12:
            code, amount = str(queue[0][0]), float(queue[0][1])
            take = min(budget, amount)
            served[code] += take
            budget -= take
            if amount - take <= 1e-12:
                queue.popleft()
            else:
                queue[0][1] = amount - take
        peak = max(peak, sum(float(item[1]) for item in queue))
        minute += 1
        for code, count in served.items():
            if code not in done and count >= people[code] - 1e-6:
                done[code] = gate + minute * MINUTE
    return Run(peak=peak, done=done)


def assert_sound(plan: ArrivalPlan, loads: list[SessionLoad], *, gate: dt.datetime, capacity: float,
                 max_queue: int, margin: dt.timedelta) -> Run:
    """A feasible plan keeps the queue ≤ max and screens everyone by opening − margin, windows inside the day."""
    assert plan.feasible
    assert plan.problems == ()
    assert set(plan.windows) == {s.code for s in loads}
    run = simulate(plan, loads, gate=gate, capacity=capacity)
    assert run.peak <= max_queue + 1e-6
    assert plan.peak_queue == pytest.approx(run.peak, abs=1e-6)
    for s in loads:
        window = plan.windows[s.code]
        assert gate <= window.start < window.end <= s.opens_at - margin
        assert run.done[s.code] <= s.opens_at - margin
    return run


def capacity_shortfall(loads: list[SessionLoad], *, desks: int, throughput: float, gate: dt.datetime,
                       margin: dt.timedelta) -> tuple[float, int]:
    """Worst (people due − gate capacity) over the deadlines, and the desks that would cover every deadline."""
    worst, desks_needed = 0.0, desks
    deadlines = {(s.opens_at - margin - gate) // MINUTE for s in loads}
    for d in deadlines:
        due = sum(s.expected_max for s in loads if (s.opens_at - margin - gate) // MINUTE <= d)
        worst = max(worst, due - desks * throughput * max(d, 0))
        if d > 0:
            desks_needed = max(desks_needed, math.ceil(due / (throughput * d)))
    return worst, desks_needed - desks


def rates_by_minute(plan: ArrivalPlan, gate: dt.datetime) -> dict[int, float]:
    """People arriving in each minute when every session spreads evenly over its window."""
    rates: dict[int, float] = {}
    for window in plan.windows.values():
        start, end = minute_of(window.start, gate), minute_of(window.end, gate)
        for minute in range(start, end):
            rates[minute] = rates.get(minute, 0.0) + window.people / (end - start)
    return rates


# --- a light day --------------------------------------------------------------------------------------------

LIGHT = [
    load("MY-2026-101", at(9), 10, 20),
    load("MY-2026-102", at(10), 15, 30, hall="第二开标厅"),
    load("MY-2026-103", at(14, 30), 5, 12),
]


def test_light_day_windows_end_before_openings_without_a_queue() -> None:
    """On a light day each session gets a window ending by opening − margin, and arrivals never outpace the desks."""
    desks, throughput, max_queue = 2, 1.5, 20
    plan = plan_arrivals(LIGHT, desks=desks, throughput=throughput, max_queue=max_queue, gate_opens=GATE)
    assert_sound(plan, LIGHT, gate=GATE, capacity=desks * throughput, max_queue=max_queue, margin=MARGIN)
    assert all(rate <= desks * throughput + 1e-9 for rate in rates_by_minute(plan, GATE).values())
    assert plan.peak_queue == 0
    for s in LIGHT:
        window = plan.window(s.code)
        # A light session needs less than the minimum window, so it gets exactly that, ending at its deadline.
        assert window.end == s.opens_at - MARGIN
        assert window.end - window.start == dt.timedelta(minutes=10)
        assert window.people == s.expected_max


def test_window_describes_itself_for_the_notice() -> None:
    """The notice line gives the window's start and end in the centre's time."""
    plan = plan_arrivals(LIGHT, desks=2, throughput=1.5, max_queue=20, gate_opens=dt.time(7, 30))
    window = plan.window("MY-2026-101")
    assert window.describe() == f"请于 {window.start:%H:%M}–{window.end:%H:%M} 之间到达"
    assert re.fullmatch(r"请于 \d\d:\d\d–\d\d:\d\d 之间到达", window.describe())


def test_gate_opening_time_of_day_is_taken_on_the_sessions_day() -> None:
    """A time of day for the gate means that time on the day of the first opening."""
    by_time = plan_arrivals(LIGHT, desks=2, throughput=1.5, max_queue=20, gate_opens=dt.time(7, 30))
    by_datetime = plan_arrivals(LIGHT, desks=2, throughput=1.5, max_queue=20, gate_opens=GATE)
    assert by_time == by_datetime


def test_window_must_be_whole_minutes() -> None:
    """A window built by hand must run forward by whole minutes between aware times."""
    window = plan_arrivals(LIGHT, desks=2, throughput=1.5, max_queue=20, gate_opens=GATE).window("MY-2026-101")
    with pytest.raises(InvalidInputError, match=r"^window\.end: "):
        attrs.evolve(window, end=window.start)
    with pytest.raises(InvalidInputError, match=r"^window\.end: "):
        attrs.evolve(window, end=window.end + dt.timedelta(seconds=30))
    with pytest.raises(InvalidInputError, match=r"^window\.start: "):
        attrs.evolve(window, start=window.start.replace(tzinfo=None))


def test_session_load_from_a_bid_session() -> None:
    """A bid session and its expected range make a load planned for the top of the range."""
    session = BidSession(code="MY-2026-101", project_name="密云区道路养护项目", opens_at=at(9), hall="第一开标厅",
                         agency="北京某招标代理有限公司")
    s = SessionLoad.of(session, (12, 25))
    assert (s.code, s.opens_at, s.hall, s.expected_min, s.planned) == ("MY-2026-101", at(9), "第一开标厅", 12, 25)


def test_unknown_session_has_no_window() -> None:
    """Asking for a session the plan does not know is an input error naming the planned ones."""
    plan = plan_arrivals(LIGHT, desks=2, throughput=1.5, max_queue=20, gate_opens=GATE)
    with pytest.raises(InvalidInputError, match=r"^code: "):
        plan.window("MY-2026-999")


# --- a busy day ---------------------------------------------------------------------------------------------

BUSY = [
    load("MY-2026-201", at(9), 40, 60),
    load("MY-2026-202", at(9, 30), 80, 120),
    load("MY-2026-203", at(9, 30), 80, 100, hall="第二开标厅"),
    load("MY-2026-204", at(9, 30), 60, 90, hall="第三开标厅"),
    load("MY-2026-205", at(10), 60, 80),
    load("MY-2026-206", at(10), 40, 60, hall="第二开标厅"),
]


def test_busy_day_is_feasible_with_staggered_windows() -> None:
    """Three sessions opening at 09:30 get different windows, and they had to: one shared window overflows."""
    desks, throughput, max_queue = 4, 1.5, 40
    capacity = desks * throughput
    plan = plan_arrivals(BUSY, desks=desks, throughput=throughput, max_queue=max_queue, gate_opens=GATE)
    assert_sound(plan, BUSY, gate=GATE, capacity=capacity, max_queue=max_queue, margin=MARGIN)
    same_time = [plan.window(code) for code in ("MY-2026-202", "MY-2026-203", "MY-2026-204")]
    assert len({w.start for w in same_time}) == 3
    # Had the three 09:30 sessions been given one window (the latest of the three), the queue would overflow.
    latest = max(same_time, key=lambda w: w.start)
    together = {code: attrs.evolve(w, start=latest.start, end=latest.end) if w in same_time else w
                for code, w in plan.windows.items()}
    crowded = simulate(attrs.evolve(plan, windows=together), BUSY, gate=GATE, capacity=capacity)
    assert crowded.peak > max_queue


def test_busy_day_utilisation_is_the_share_of_capacity_used() -> None:
    """Utilisation is the day's planned people over what the desks screen from the gate opening to the last deadline."""
    desks, throughput = 4, 1.5
    plan = plan_arrivals(BUSY, desks=desks, throughput=throughput, max_queue=40, gate_opens=GATE)
    last_deadline = max(s.opens_at for s in BUSY) - MARGIN
    expected = sum(s.expected_max for s in BUSY) / (desks * throughput * ((last_deadline - GATE) / MINUTE))
    assert plan.utilisation == pytest.approx(expected)


# --- a day that cannot be planned ---------------------------------------------------------------------------

OVERBOOKED = [
    load("MY-2026-301", at(9), 60, 100),
    load("MY-2026-302", at(9), 50, 90, hall="第二开标厅"),
    load("MY-2026-303", at(10), 20, 30),
]


def test_infeasible_day_reports_the_exact_shortfall() -> None:
    """Too many people due by 08:50 for two desks: infeasible, short by the people the test computes itself."""
    desks, throughput = 2, 1.0
    plan = plan_arrivals(OVERBOOKED, desks=desks, throughput=throughput, max_queue=40, gate_opens=GATE)
    short, more = capacity_shortfall(OVERBOOKED, desks=desks, throughput=throughput, gate=GATE, margin=MARGIN)
    assert short > 0
    assert not plan.feasible
    assert plan.windows == {}
    assert plan.shortfall is not None
    assert plan.shortfall.kind == "capacity"
    assert plan.shortfall.people == math.ceil(short)
    assert plan.shortfall.extra_desks == more
    assert plan.problems == (plan.shortfall.message,)
    assert f"short by {math.ceil(short)} people, or {more} more desk(s)" in plan.shortfall.message
    # The plan is made for the top of each range: the bottoms alone would have fitted.
    lows = [attrs.evolve(s, expected_max=s.expected_min) for s in OVERBOOKED]
    assert capacity_shortfall(lows, desks=desks, throughput=throughput, gate=GATE, margin=MARGIN)[0] <= 0


def test_more_desks_make_the_day_feasible() -> None:
    """Adding the desks the shortfall names makes the same day plannable, and the plan holds up in simulation."""
    desks, throughput, max_queue = 2, 1.0, 40
    _, more = capacity_shortfall(OVERBOOKED, desks=desks, throughput=throughput, gate=GATE, margin=MARGIN)
    plan = plan_arrivals(OVERBOOKED, desks=desks + more, throughput=throughput, max_queue=max_queue, gate_opens=GATE)
    assert_sound(plan, OVERBOOKED, gate=GATE, capacity=(desks + more) * throughput, max_queue=max_queue,
                 margin=MARGIN)


def test_session_before_the_gate_opens_cannot_be_helped_by_desks() -> None:
    """A session opening before gate + margin is infeasible whatever the desks: open the gate earlier."""
    loads = [load("MY-2026-401", at(7, 35), 5, 10)]
    plan = plan_arrivals(loads, desks=6, throughput=2, max_queue=40, gate_opens=GATE)
    assert not plan.feasible
    assert plan.shortfall is not None
    assert plan.shortfall.extra_desks is None
    assert plan.shortfall.people == 10
    assert "open the gate earlier" in plan.shortfall.message


def test_queue_limit_alone_can_make_a_day_infeasible() -> None:
    """Enough capacity in total, but no whole-minute layout keeps a zero queue: a queue shortfall; a desk fixes it.

    One desk screens 1.5 people a minute; 1 person is due after one minute and 2 more after two: exactly the
    capacity, but whole-minute windows make 2 people arrive in the first minute (or the last ones late).
    """
    loads = [load("MY-2026-501", GATE + MARGIN + MINUTE, 1, 1), load("MY-2026-502", GATE + MARGIN + 2 * MINUTE, 2, 2)]
    short, _ = capacity_shortfall(loads, desks=1, throughput=1.5, gate=GATE, margin=MARGIN)
    assert short <= 0
    plan = plan_arrivals(loads, desks=1, throughput=1.5, max_queue=0, gate_opens=GATE, min_window=MINUTE)
    assert not plan.feasible
    assert plan.shortfall is not None
    assert plan.shortfall.kind == "queue"
    assert plan.shortfall.extra_desks == 1
    assert "queue" in plan.shortfall.message
    helped = plan_arrivals(loads, desks=2, throughput=1.5, max_queue=0, gate_opens=GATE, min_window=MINUTE)
    assert_sound(helped, loads, gate=GATE, capacity=3.0, max_queue=0, margin=MARGIN)


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"desks": 0}, "desks"),
        ({"desks": True}, "desks"),
        ({"throughput": 0}, "throughput"),
        ({"throughput": -1.5}, "throughput"),
        ({"throughput": math.nan}, "throughput"),
        ({"max_queue": -1}, "max_queue"),
        ({"gate_opens": dt.datetime(2026, 11, 23, 7, 30)}, "gate_opens"),  # noqa: DTZ001 - naive on purpose
        ({"margin": dt.timedelta(minutes=-5)}, "margin"),
        ({"min_window": dt.timedelta(seconds=30)}, "min_window"),
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, object], field: str) -> None:
    """Fewer than one desk, a throughput ≤ 0, a negative queue or margin, and a naive gate time are refused."""
    args: dict[str, object] = {"desks": 2, "throughput": 1.5, "max_queue": 20, "gate_opens": GATE, **kwargs}
    with pytest.raises(InvalidInputError, match=rf"^{field}: "):
        plan_arrivals(LIGHT, **args)  # type: ignore[arg-type]


def test_no_sessions_is_refused() -> None:
    """A day with no sessions has nothing to plan."""
    with pytest.raises(InvalidInputError, match=r"^sessions: "):
        plan_arrivals([], desks=2, throughput=1.5, max_queue=20, gate_opens=GATE)


def test_same_session_twice_is_refused() -> None:
    """Each session code is planned once."""
    with pytest.raises(InvalidInputError, match=r"^sessions\[1\]\.code: "):
        plan_arrivals([LIGHT[0], LIGHT[0]], desks=2, throughput=1.5, max_queue=20, gate_opens=GATE)


def test_session_a_day_away_is_refused() -> None:
    """The planner plans one day: a session more than a day after the gate opens is refused."""
    far = [load("MY-2026-601", at(9) + dt.timedelta(days=2), 1, 5)]
    with pytest.raises(InvalidInputError, match=r"^sessions: "):
        plan_arrivals(far, desks=2, throughput=1.5, max_queue=20, gate_opens=GATE)


def test_bad_session_loads_are_refused() -> None:
    """A naive opening time, min above max and a maximum of zero are refused when the load is built."""
    with pytest.raises(InvalidInputError, match=r"^session\.opens_at: "):
        load("A", dt.datetime(2026, 11, 23, 9), 1, 5)  # noqa: DTZ001 - naive on purpose
    with pytest.raises(InvalidInputError, match=r"^session\.expected_min: "):
        load("A", at(9), 30, 20)
    with pytest.raises(InvalidInputError, match=r"^session\.expected_max: "):
        load("A", at(9), 0, 0)
    with pytest.raises(InvalidInputError, match=r"^session\.expected_min: "):
        load("A", at(9), -1, 5)


# --- properties ---------------------------------------------------------------------------------------------

SESSIONS = st.lists(
    st.tuples(st.integers(30, 300), st.integers(0, 120), st.integers(1, 120)),  # opens (min after gate), min, max
    min_size=1, max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    raw=SESSIONS,
    desks=st.integers(1, 6),
    throughput=st.sampled_from([0.5, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0]),
    max_queue=st.integers(0, 60),
    margin_minutes=st.integers(0, 30),
    window_minutes=st.integers(1, 20),
)
def test_feasible_plans_hold_up_in_simulation(
    *, raw: list[tuple[int, int, int]], desks: int, throughput: float, max_queue: int, margin_minutes: int,
    window_minutes: int,
) -> None:
    """Whatever the day, a plan called feasible keeps the queue ≤ max and screens everyone by opening − margin.

    And the planner does not give up too easily: when every deadline leaves two spare minutes per session on top of
    the screening time, the day is planned.
    """
    loads = [load(f"S{i}", GATE + offset * MINUTE, min(low, high), high) for i, (offset, low, high) in enumerate(raw)]
    margin = dt.timedelta(minutes=margin_minutes)
    capacity = desks * throughput
    plan = plan_arrivals(loads, desks=desks, throughput=throughput, max_queue=max_queue, gate_opens=GATE,
                         margin=margin, min_window=dt.timedelta(minutes=window_minutes))
    short, _ = capacity_shortfall(loads, desks=desks, throughput=throughput, gate=GATE, margin=margin)
    deadline = {s.code: (s.opens_at - margin - GATE) // MINUTE for s in loads}
    roomy = all(
        sum(s.expected_max / capacity + 2 for s in loads if deadline[s.code] <= d) <= d for d in deadline.values()
    )
    event("feasible" if plan.feasible else f"infeasible ({plan.shortfall.kind if plan.shortfall else '?'})")
    if plan.feasible:
        assert_sound(plan, loads, gate=GATE, capacity=capacity, max_queue=max_queue, margin=margin)
    else:
        assert plan.shortfall is not None
        assert plan.windows == {}
    if short > 1e-9:
        assert not plan.feasible
        assert plan.shortfall is not None
        assert plan.shortfall.kind == "capacity"
        assert plan.shortfall.people == math.ceil(short - 1e-9)
    if roomy:
        assert plan.feasible
