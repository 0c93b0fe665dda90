"""The arrival planner's algorithm in whole minutes after the gate opens: layouts, their simulation, shortfalls.

Sessions become jobs (people planned, deadline in minutes); :func:`layouts` yields the candidate layouts of
windows, most comfortable first (stretches packed to the fraction of a minute, then whole-minute windows that never
overlap), each checked by simulating the queue minute by minute; :func:`capacity_shortfall` and
:func:`queue_shortfall` explain, as a :class:`Shortfall`, why a day cannot be planned. The rules they follow are
described in :mod:`tenderguard.domain.arrival_slots`, which turns a passing layout into the day's arrival plan.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal

import attrs

from tenderguard.i18n import _

if TYPE_CHECKING:
    from tenderguard.domain.arrival_slots import SessionLoad

__all__ = [
    "MAX_EXTRA_DESKS",
    "MINUTE",
    "Job",
    "Layout",
    "Shortfall",
    "capacity_shortfall",
    "layouts",
    "queue_shortfall",
]

MINUTE = dt.timedelta(minutes=1)
_EPS = 1e-9
#: How many desks beyond the first estimate the planner tries before saying more desks do not help.
MAX_EXTRA_DESKS = 20


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
class Job:
    """A session in the planner's units: people planned and the deadline in minutes after the gate opens."""

    load: SessionLoad
    people: int
    deadline: int


@attrs.frozen
class Layout:
    """Windows in minutes after the gate opens, ``(job, start, end)``, and how they fare in the simulation."""

    slots: tuple[tuple[Job, int, int], ...]
    peak: float
    peak_minute: int
    late: tuple[tuple[Job, int], ...]

    def passes(self, max_queue: int) -> bool:
        """Whether the queue stays within the limit and every session is screened by its deadline."""
        return self.peak <= max_queue + _EPS and not self.late


def _num(value: float) -> str:
    """A count for a message: whole when it is whole, else to one decimal."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-6 else f"{value:.1f}"


def capacity_shortfall(
    jobs: list[Job],
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
    head = _("the sessions opening by {opening} ({codes}) need {demand} screenings before {cutoff} but {desks} "
             "desk(s) at {throughput:g} people/min can do {can_do} from {gate}: short by {people} people",
             opening=f"{opening.astimezone(tz):%H:%M}", codes=_(", ").join(j.load.code for j in due), demand=demand,
             cutoff=f"{cutoff.astimezone(tz):%H:%M}", desks=desks, throughput=throughput, can_do=_num(can_do),
             gate=f"{gate.astimezone(tz):%H:%M}", people=people)
    extra: int | None = None
    if hopeless:
        tail = _("; no number of desks helps a session whose opening less the {margin}-minute margin is not after "
                 "the gate opens: open the gate earlier", margin=margin // MINUTE)
    else:
        extra = needed
        if retry is not None:
            extra = next((k for k in range(needed, needed + MAX_EXTRA_DESKS + 1) if retry(k)), None)
        tail = (_(", or {extra} more desk(s)", extra=extra) if extra is not None
                else _("; {needed} more desk(s) would have the capacity but not within the queue limit",
                       needed=needed))
    return Shortfall(kind="capacity", people=people, extra_desks=extra, message=head + tail, deadline=cutoff)


def queue_shortfall(
    best: Layout | None, *, max_queue: int, gate: dt.datetime, margin: dt.timedelta, extra_desks: int | None,
) -> Shortfall:
    """Explain why no layout kept the queue within its limit (the capacity being enough)."""
    fix = (_("allow a longer queue or add {extra_desks} desk(s)", extra_desks=extra_desks) if extra_desks is not None
           else _("allow a longer queue or open the gate earlier; more desks alone do not help"))
    if best is None:
        return Shortfall(
            kind="queue",
            people=0,
            extra_desks=extra_desks,
            message=_("the windows cannot be fitted in whole minutes before the deadlines: {fix}", fix=fix),
        )
    tz = best.slots[0][0].load.opens_at.tzinfo
    excess = max(0, math.ceil(best.peak - max_queue - _EPS))
    message = _("the windows cannot keep the queue within {max_queue} people: the best layout found peaks at "
                "{peak} people at {time}", max_queue=max_queue, peak=_num(best.peak),
                time=f"{(gate + (best.peak_minute + 1) * MINUTE).astimezone(tz):%H:%M}")
    if best.late:
        late = _(", ").join(_("{code} (done {done}, due {due})", code=job.load.code,
                              done=f"{(gate + done * MINUTE).astimezone(tz):%H:%M}",
                              due=f"{(gate + job.deadline * MINUTE).astimezone(tz):%H:%M}") for job, done in best.late)
        message = _("{message} and would not screen everyone of {late} within the {margin}-minute margin",
                    message=message, late=late, margin=margin // MINUTE)
    return Shortfall(kind="queue", people=excess, extra_desks=extra_desks,
                     message=_("{message}: {fix}", message=message, fix=fix))


def layouts(jobs: list[Job], *, capacity: float, max_queue: int, min_window: int) -> Iterator[Layout]:
    """The candidate layouts, most comfortable first, each simulated."""
    allowances = sorted({float(max_queue), max(0.0, max_queue - capacity), max_queue / 2, 0.0}, reverse=True)
    for window in sorted({min_window, 1}, reverse=True):
        for allowance in allowances:
            for place in (_packed, _separate):
                slots = place(jobs, capacity=capacity, allowance=allowance, min_window=window)
                if slots is not None:
                    yield _simulate(slots, capacity)


def _edf(jobs: list[Job]) -> list[Job]:
    """The sessions in earliest-deadline-first order (ties: earlier opening, then code)."""
    return sorted(jobs, key=lambda j: (j.deadline, j.load.opens_at, j.load.code))


def _length(job: Job, *, capacity: float, allowance: float, min_window: int) -> int:
    """The shortest window (minutes) whose queue, served at full capacity, stays within the allowance."""
    return max(min_window, 1, math.ceil((job.people - allowance) / capacity - _EPS))


def _packed(
    jobs: list[Job], *, capacity: float, allowance: float, min_window: int,
) -> tuple[tuple[Job, int, int], ...] | None:
    """Stretches of gate time packed backwards to the fraction of a minute; windows start with their stretch."""
    free_until = math.inf
    slots: list[tuple[Job, int, int]] = []
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
    jobs: list[Job], *, capacity: float, allowance: float, min_window: int,
) -> tuple[tuple[Job, int, int], ...] | None:
    """Whole-minute windows that never overlap, each one's queue cleared before the next opens."""
    free_until: int | None = None
    slots: list[tuple[Job, int, int]] = []
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


def _simulate(slots: tuple[tuple[Job, int, int], ...], capacity: float) -> Layout:
    """Run the queue minute by minute with even arrivals; note its peak and who is screened after their deadline."""
    horizon = max(end for _job, _start, end in slots)
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
    late: list[tuple[Job, int]] = []
    for job, _start, end in slots:
        # First come, first served: the last of the session arrived by ``end``; those still waiting then go first.
        done = end + math.ceil(queue[end - 1] / capacity - _EPS)
        if done > job.deadline:
            late.append((job, done))
    return Layout(slots=slots, peak=peak, peak_minute=peak_minute, late=tuple(late))
