"""Staggered arrival (分段进入): an arrival window for each bid session, so the queue stays short and all are in time.

The gate is modelled as one queue in front of ``desks`` screening desks that together screen ``desks × throughput``
people a minute (the gate's *capacity*). Each session is planned for the top of its expected attendance range, and
its people are assumed to arrive spread evenly over their window ``[start, end)``. Time runs in whole minutes from
the moment the gate opens; a session's *deadline* is its opening time less the safety margin, rounded down to the
minute.

The planner, deterministic from its inputs:

1. **Capacity.** Everyone must be screened by their deadline, whatever the windows: for every deadline *d*, the
   people of all sessions due by *d* must not exceed what the gate screens between its opening and *d*. When some
   deadline fails, the day cannot be planned; the plan says by how many people it is short at the worst deadline and
   how many more desks would cover the whole day.
2. **Windows.** Sessions are taken latest deadline first and each is given the latest stretch of gate time still
   free before its deadline (earliest-deadline-first, built backwards, so nobody is asked to come earlier than the
   day's load requires). Sessions opening at the same time therefore get consecutive, staggered stretches. A
   session's window starts where its stretch starts and is as short as the queue allowance permits — long enough
   that ``people − capacity × minutes ≤ allowed queue`` — but never shorter than ``min_window`` (a window a person
   can actually keep); a window longer than its stretch reaches back into earlier ones and ends with its stretch.
3. **Check.** Every candidate layout is checked by simulating the queue minute by minute (people arriving evenly,
   desks screening first come first served): the queue must never exceed ``max_queue`` and the last person of each
   session must be screened by its deadline. Layouts are tried from the most comfortable to the most conservative:
   the queue allowance ``max_queue``, then less of it (down to none), with ``min_window`` then with one-minute
   windows; for each, stretches packed to the fraction of a minute and then, if that fails, whole-minute stretches
   that never overlap and whose queue has cleared before the next window opens (always within the queue limit). The
   first layout that passes is the plan; if none does, the plan is infeasible and says how high the queue would
   get and how many more desks (found by planning again) would be enough.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal

import attrs

from tenderguard.domain.model import BidSession, aware
from tenderguard.errors import InvalidInputError

__all__ = [
    "ArrivalPlan",
    "ArrivalWindow",
    "SessionLoad",
    "Shortfall",
    "plan_arrivals",
]

MINUTE = dt.timedelta(minutes=1)
_EPS = 1e-9
#: How many desks beyond the first estimate the planner tries before saying more desks do not help.
_MAX_EXTRA_DESKS = 20


def _check_count(field: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(field, f"{value!r} is not a whole number of at least {minimum}")


def _positive_count(field: str, minimum: int) -> Callable[[Any, attrs.Attribute[Any], int], None]:
    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: int) -> None:
        _check_count(field, value, minimum)
    return check


def _load_opens_at(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInputError("session.opens_at", f"{value!r} is not a date and time")
    return aware(value, field="session.opens_at")


def _non_empty(field: str) -> Callable[[Any, attrs.Attribute[Any], str], None]:
    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(field, f"{value!r} is empty", hint="give the session's code and hall")
    return check


@attrs.frozen
class SessionLoad:
    """A session as the gate sees it: its code, opening time, hall and the attendance range the centre expects."""

    code: str = attrs.field(validator=_non_empty("session.code"))
    opens_at: dt.datetime = attrs.field(converter=_load_opens_at)
    hall: str = attrs.field(validator=_non_empty("session.hall"))
    expected_min: int = attrs.field(validator=_positive_count("session.expected_min", 0))
    expected_max: int = attrs.field(validator=_positive_count("session.expected_max", 1))

    def __attrs_post_init__(self) -> None:
        """Check the expected range is in order (min ≤ max)."""
        if self.expected_min > self.expected_max:
            raise InvalidInputError(
                "session.expected_min", f"session {self.code}: {self.expected_min} is above the maximum "
                f"{self.expected_max}", hint="give the expected attendance as (min, max) with min ≤ max")

    @classmethod
    def of(cls, session: BidSession, expected: tuple[int, int]) -> SessionLoad:
        """The load of a bid session expected to bring between ``expected[0]`` and ``expected[1]`` people."""
        low, high = expected
        return cls(code=session.code, opens_at=session.opens_at, hall=session.hall, expected_min=low,
                   expected_max=high)

    @property
    def planned(self) -> int:
        """How many people the plan makes room for: the top of the expected range."""
        return self.expected_max


@attrs.frozen
class ArrivalWindow:
    """When a session's people are asked to arrive: from ``start`` up to (not including) ``end``."""

    session: str
    hall: str
    opens_at: dt.datetime
    start: dt.datetime
    end: dt.datetime
    people: int

    def __attrs_post_init__(self) -> None:
        """Check the window is a non-empty stretch of whole minutes between aware times, for at least one person."""
        aware(self.start, field="window.start")
        aware(self.end, field="window.end")
        if self.end - self.start < MINUTE or (self.end - self.start) % MINUTE:
            raise InvalidInputError("window.end", f"session {self.session}: {self.start.isoformat()} to "
                                    f"{self.end.isoformat()} is not a whole number of minutes, at least one")
        _check_count("window.people", self.people, 1)

    @property
    def minutes(self) -> int:
        """The window's length in minutes."""
        return (self.end - self.start) // MINUTE

    @property
    def rate(self) -> float:
        """People expected to arrive per minute when they spread evenly over the window."""
        return self.people / self.minutes

    def describe(self) -> str:
        """The line for the notice, in the centre's time: ``请于 08:40–09:05 之间到达``."""
        tz = self.opens_at.tzinfo
        return f"请于 {self.start.astimezone(tz):%H:%M}–{self.end.astimezone(tz):%H:%M} 之间到达"


@attrs.frozen
class Shortfall:
    """Why a day cannot be planned and by how much: gate capacity short of the people due, or too long a queue."""

    #: ``capacity``: the desks cannot screen everyone by a deadline; ``queue``: they could, but no layout of
    #: whole-minute windows with evenly spread arrivals keeps the queue within its limit and everyone on time.
    kind: Literal["capacity", "queue"]
    #: ``capacity``: people who could not be screened by the worst deadline; ``queue``: people above the maximum
    #: queue in the best layout found.
    people: int
    #: Desks to add so that the day can be planned (checked by planning again); None when no number of desks helps.
    extra_desks: int | None
    #: The one-line explanation, also in the plan's problems.
    message: str
    #: ``capacity``: the deadline (opening less margin) missed by the most people.
    deadline: dt.datetime | None = None


@attrs.frozen
class ArrivalPlan:
    """The day's staggered arrival plan: a window per session code, or why there is none."""

    #: Arrival windows by session code, in order of their start (empty when the day cannot be planned).
    windows: Mapping[str, ArrivalWindow]
    feasible: bool
    problems: tuple[str, ...]
    #: The longest queue at the entrance, in people, when everyone arrives as planned (0 when infeasible).
    peak_queue: float
    #: The planned screenings as a share of what the gate can screen from its opening to the last deadline
    #: (above 1 means the day cannot be planned).
    utilisation: float
    shortfall: Shortfall | None = None

    def window(self, code: str) -> ArrivalWindow:
        """The arrival window of a session."""
        try:
            return self.windows[code]
        except KeyError:
            known = ", ".join(self.windows) or "none: the day could not be planned"
            raise InvalidInputError("code", f"no arrival window for session {code!r}",
                                    hint=f"planned sessions: {known}") from None


# ------------------------------------------------------------------------------------------------- planning


@attrs.frozen
class _Job:
    """A session in the planner's units: people planned and the deadline in minutes after the gate opens."""

    load: SessionLoad
    people: int
    deadline: int


@attrs.frozen
class _Layout:
    """Windows in minutes after the gate opens, ``(job, start, end)``, and how they fare in the simulation."""

    slots: tuple[tuple[_Job, int, int], ...]
    peak: float
    peak_minute: int
    late: tuple[tuple[_Job, int], ...]

    def passes(self, max_queue: int) -> bool:
        """Whether the queue stays within the limit and every session is screened by its deadline."""
        return self.peak <= max_queue + _EPS and not self.late


def plan_arrivals(
    sessions: Sequence[SessionLoad],
    *,
    desks: int,
    throughput: float,
    max_queue: int,
    gate_opens: dt.datetime | dt.time,
    margin: dt.timedelta = dt.timedelta(minutes=10),
    min_window: dt.timedelta = dt.timedelta(minutes=10),
) -> ArrivalPlan:
    """Give each session an arrival window so the queue stays ≤ ``max_queue`` and all are screened by opening − margin.

    ``throughput`` is people per minute per desk; ``gate_opens`` is the earliest time people may arrive (a time of
    day is taken on the day of the first opening, in its time zone); ``min_window`` is the shortest window offered
    when the queue allows it.
    """
    loads, gate = _validate(sessions, desks=desks, throughput=throughput, max_queue=max_queue,
                             gate_opens=gate_opens, margin=margin, min_window=min_window)
    return _plan(loads, desks=desks, throughput=float(throughput), max_queue=max_queue, gate=gate, margin=margin,
                 min_window=min_window // MINUTE, suggest=True)


def _validate(
    sessions: Sequence[SessionLoad],
    *,
    desks: int,
    throughput: float,
    max_queue: int,
    gate_opens: dt.datetime | dt.time,
    margin: dt.timedelta,
    min_window: dt.timedelta,
) -> tuple[tuple[SessionLoad, ...], dt.datetime]:
    """Check the planner's inputs and return the sessions and the gate's opening as an aware datetime."""
    loads = tuple(sessions)
    if not loads:
        raise InvalidInputError("sessions", "no sessions to plan", hint="give at least one session of the day")
    seen: set[str] = set()
    for i, load in enumerate(loads):
        if not isinstance(load, SessionLoad):
            raise InvalidInputError(f"sessions[{i}]", f"{load!r} is not a SessionLoad",
                                    hint="build it with SessionLoad.of(session, (min, max))")
        if load.code in seen:
            raise InvalidInputError(f"sessions[{i}].code", f"session {load.code} is given twice")
        seen.add(load.code)
    _check_count("desks", desks, 1)
    _check_count("max_queue", max_queue, 0)
    if (isinstance(throughput, bool) or not isinstance(throughput, int | float) or not math.isfinite(throughput)
            or throughput <= 0):
        raise InvalidInputError("throughput", f"{throughput!r} is not a positive number",
                                hint="people each desk screens per minute, e.g. 1.5")
    if not isinstance(margin, dt.timedelta) or margin < dt.timedelta(0):
        raise InvalidInputError("margin", f"{margin!r} is not a duration of zero or more")
    if not isinstance(min_window, dt.timedelta) or min_window < MINUTE:
        raise InvalidInputError("min_window", f"{min_window!r} is shorter than a minute")
    first = min(loads, key=lambda load: load.opens_at)
    if isinstance(gate_opens, dt.datetime):
        gate = aware(gate_opens, field="gate_opens")
    elif isinstance(gate_opens, dt.time):
        gate = dt.datetime.combine(first.opens_at.date(), gate_opens.replace(tzinfo=None),
                                   tzinfo=gate_opens.tzinfo or first.opens_at.tzinfo)
    else:
        raise InvalidInputError("gate_opens", f"{gate_opens!r} is neither a date and time nor a time of day")
    last = max(loads, key=lambda load: load.opens_at)
    if last.opens_at - gate > dt.timedelta(days=1):
        raise InvalidInputError("sessions", f"session {last.code} opens more than a day after the gate opens",
                                hint="plan one day at a time")
    return loads, gate


def _plan(
    loads: tuple[SessionLoad, ...],
    *,
    desks: int,
    throughput: float,
    max_queue: int,
    gate: dt.datetime,
    margin: dt.timedelta,
    min_window: int,
    suggest: bool,
) -> ArrivalPlan:
    """Plan a validated day; with ``suggest``, an infeasible plan also finds how many more desks would do."""
    capacity = desks * throughput
    jobs = [_Job(load=load, people=load.planned, deadline=(load.opens_at - margin - gate) // MINUTE)
            for load in loads]
    span = max(1, *(job.deadline for job in jobs))
    utilisation = sum(job.people for job in jobs) / (capacity * span)

    def retry(extra: int) -> bool:
        return _plan(loads, desks=desks + extra, throughput=throughput, max_queue=max_queue, gate=gate,
                     margin=margin, min_window=min_window, suggest=False).feasible

    short = _capacity_shortfall(jobs, desks=desks, throughput=throughput, gate=gate, margin=margin,
                                retry=retry if suggest else None)
    if short is not None:
        return ArrivalPlan(windows={}, feasible=False, problems=(short.message,), peak_queue=0.0,
                           utilisation=utilisation, shortfall=short)

    best: _Layout | None = None
    for layout in _layouts(jobs, capacity=capacity, max_queue=max_queue, min_window=min_window):
        if layout.passes(max_queue):
            windows = {
                job.load.code: ArrivalWindow(session=job.load.code, hall=job.load.hall, opens_at=job.load.opens_at,
                                             start=gate + start * MINUTE, end=gate + end * MINUTE, people=job.people)
                for job, start, end in sorted(layout.slots, key=lambda s: (s[1], s[2], s[0].load.code))
            }
            return ArrivalPlan(windows=windows, feasible=True, problems=(), peak_queue=layout.peak,
                               utilisation=utilisation)
        if best is None or (len(layout.late), layout.peak) < (len(best.late), best.peak):
            best = layout

    extra: int | None = None
    if suggest:
        extra = next((k for k in range(1, _MAX_EXTRA_DESKS + 1) if retry(k)), None)
    short = _queue_shortfall(best, max_queue=max_queue, gate=gate, margin=margin, extra_desks=extra)
    return ArrivalPlan(windows={}, feasible=False, problems=(short.message,),
                       peak_queue=best.peak if best else 0.0, utilisation=utilisation, shortfall=short)


def _num(value: float) -> str:
    """A count for a message: whole when it is whole, else to one decimal."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-6 else f"{value:.1f}"


def _capacity_shortfall(
    jobs: list[_Job],
    *,
    desks: int,
    throughput: float,
    gate: dt.datetime,
    margin: dt.timedelta,
    retry: Callable[[int], bool] | None,
) -> Shortfall | None:
    """The worst deadline by which the gate cannot screen everyone due, or None when every deadline can be met."""
    capacity = desks * throughput
    worst: tuple[float, int, float, int] | None = None  # (short, deadline, can do, demand)
    needed = 0
    hopeless = False
    for deadline in sorted({job.deadline for job in jobs}):
        demand = sum(job.people for job in jobs if job.deadline <= deadline)
        can_do = capacity * max(0, deadline)
        if demand <= can_do + _EPS:
            continue
        if deadline <= 0:
            hopeless = True
        else:
            needed = max(needed, math.ceil(demand / (throughput * deadline) - _EPS) - desks)
        if worst is None or demand - can_do > worst[0] + _EPS:
            worst = (demand - can_do, deadline, can_do, demand)
    if worst is None:
        return None
    short, deadline, can_do, demand = worst
    people = math.ceil(short - _EPS)
    due = sorted((job for job in jobs if job.deadline <= deadline), key=lambda j: (j.load.opens_at, j.load.code))
    opening = max(job.load.opens_at for job in due if job.deadline == deadline)
    tz = opening.tzinfo
    cutoff = gate + deadline * MINUTE
    head = (f"the sessions opening by {opening.astimezone(tz):%H:%M} ({', '.join(j.load.code for j in due)}) need "
            f"{demand} screenings before {cutoff.astimezone(tz):%H:%M} but {desks} desk(s) at {throughput:g} "
            f"people/min can do {_num(can_do)} from {gate.astimezone(tz):%H:%M}: short by {people} people")
    extra: int | None = None
    if hopeless:
        tail = (f"; no number of desks helps a session whose opening less the {margin // MINUTE}-minute margin is "
                "not after the gate opens: open the gate earlier")
    else:
        extra = needed
        if retry is not None:
            extra = next((k for k in range(needed, needed + _MAX_EXTRA_DESKS + 1) if retry(k)), None)
        tail = (f", or {extra} more desk(s)" if extra is not None
                else f"; {needed} more desk(s) would have the capacity but not within the queue limit")
    return Shortfall(kind="capacity", people=people, extra_desks=extra, message=head + tail, deadline=cutoff)


def _queue_shortfall(
    best: _Layout | None, *, max_queue: int, gate: dt.datetime, margin: dt.timedelta, extra_desks: int | None,
) -> Shortfall:
    """Explain why no layout kept the queue within its limit (the capacity being enough)."""
    fix = (f"allow a longer queue or add {extra_desks} desk(s)" if extra_desks is not None
           else "allow a longer queue or open the gate earlier; more desks alone do not help")
    if best is None:
        return Shortfall(kind="queue", people=0, extra_desks=extra_desks,
                         message=f"the windows cannot be fitted in whole minutes before the deadlines: {fix}")
    tz = best.slots[0][0].load.opens_at.tzinfo
    excess = max(0, math.ceil(best.peak - max_queue - _EPS))
    message = (f"the windows cannot keep the queue within {max_queue} people: the best layout found peaks at "
               f"{_num(best.peak)} people at {(gate + (best.peak_minute + 1) * MINUTE).astimezone(tz):%H:%M}")
    if best.late:
        late = ", ".join(f"{job.load.code} (done {(gate + done * MINUTE).astimezone(tz):%H:%M}, due "
                         f"{(gate + job.deadline * MINUTE).astimezone(tz):%H:%M})" for job, done in best.late)
        message += f" and would not screen everyone of {late} within the {margin // MINUTE}-minute margin"
    return Shortfall(kind="queue", people=excess, extra_desks=extra_desks, message=f"{message}: {fix}")


def _layouts(jobs: list[_Job], *, capacity: float, max_queue: int, min_window: int) -> Iterator[_Layout]:
    """The candidate layouts, most comfortable first, each simulated."""
    allowances = sorted({float(max_queue), max(0.0, max_queue - capacity), max_queue / 2, 0.0}, reverse=True)
    for window in sorted({min_window, 1}, reverse=True):
        for allowance in allowances:
            for place in (_packed, _separate):
                slots = place(jobs, capacity=capacity, allowance=allowance, min_window=window)
                if slots is not None:
                    yield _simulate(slots, capacity)


def _edf(jobs: list[_Job]) -> list[_Job]:
    """The sessions in earliest-deadline-first order (ties: earlier opening, then code)."""
    return sorted(jobs, key=lambda j: (j.deadline, j.load.opens_at, j.load.code))


def _length(job: _Job, *, capacity: float, allowance: float, min_window: int) -> int:
    """The shortest window (minutes) whose queue, served at full capacity, stays within the allowance."""
    return max(min_window, 1, math.ceil((job.people - allowance) / capacity - _EPS))


def _packed(
    jobs: list[_Job], *, capacity: float, allowance: float, min_window: int,
) -> tuple[tuple[_Job, int, int], ...] | None:
    """Stretches of gate time packed backwards to the fraction of a minute; windows start with their stretch."""
    free_until = math.inf
    slots: list[tuple[_Job, int, int]] = []
    for job in reversed(_edf(jobs)):
        stretch_end = min(float(job.deadline), free_until)
        stretch_start = stretch_end - job.people / capacity
        free_until = stretch_start
        hi = math.ceil(stretch_end - _EPS)
        lo = max(0, math.floor(stretch_start + _EPS))
        if hi < 1:
            return None
        lo = min(lo, hi - 1)
        length = _length(job, capacity=capacity, allowance=allowance, min_window=min_window)
        if length <= hi - lo:
            slots.append((job, lo, lo + length))
        else:
            slots.append((job, max(0, hi - length), hi))
    return tuple(slots)


def _separate(
    jobs: list[_Job], *, capacity: float, allowance: float, min_window: int,
) -> tuple[tuple[_Job, int, int], ...] | None:
    """Whole-minute windows that never overlap, each one's queue cleared before the next opens."""
    free_until: int | None = None
    slots: list[tuple[_Job, int, int]] = []
    for job in reversed(_edf(jobs)):
        length = _length(job, capacity=capacity, allowance=allowance, min_window=min_window)
        drain = math.ceil(max(0.0, job.people - capacity * length) / capacity - _EPS)
        end = (job.deadline if free_until is None else min(job.deadline, free_until)) - drain
        start = end - length
        if start < 0:
            return None
        slots.append((job, start, end))
        free_until = start
    return tuple(slots)


def _simulate(slots: tuple[tuple[_Job, int, int], ...], capacity: float) -> _Layout:
    """Run the queue minute by minute with even arrivals; note its peak and who is screened after their deadline."""
    horizon = max(end for _, _, end in slots)
    arrivals = [0.0] * horizon
    for job, start, end in slots:
        rate = job.people / (end - start)
        for minute in range(start, end):
            arrivals[minute] += rate
    queue = [0.0] * horizon
    backlog = 0.0
    peak, peak_minute = 0.0, 0
    for minute, arriving in enumerate(arrivals):
        backlog = max(0.0, backlog + arriving - capacity)
        queue[minute] = backlog
        if backlog > peak + _EPS:
            peak, peak_minute = backlog, minute
    late: list[tuple[_Job, int]] = []
    for job, _start, end in slots:
        # First come, first served: the last of the session arrived by ``end``; those still waiting then go first.
        done = end + math.ceil(queue[end - 1] / capacity - _EPS)
        if done > job.deadline:
            late.append((job, done))
    return _Layout(slots=slots, peak=peak, peak_minute=peak_minute, late=tuple(late))
