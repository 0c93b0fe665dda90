"""What the terminal desk makes of a typed answer: yes or no, a thermometer reading, a test's sampling time."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["NO", "YES", "TestTimeError", "typed_reading", "typed_test_time"]

YES = frozenset({"y", "yes", "是", "1"})
NO = frozenset({"n", "no", "否", "0"})
#: A thermometer reading as typed: two digits, optionally a decimal point (or comma) and one or two decimals.
_READING = re.compile(r"(\d{2})(?:[.,。](\d{1,2}))?")
_TEST_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%m-%d %H:%M", "%H:%M")


class TestTimeError(ValueError):
    """A sampling time that is not one (``format``) or lies ahead (``future``); ``args[0]`` says which."""


def typed_reading(answer: str) -> float | None:
    """The reading in °C typed as ``36.5`` or ``36,5`` (two digits, up to two decimals); None if it is not one."""
    match = _READING.fullmatch(answer)
    return None if match is None else float(f"{match[1]}.{match[2] or 0}")


def typed_test_time(answer: str, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime | None:
    """A test's sampling time as typed (``2026-11-22 08:30``, ``11-22 08:30`` or ``08:30``); None for "no test"."""
    if answer.lower() in NO or answer in ("none", "无"):
        return None
    for fmt in _TEST_TIME_FORMATS:
        try:
            parsed = dt.datetime.strptime(answer, fmt)  # noqa: DTZ007 - the centre's zone is applied below
        except ValueError:
            continue
        if fmt == "%H:%M":
            parsed = dt.datetime.combine(now.date(), parsed.time())
        elif fmt == "%m-%d %H:%M":
            parsed = parsed.replace(year=now.year)
        when = parsed.replace(tzinfo=tz)
        if when > now:
            raise TestTimeError("future")
        return when
    raise TestTimeError("format")
