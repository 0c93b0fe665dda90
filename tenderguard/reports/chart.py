"""The daily report's hourly arrivals chart, laid out for print: a fixed span of hours and a round vertical scale.

The chart always spans the centre's working hours (``WORKING_HOURS``: the columns of 8:00 to 17:00), widened to
any hour with arrivals outside them, so a day whose arrivals all fall in one hour draws one narrow bar among the
empty hours instead of one bar across the whole plot. The vertical axis runs from 0 to a round number at or
above the busiest hour (1, 2 or 5 times a power of ten per step, at most five steps), labelled at each step;
a bar's height is its share of that top. Both axes are named under the chart.
"""

from __future__ import annotations

import datetime as dt
import math

import attrs

from tenderguard.reports.figures import DailyReport

__all__ = ["CHART_MM", "WORKING_HOURS", "ChartColumn", "HourlyChart", "Tick", "hourly_chart", "scale"]

#: The height of the plot (the top of the vertical scale), in millimetres.
CHART_MM = 42.0
#: The first and last hour columns the chart always shows (a bid-opening day's working hours).
WORKING_HOURS = (8, 17)
#: Most steps of the vertical scale.
_STEPS = 5


@attrs.frozen
class ChartColumn:
    """One hour of the chart: its label (``08:00``), its arrivals and its bar's height in mm (0: no bar)."""

    label: str
    arrivals: int
    height: float


@attrs.frozen
class Tick:
    """A labelled step of the vertical scale, and the height in mm of the band below it."""

    value: int
    band: float


@attrs.frozen
class HourlyChart:
    """The columns, left to right, and the vertical scale's ticks, top first."""

    columns: tuple[ChartColumn, ...]
    ticks: tuple[Tick, ...]
    top: int


def scale(tallest: int) -> tuple[int, int]:
    """The vertical axis's top and step for a busiest hour of ``tallest`` arrivals (at most five steps)."""
    wanted = max(1, tallest) / _STEPS
    magnitude = 10 ** max(0, math.floor(math.log10(wanted))) if wanted >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= wanted)
    return step * max(1, math.ceil(tallest / step)), step


def _hours(report: DailyReport) -> list[dt.datetime]:
    """The hours the chart shows: the working hours of the report's day, widened to every hour with arrivals."""
    tz = report.centre.tz
    first, last = (dt.datetime.combine(report.day, dt.time(hour), tzinfo=tz) for hour in WORKING_HOURS)
    start = min(first, report.hourly[0].hour.astimezone(tz))
    end = max(last, report.hourly[-1].hour.astimezone(tz))
    hours = []
    hour = start
    while hour <= end:
        hours.append(hour)
        hour = (hour.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(tz)
    return hours


def hourly_chart(report: DailyReport) -> HourlyChart | None:
    """The chart of the report's hourly arrivals; None on a day without arrivals."""
    if not report.hourly:
        return None
    tz = report.centre.tz
    counts = {h.hour.astimezone(tz): h.arrivals for h in report.hourly}
    top, step = scale(max(counts.values()))
    columns = tuple(ChartColumn(label=f"{hour:%H:00}", arrivals=counts.get(hour, 0),
                                height=round(CHART_MM * counts.get(hour, 0) / top, 1))
                    for hour in _hours(report))
    band = round(CHART_MM * step / top, 2)
    ticks = tuple(Tick(value=value, band=band) for value in range(top, 0, -step))
    return HourlyChart(columns=columns, ticks=ticks, top=top)
