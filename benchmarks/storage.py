"""Throughput of the SQL store: complete miyun-2020 screenings per second with every desk call committed.

Run from the project root::

    .venv/bin/python -m benchmarks.storage [--count N] [--desks 1,4] [--backends sqlite,postgresql] [--json]

One case per backend and number of desks, each on a fresh database (a SQLite file in a temporary directory, or a
new PostgreSQL schema that is dropped afterwards):

* every desk is its own process (``spawn``) with its own :class:`SqlStore`, gate and desk, as on separate desk PCs;
  the desks start together (a barrier) and share the ``--count`` screenings equally;
* a screening is the eight desk calls of ``benchmarks.screening.screen_plain`` (arrive, mask ok, two confirms,
  36.5 °C, all-no answers, declaration complete, confirm -> admitted); each call is one committed transaction
  (the screening row, its step records and the audit trail entries);
* every screening is a different person of a different company, so every one is admitted;
* screenings/s is the count over the wall time from the common start to the last desk's end; p50 and p99 are over
  every timed desk call of every desk; each desk first screens a few people untimed (warm-up);
* afterwards the admissions table is queried for quota violations (two active bidder admissions of one company on
  one day; must be 0), and every screening must have ended admitted.

The policy is ``miyun-2020`` with the session hall's capacity raised above the day's count, so nobody has to
leave in the middle of the run (exits are separate desk operations, as in ``benchmarks.screening``); the hall
count — and on PostgreSQL its lock — still runs on every arrival and admission.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

import tenderguard
from benchmarks.machine import interpreter, python_speed
from benchmarks.screening import (
    HALL,
    NORMAL_C,
    OPENS_AT,
    PRESET,
    SECRET,
    SESSION_CODE,
    START,
    all_no,
    arrival,
    expect,
    person,
)
from tenderguard import BidSession, Centre, Gate, ManualClock, Policy, load_preset
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import admissions, screenings

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
#: Targets in screenings per second, by backend and number of desks.
TARGETS: dict[tuple[str, int], float] = {("sqlite", 1): 400.0, ("postgresql", 4): 200.0}
#: Untimed screenings each desk runs before the common start.
WARM_UP = 10
CENTRE = Centre(code="MY", name="北京市密云区公共资源交易中心")
OPERATORS = ("王芳", "李强", "张敏", "刘洋", "陈静", "杨磊", "赵军", "黄杰")
#: How long a case may take before it is given up (seconds per screening, at least a minute).
SECONDS_PER_SCREENING = 0.5


# ------------------------------------------------------------------------------------------------ a desk


def bench_policy(count: int) -> Policy:
    """``miyun-2020`` with the session hall big enough for the whole run (nobody has to leave meanwhile)."""
    policy = load_preset(PRESET)
    return attrs.evolve(policy, hall_capacity={**policy.hall_capacity, HALL: count + 1_000})


@dataclass(frozen=True)
class DeskJob:
    """What one desk process is given: the database, its number, which people it screens, the day's size."""

    url: str
    desk_no: int
    first_person: int
    count: int
    warm_up_person: int
    day_size: int


def _screen_timed(job: DeskJob, start: Barrier) -> dict[str, Any]:
    """Warm up, wait for the other desks, then screen ``job.count`` people timing every desk call."""
    store = SqlStore(job.url, CENTRE)
    try:
        policy = bench_policy(job.day_size)
        gate = Gate(policy=policy, centre=store.centre, uow_factory=store.unit_of_work, clock=ManualClock(START),
                    secret=SECRET)
        desk = gate.desk(f"D{job.desk_no}", OPERATORS[job.desk_no % len(OPERATORS)])
        answers = all_no(policy)
        for i in range(WARM_UP):
            sid = desk.arrive(arrival(person(job.warm_up_person + i, job.warm_up_person + i))).id
            desk.mask(sid, "ok")
            desk.confirm(sid)
            desk.confirm(sid)
            desk.measure(sid, NORMAL_C)
            desk.answer(sid, answers)
            desk.declare(sid, "complete")
            expect(desk.confirm(sid), "admitted")
        arrivals = [arrival(person(i, i)) for i in range(job.first_person, job.first_person + job.count)]
        latencies: list[float] = []
        clock = time.perf_counter
        start.wait(timeout=300)
        began = clock()
        for arriving in arrivals:
            t0 = clock()
            sid = desk.arrive(arriving).id
            t1 = clock()
            desk.mask(sid, "ok")
            t2 = clock()
            desk.confirm(sid)
            t3 = clock()
            desk.confirm(sid)
            t4 = clock()
            desk.measure(sid, NORMAL_C)
            t5 = clock()
            desk.answer(sid, answers)
            t6 = clock()
            desk.declare(sid, "complete")
            t7 = clock()
            view = desk.confirm(sid)
            t8 = clock()
            expect(view, "admitted")
            latencies += [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6, t8 - t7]
        return {"began": began, "ended": clock(), "latencies": latencies}
    finally:
        store.dispose()


def report_desk(desk_no: int, timed: Callable[[], dict[str, Any]], start: Barrier,
                results: Queue[tuple[int, str | None, dict[str, Any] | None]]) -> None:
    """Run a desk's timed work; put its timings, or the traceback of what it raised, on the queue."""
    try:
        report = timed()
    except BaseException:
        start.abort()  # release the other desks rather than leave them waiting for this one
        results.put((desk_no, traceback.format_exc(), None))
    else:
        results.put((desk_no, None, report))


def desk_process(job: DeskJob, start: Barrier, results: Queue[tuple[int, str | None, dict[str, Any] | None]]) -> None:
    """Entry point of a desk process (see :func:`report_desk`)."""
    report_desk(job.desk_no, lambda: _screen_timed(job, start), start, results)


# ------------------------------------------------------------------------------------------------ a case


def pg_unreachable(server: str) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    engine = create_engine(server, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        return str(orig or exc).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def pg_version(server: str) -> str:
    """The PostgreSQL server's version number."""
    engine = create_engine(server)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def fresh_database(backend: str, server: str) -> Iterator[str]:
    """A URL to an empty database: a SQLite file in a temporary directory, or a new PostgreSQL schema (dropped)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="tg-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'gate.db'}"
        return
    schema = f"tg_bench_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{server}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def check_database(url: str) -> dict[str, int]:
    """Quota violations (companies with two active bidder admissions on one day) and how screenings ended."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            doubled = conn.execute(
                select(admissions.c.day, admissions.c.organisation)
                .where(admissions.c.role == "bidder", admissions.c.status == "active")
                .group_by(admissions.c.day, admissions.c.organisation).having(func.count() > 1)).all()
            ended: dict[str, int] = {
                str(outcome): int(n) for outcome, n in conn.execute(
                    select(func.coalesce(screenings.c.outcome, "open"), func.count()).group_by(screenings.c.outcome))
            }
    finally:
        engine.dispose()
    return {"quota_violations": len(doubled), "admitted": ended.pop("admitted", 0),
            "not_admitted": sum(ended.values())}


def run_desks(ctx: Any, target: Callable[..., None], jobs: Sequence[Any], start: Barrier,
              results: Queue[tuple[int, str | None, dict[str, Any] | None]], *, timeout: float
              ) -> list[dict[str, Any]]:
    """Start one process per job, wait for every report (or ``timeout``), stop stragglers, raise on any error."""
    processes = [ctx.Process(target=target, args=(job, start, results), name=f"desk-{n}", daemon=True)
                 for n, job in enumerate(jobs)]
    for process in processes:
        process.start()
    reports: list[dict[str, Any]] = []
    errors: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        for _ in processes:
            _desk, error, report = results.get(timeout=max(1.0, deadline - time.monotonic()))
            if error is not None:
                errors.append(error)
            elif report is not None:
                reports.append(report)
    finally:
        for process in processes:
            process.join(timeout=max(1.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
    if errors:
        raise RuntimeError(f"{len(errors)} desk process(es) failed; the first:\n{errors[0]}")
    return reports


def run_case(backend: str, desks: int, count: int, server: str) -> dict[str, Any]:
    """One case on a fresh database: ``desks`` desk processes screening ``count`` people between them."""
    shares = [count // desks + (1 if d < count % desks else 0) for d in range(desks)]
    firsts = [sum(shares[:d]) for d in range(desks)]
    with fresh_database(backend, server) as url:
        store = SqlStore(url, CENTRE)
        try:
            Gate(policy=bench_policy(count), centre=store.centre, uow_factory=store.unit_of_work,
                 clock=ManualClock(START), secret=SECRET).register_session(
                BidSession(code=SESSION_CODE, project_name="密云区某道路工程施工招标", opens_at=OPENS_AT, hall=HALL))
        finally:
            store.dispose()
        ctx = multiprocessing.get_context("spawn")
        start = ctx.Barrier(desks)
        results: Queue[tuple[int, str | None, dict[str, Any] | None]] = ctx.Queue()
        jobs = [DeskJob(url=url, desk_no=d, first_person=firsts[d], count=shares[d],
                        warm_up_person=count + d * WARM_UP, day_size=count + desks * WARM_UP) for d in range(desks)]
        reports = run_desks(ctx, desk_process, jobs, start, results,
                            timeout=max(60.0, count * SECONDS_PER_SCREENING))
        found = check_database(url)
    wall = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
    latencies = sorted(x for r in reports for x in r["latencies"])
    cuts = statistics.quantiles(latencies, n=100)
    first, last = tenths(reports)
    target = TARGETS.get((backend, desks))
    rate = count / wall
    return {
        "backend": backend, "desks": desks, "count": count, "seconds": wall, "screenings_per_s": rate,
        "calls_per_s": len(latencies) / wall, "p50_ms": statistics.median(latencies) * 1e3, "p99_ms": cuts[98] * 1e3,
        "max_ms": latencies[-1] * 1e3, "first_tenth_ms": first, "last_tenth_ms": last,
        "desk_rates": [len(r["latencies"]) / 8 / (r["ended"] - r["began"]) for r in reports],
        "quota_violations": found["quota_violations"], "admitted": found["admitted"],
        "not_admitted": found["not_admitted"], "expected_admitted": count + desks * WARM_UP,
        "target_per_s": target, "target_met": None if target is None else rate >= target,
    }


def tenths(reports: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """Mean ms per screening (its eight calls) over each desk's first and last tenth (does a full day cost more)."""
    first: list[float] = []
    last: list[float] = []
    for report in reports:
        calls = report["latencies"]
        per = [sum(calls[i:i + 8]) for i in range(0, len(calls), 8)]
        k = max(1, len(per) // 10)
        first += per[:k]
        last += per[-k:]
    return statistics.fmean(first) * 1e3, statistics.fmean(last) * 1e3


def measure(count: int, desk_counts: Sequence[int], backends: Sequence[str], server: str) -> dict[str, Any]:
    """Run every case (PostgreSQL cases are reported as unreachable when the server does not answer)."""
    unreachable = pg_unreachable(server) if "postgresql" in backends else None
    cases: list[dict[str, Any]] = []
    for backend in backends:
        for desks in desk_counts:
            target = TARGETS.get((backend, desks))
            if backend == "postgresql" and unreachable is not None:
                cases.append({"backend": backend, "desks": desks, "count": count, "target_per_s": target,
                              "target_met": None, "unreachable": unreachable})
                continue
            cases.append(run_case(backend, desks, count, server))
    return {
        "python": platform.python_version(),
        "interpreter": interpreter(),
        "python_speed": python_speed(),
        "tenderguard": tenderguard.__version__,
        "sqlalchemy": metadata.version("sqlalchemy"),
        "psycopg": metadata.version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(server) if "postgresql" in backends and unreachable is None else None,
        "postgresql_server": server.rsplit("@", maxsplit=1)[-1],
        "cpus": multiprocessing.cpu_count(),
        "preset": PRESET,
        "count": count,
        "warm_up_per_desk": WARM_UP,
        "cases": cases,
    }


def render(figures: dict[str, Any], console: Console) -> None:
    """Print the versions and the table."""
    pg = f"PostgreSQL {figures['postgresql']}" if figures["postgresql"] else "PostgreSQL not used"
    console.print(f"Python {figures['python']} · tenderguard {figures['tenderguard']} · SQLAlchemy "
                  f"{figures['sqlalchemy']} · psycopg {figures['psycopg']} · SQLite {figures['sqlite']} · {pg} · "
                  f"{figures['cpus']} CPUs · preset {figures['preset']}"
                  f" · reference loop {figures['python_speed']:.0f} M steps/s")
    console.print(f"interpreter {figures['interpreter']}")
    table = Table(title=f"TenderGuard storage benchmark (N={figures['count']:,} screenings per case, "
                        "8 committed desk calls each, desks in separate processes)")
    table.add_column("Backend")
    for name in ("Desks", "Screenings/s", "Calls/s", "p50 / call", "p99 / call", "Quota violations"):
        table.add_column(name, justify="right")
    table.add_column("Target")
    table.add_column("Notes")
    for case in figures["cases"]:
        target = case["target_per_s"]
        wanted = "—" if target is None else f"≥ {target:,.0f}/s "
        if "unreachable" in case:
            verdict = "" if target is None else "[yellow]not run[/yellow]"
            table.add_row(case["backend"], str(case["desks"]), "—", "—", "—", "—", "—", f"{wanted}{verdict}",
                          f"[yellow]unreachable at {figures['postgresql_server']}: {case['unreachable']}[/yellow]")
            continue
        if target is not None:
            wanted += "[green]PASS[/green]" if case["target_met"] else "[red]FAIL[/red]"
        violations = case["quota_violations"]
        shown = "[green]0[/green]" if violations == 0 else f"[red]{violations}[/red]"
        ended = (f"{case['admitted']:,} admitted" if case["admitted"] == case["expected_admitted"]
                 and case["not_admitted"] == 0 else f"[red]{case['admitted']:,} admitted, {case['not_admitted']:,} "
                 f"not (expected {case['expected_admitted']:,})[/red]")
        desks = " / ".join(f"{r:,.0f}" for r in case["desk_rates"])
        table.add_row(case["backend"], str(case["desks"]), f"{case['screenings_per_s']:,.0f}",
                      f"{case['calls_per_s']:,.0f}", f"{case['p50_ms']:.2f} ms", f"{case['p99_ms']:.2f} ms", shown,
                      wanted, f"{case['seconds']:.1f} s; per desk {desks}/s; ms per screening: first tenth "
                      f"{case['first_tenth_ms']:.1f}, last tenth {case['last_tenth_ms']:.1f}; slowest call "
                      f"{case['max_ms']:,.0f} ms; {ended}")
    console.print(table)


def _csv(value: str, convert: type[int] | type[str], allowed: Sequence[Any] | None = None) -> list[Any]:
    items = [convert(v.strip()) for v in value.split(",") if v.strip()]
    if not items or (allowed is not None and any(i not in allowed for i in items)):
        raise argparse.ArgumentTypeError(f"{value!r}: give a comma-separated list"
                                         + (f" of {', '.join(map(str, allowed))}" if allowed else ""))
    return items


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run the cases and print the table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.storage",
                                     description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2_000, help="screenings per case (default 2000)")
    parser.add_argument("--desks", type=lambda v: _csv(v, int), default=[1, 4],
                        help="numbers of desks (processes) to run, comma-separated (default 1,4)")
    parser.add_argument("--backends", type=lambda v: _csv(v, str, BACKENDS), default=list(BACKENDS),
                        help="sqlite, postgresql or both, comma-separated (default both)")
    parser.add_argument("--pg-url", default=PG_SERVER, help=f"PostgreSQL server to use (default {PG_SERVER}); "
                        "each case works in a new schema that is dropped afterwards")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    if args.count < 1 or any(d < 1 for d in args.desks) or any(d > args.count for d in args.desks):
        parser.error("--count must be at least 1 and at least the number of desks; --desks at least 1")
    figures = measure(args.count, args.desks, args.backends, args.pg_url)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        console = Console()
        render(figures, console if console.is_terminal else Console(width=160))  # piped: do not wrap at 80
    return 0


if __name__ == "__main__":
    sys.exit(main())
