"""How the cost of a past day's report grows: with that day, not with all the history since.

Run from the project root::

    .venv/bin/python -m benchmarks.report [--days 30] [--per-day 300] [--backend sqlite|postgresql]
                                          [--database-url URL]

A centre's database keeps three years of attendance. The office asks for the report of a day weeks back (an
agency's complaint, an inspection), and it should come as fast as yesterday's. The benchmark screens
``--per-day`` people on each of ``--days`` days (one desk, the Miyun preset), and times the daily report (the
figures and the recount against the audit trail, which reads the day and the next) of the first day twice —
once with the next day stored, once with every later day stored — and of the last day. Target: **the first
day's report with all the history after it takes at most 1.5x as long as with one day after it** (the same
day's work; ratio printed), and no report over 5 s at these sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.desk import PG_DEFAULT, _pg, screen_once
from tenderguard import BidSession, Centre, Gate, ManualClock, load_preset
from tenderguard.domain.model import SHANGHAI, Badge
from tenderguard.factories import arrival
from tenderguard.store.sql import SqlStore

CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
SECRET = b"benchmark-secret-of-32-bytes!!!!"
FIRST_DAY = dt.date(2026, 11, 2)
RATIO_TARGET = 1.5
#: Fewer than the Miyun preset's first hall seats.
HALL_SEATS = 30
SECONDS_TARGET = 5.0


def _morning(day: dt.date, hour: int = 8) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def _screen_day(gate: Gate, clock: ManualClock, day: dt.date, index: int, per_day: int) -> None:
    code = f"MY-{day:%Y%m%d}"
    clock.set(_morning(day, 7))
    gate.register_session(BidSession(code=code, project_name=f"道路工程第{index + 1}标段",
                                     opens_at=_morning(day, 9) + dt.timedelta(minutes=30), hall="第一开标室"))
    desk = gate.desk("A", "王芳")
    for n in range(per_day):
        clock.set(_morning(day) + dt.timedelta(seconds=5 * n))
        screen_once(desk, arrival(index * 100_000 + n, session=code, at=clock.now()))
        if n >= HALL_SEATS:  # people leave after their opening: the hall never holds more than it seats
            desk.record_exit(Badge.make_serial(CENTRE.code, day, n + 1 - HALL_SEATS))
    gate.seal_audit()


def _timed(call: Callable[[], object], runs: int = 3) -> float:
    call()  # warm: the first call also imports the report's modules
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _report(gate: Gate, day: dt.date) -> Callable[[], object]:
    def run() -> object:
        report, mismatches = gate.daily_report(day)
        if mismatches:
            raise SystemExit(f"the report of {day} does not reconcile: {mismatches[:3]}")
        return report
    return run


def main(argv: list[str] | None = None) -> int:
    """Build the history, time the reports, print the table; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30, help="at least 2")
    parser.add_argument("--per-day", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--database-url", default=PG_DEFAULT)
    args = parser.parse_args(argv)
    if args.days < 2 or args.per_day < 1:
        parser.error("--days must be at least 2 and --per-day at least 1")
    console = Console()
    with tempfile.TemporaryDirectory() as folder:
        drop: Callable[[], None] = lambda: None  # noqa: E731
        if args.backend == "sqlite":
            url = f"sqlite:///{Path(folder) / 'report.db'}"
        else:
            url, drop = _pg(args.database_url)
        store = SqlStore(url, CENTRE)
        try:
            clock = ManualClock(_morning(FIRST_DAY))
            gate = Gate(policy=load_preset("miyun-2020"), centre=CENTRE, uow_factory=store.unit_of_work,
                        clock=clock, secret=SECRET)
            days = [FIRST_DAY + dt.timedelta(days=i) for i in range(args.days)]
            start = time.perf_counter()
            _screen_day(gate, clock, days[0], 0, args.per_day)
            _screen_day(gate, clock, days[1], 1, args.per_day)
            first_alone = _timed(_report(gate, days[0]))
            for index, day in enumerate(days[2:], start=2):
                _screen_day(gate, clock, day, index, args.per_day)
            built = time.perf_counter() - start
            first_later = _timed(_report(gate, days[0]))
            last = _timed(_report(gate, days[-1]))
        finally:
            store.dispose()
            drop()
    ratio = first_later / first_alone
    table = Table(title=f"the daily report on {args.backend}: {args.days} days x {args.per_day} screenings "
                        f"(history built in {built:.0f} s); median of 3")
    for column in ("report", "history stored", "seconds", "target"):
        table.add_column(column)
    table.add_row(f"first day ({days[0]}), a day later", "2 days", f"{first_alone:.2f}", f"<= {SECONDS_TARGET:.0f}")
    table.add_row(f"first day ({days[0]}), {args.days - 1} days later", f"{args.days} days", f"{first_later:.2f}",
                  f"<= {RATIO_TARGET}x a day later: {ratio:.2f}x")
    table.add_row(f"last day ({days[-1]})", f"{args.days} days", f"{last:.2f}", f"<= {SECONDS_TARGET:.0f}")
    console.print(table)
    missed = ratio > RATIO_TARGET or max(first_alone, first_later, last) > SECONDS_TARGET
    console.print("[red]target missed[/red]" if missed else "[green]targets met[/green]")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
