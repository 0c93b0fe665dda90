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

This module holds the public value objects and :func:`plan_arrivals`; the layouts, the queue simulation and the
explanation of a shortfall are in :mod:`tenderguard.domain.arrival_schedule`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from tenderguard.domain.arrival_schedule import (
    MAX_EXTRA_DESKS,
    MINUTE,
    Job,
    Layout,
    Shortfall,
    capacity_shortfall,
    layouts,
    queue_shortfall,
)
from tenderguard.domain.model import BidSession, aware
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _

__all__ = [
    "ArrivalPlan",
    "ArrivalWindow",
    "SessionLoad",
    "Shortfall",
    "plan_arrivals",
]


def _check_count(field: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(field, _("{value!r} is not a whole number of at least {minimum}", value=value,
                                         minimum=minimum))


def _positive_count(field: str, minimum: int) -> Callable[[Any, attrs.Attribute[Any], int], None]:
    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: int) -> None:
        _check_count(field, value, minimum)
    return check


def _load_opens_at(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInputError("session.opens_at", _("{value!r} is not a date and time", value=value))
    return aware(value, field="session.opens_at")


def _non_empty(field: str) -> Callable[[Any, attrs.Attribute[Any], str], None]:
    def check(_instance: Any, _attribute: attrs.Attribute[Any], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInputError(
                field, _("{value!r} is empty", value=value), hint=_("give the session's code and hall")
            )

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
                "session.expected_min",
                _(
                    "session {code}: {expected_min} is above the maximum {expected_max}",
                    code=self.code,
                    expected_min=self.expected_min,
                    expected_max=self.expected_max,
                ),
                hint=_("give the expected attendance as (min, max) with min ≤ max"),
            )

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
            raise InvalidInputError("window.end", _("session {session}: {start} to {end} is not a whole number of "
                                                    "minutes, at least one", session=self.session,
                                                    start=self.start.isoformat(), end=self.end.isoformat()))
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
            raise InvalidInputError("code", _("no arrival window for session {code!r}", code=code),
                                    hint=_("planned sessions: {known}", known=known)) from None


# ------------------------------------------------------------------------------------------------- planning


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
        raise InvalidInputError("sessions", _("no sessions to plan"), hint=_("give at least one session of the day"))
    seen: set[str] = set()
    for i, load in enumerate(loads):
        if not isinstance(load, SessionLoad):
            raise InvalidInputError(f"sessions[{i}]", _("{load!r} is not a SessionLoad", load=load),
                                    hint=_("build it with SessionLoad.of(session, (min, max))"))
        if load.code in seen:
            raise InvalidInputError(f"sessions[{i}].code", _("session {load_code} is given twice", load_code=load.code))
        seen.add(load.code)
    _check_count("desks", desks, 1)
    _check_count("max_queue", max_queue, 0)
    if (isinstance(throughput, bool) or not isinstance(throughput, int | float) or not math.isfinite(throughput)
            or throughput <= 0):
        raise InvalidInputError("throughput", _("{throughput!r} is not a positive number", throughput=throughput),
                                hint=_("people each desk screens per minute, e.g. 1.5"))
    if not isinstance(margin, dt.timedelta) or margin < dt.timedelta(0):
        raise InvalidInputError("margin", _("{margin!r} is not a duration of zero or more", margin=margin))
    if not isinstance(min_window, dt.timedelta) or min_window < MINUTE:
        raise InvalidInputError("min_window", _("{min_window!r} is shorter than a minute", min_window=min_window))
    first = min(loads, key=lambda load: load.opens_at)
    if isinstance(gate_opens, dt.datetime):
        gate = aware(gate_opens, field="gate_opens")
    elif isinstance(gate_opens, dt.time):
        gate = dt.datetime.combine(first.opens_at.date(), gate_opens.replace(tzinfo=None),
                                   tzinfo=gate_opens.tzinfo or first.opens_at.tzinfo)
    else:
        raise InvalidInputError("gate_opens", _("{gate_opens!r} is neither a date and time nor a time of day",
                                                gate_opens=gate_opens))
    last = max(loads, key=lambda load: load.opens_at)
    if last.opens_at - gate > dt.timedelta(days=1):
        raise InvalidInputError("sessions", _("session {last_code} opens more than a day after the gate opens",
                                              last_code=last.code),
                                hint=_("plan one day at a time"))
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
    jobs = [Job(load=load, people=load.planned, deadline=(load.opens_at - margin - gate) // MINUTE)
            for load in loads]
    span = max(1, *(job.deadline for job in jobs))
    utilisation = sum(job.people for job in jobs) / (capacity * span)

    def retry(extra: int) -> bool:
        return _plan(loads, desks=desks + extra, throughput=throughput, max_queue=max_queue, gate=gate,
                     margin=margin, min_window=min_window, suggest=False).feasible

    short = capacity_shortfall(jobs, desks=desks, throughput=throughput, gate=gate, margin=margin,
                               retry=retry if suggest else None)
    if short is not None:
        return ArrivalPlan(windows={}, feasible=False, problems=(short.message,), peak_queue=0.0,
                           utilisation=utilisation, shortfall=short)

    best: Layout | None = None
    for layout in layouts(jobs, capacity=capacity, max_queue=max_queue, min_window=min_window):
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
        extra = next((k for k in range(1, MAX_EXTRA_DESKS + 1) if retry(k)), None)
    short = queue_shortfall(best, max_queue=max_queue, gate=gate, margin=margin, extra_desks=extra)
    return ArrivalPlan(windows={}, feasible=False, problems=(short.message,),
                       peak_queue=best.peak if best else 0.0, utilisation=utilisation, shortfall=short)

