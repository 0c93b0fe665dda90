"""The supervisor's board: the day as it stands, for a page that refreshes itself.

People inside each hall against its capacity, arrivals per desk in the last 15 minutes, people resting after a
fever, refusals by reason, arrivals by quarter hour, and the signals waiting for a decision. Nothing on it names a
person in full: names are masked, companies appear only in the signals (masked credit codes).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import attrs

from tenderguard.domain.catalogue import reason_label
from tenderguard.domain.model import Outcome
from tenderguard.domain.signals import SignalView
from tenderguard.services.base import GateParts

__all__ = ["Board", "BoardUseCases", "HallLoad"]

#: The window of "arrivals per desk".
RECENT = dt.timedelta(minutes=15)


@attrs.frozen
class HallLoad:
    """A hall's people inside now, and its capacity (None: no limit)."""

    hall: str
    inside: int
    capacity: int | None


@attrs.frozen
class Board:
    """What the supervisor's board shows at ``at``."""

    at: dt.datetime
    day: dt.date
    halls: tuple[HallLoad, ...]
    recent_by_desk: tuple[tuple[str, int], ...]
    resting: int
    open: int
    admitted: int
    refused_by_reason: tuple[tuple[str, int], ...]
    #: Arrivals per quarter hour: ("09:15", count), from the first to the current quarter.
    quarters: tuple[tuple[str, int], ...]
    signals: tuple[SignalView, ...]


def _quarter(when: dt.datetime) -> dt.datetime:
    return when.replace(minute=when.minute - when.minute % 15, second=0, microsecond=0)


class BoardUseCases(GateParts):
    """The board's figures."""

    def board(self) -> Board:
        """The day so far, as the board shows it."""
        now = self.clock.now().astimezone(self.centre.tz)
        day = self.centre.day_of(now)
        with self.uow_factory() as uow:
            screenings = uow.screenings.for_day(day)
            halls = sorted({s.hall for s in uow.sessions.all(day)} | set(self.policy.hall_capacity))
            loads = tuple(HallLoad(hall, uow.attendance.inside(day, hall), self.policy.capacity(hall))
                          for hall in halls)
        recent = Counter(s.opened_by.desk for s in screenings if now - s.opened_at <= RECENT)
        refused = Counter(reason_label(s.reason) for s in screenings if s.outcome is Outcome.REFUSED)
        quarters = Counter(_quarter(s.opened_at.astimezone(self.centre.tz)) for s in screenings)
        timeline: list[tuple[str, int]] = []
        if quarters:
            slot, last = min(quarters), _quarter(now)
            while slot <= last:
                timeline.append((f"{slot:%H:%M}", quarters.get(slot, 0)))
                slot += dt.timedelta(minutes=15)
        waiting = tuple(v for v in self.signal_details(day) if v.status == "open")  # type: ignore[attr-defined]
        return Board(at=now, day=day, halls=loads, recent_by_desk=tuple(sorted(recent.items())),
                     resting=sum(1 for s in screenings if s.outcome is None and s.rest_until is not None),
                     open=sum(1 for s in screenings if s.outcome is None),
                     admitted=sum(1 for s in screenings if s.outcome is Outcome.ADMITTED),
                     refused_by_reason=tuple(refused.most_common()), quarters=tuple(timeline[-32:]),
                     signals=waiting)
