"""Time at the gate: the clock (injected, so tests and replays control it), the centre's zone, checked instants.

Times are timezone-aware; a calendar day is a ``datetime.date`` counted in the centre's zone (``Asia/Shanghai``).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo

import attrs

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _

__all__ = ["SHANGHAI", "Clock", "ManualClock", "SystemClock", "a_day", "aware"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def a_day(value: dt.date, *, field: str = "day") -> dt.date:
    """Check a value is a calendar day (not a datetime, not text) and return it."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInputError(
            field,
            _("{value!r} is not a calendar day", value=value),
            hint=_("give a datetime.date, e.g. datetime.date(2026, 11, 23)"),
        )
    return value


#: The years an instant at the gate may fall in: outside them a time is a typo, and the day arithmetic of reports
#: and retention (a day and the next, three years back) stays inside what datetime can hold.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2199


def aware(value: dt.datetime, *, field: str = "at") -> dt.datetime:
    """Check a datetime carries a UTC offset (a time without one is ambiguous at a desk) and return it."""
    if not isinstance(value, dt.datetime):
        raise InvalidInputError(field, _("{value!r} is not a date and time", value=value),
                                hint=_("give a datetime with its offset, e.g. 2026-11-23T09:00:00+08:00"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(field, _("{value} has no UTC offset", value=value.isoformat()),
                                hint=_("give the time with its offset, e.g. 2026-11-23T09:00:00+08:00"))
    try:
        year = value.astimezone(dt.UTC).year
    except OverflowError:
        year = 0
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidInputError(field, _("{value} is not a time the gate can be at", value=value.isoformat()),
                                hint=_("give a time between {earliest_year} and {latest_year}",
                                       earliest_year=EARLIEST_YEAR, latest_year=LATEST_YEAR))
    return value


class Clock(Protocol):
    """Where the time comes from; injected so tests and replays control it."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware."""
        ...


@attrs.define
class SystemClock:
    """The wall clock in the centre's time zone."""

    tz: dt.tzinfo = SHANGHAI

    def now(self) -> dt.datetime:
        """The current time in the centre's time zone."""
        return dt.datetime.now(self.tz)


@attrs.define
class ManualClock:
    """A clock that only moves when told to: for tests, replays and batch files."""

    current: dt.datetime = attrs.field(converter=aware)

    def now(self) -> dt.datetime:
        """The time it was last set to."""
        return self.current

    def set(self, when: dt.datetime) -> None:
        """Move the clock to a given time."""
        self.current = aware(when)

    def advance(self, **delta: float) -> dt.datetime:
        """Move the clock forward (``minutes=5``) and return the new time."""
        self.current = self.current + dt.timedelta(**delta)
        return self.current
