"""Throughput and memory benchmark of the screening gate (in-memory store, ``miyun-2020`` policy).

Run from the project root::

    .venv/bin/python -m benchmarks.screening [--count N] [--open N] [--runs R] [--json] [--profile]

Cases (single process, one thread; rates are the median of ``--runs`` runs, each on a fresh store):

0. arrival construction: ``Arrival(...)`` from desk strings (ID check digit, credit code, names) per second;
1. complete screenings per second: arrive, mask ok, two confirms, 36.5 °C, all-no answers, declaration
   complete, confirm -> admitted; a distinct company and person each, so every one is admitted;
2. a variant mix: 10 % fever then a passing re-measure, 5 % fever refused after the re-measures, 5 % missing
   declaration filled in at the desk, 5 % second person of an admitted company (refused ``company_quota``);
3. memory per open screening (arrived and checked in, not finished) with ``tracemalloc``, and the process peak
   RSS;
4. the machine alone: µs per trigger fired through the shared ``transitions`` machine.

The preset's halls hold 40 and 30 people, so in cases 1 and 2 every admitted person leaves through the exit
(``Desk.record_exit``) right after being admitted; the exits are timed separately and are not part of the
screening rate. Arrival objects are built before any screening is timed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import json
import platform
import pstats
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal, TextIO, TypeVar

from rich.console import Console
from rich.table import Table

import tenderguard
from benchmarks.machine import interpreter, python_speed
from tenderguard import (
    Arrival,
    BidSession,
    Centre,
    Desk,
    Gate,
    InMemoryStore,
    ManualClock,
    Policy,
    Role,
    ScreeningMachine,
    ScreeningView,
    load_preset,
)
from tenderguard.domain.model import SHANGHAI, Visitor
from tenderguard.domain.screening import Actor, Screening
from tenderguard.identity import credit_code_check_char, resident_id_check_digit
from tenderguard.policy import TemperatureStep

PRESET = "miyun-2020"
TARGET_PER_SECOND = 5_000.0
SESSION_CODE = "MY-20200302-01"
HALL = "第一开标室"
OPENS_AT = dt.datetime(2020, 3, 2, 9, 30, tzinfo=SHANGHAI)
START = dt.datetime(2020, 3, 2, 7, 30, tzinfo=SHANGHAI)
SECRET = b"tenderguard-benchmark-secret-32b"
NORMAL_C = 36.5
FEVER_C = 38.1
#: How many times the clock moves on for the resting people of case 2 (plus up to two final rounds).
REST_ROUNDS = 40
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静磊洋勇军杰涛明超秀英华平刚桂兰"

R = TypeVar("R")
Kind = Literal["plain", "fever_pass", "fever_refuse", "fill_in", "quota"]
MIX: tuple[tuple[Kind, float], ...] = (
    ("fever_pass", 0.10),
    ("fever_refuse", 0.05),
    ("fill_in", 0.05),
    ("quota", 0.05),
)


# ------------------------------------------------------------------------------------------------ test data


@dataclass(frozen=True)
class Person:
    """Raw desk input for one arrival, as an operator would type it (validated later by ``Arrival``)."""

    name: str
    document: str
    company: str
    credit_code: str


def resident_id(index: int) -> str:
    """A valid, distinct 18-digit resident ID for ``index`` (Beijing region code, varying birth date)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=index // 1000)
    body = f"110105{birth:%Y%m%d}{index % 1000:03d}"
    return body + resident_id_check_digit(body)


def credit_code(index: int) -> str:
    """A valid, distinct unified social credit code for ``index`` (enterprise, Beijing region code)."""
    first17 = f"91110105{index:09d}"
    return first17 + credit_code_check_char(first17)


def person(index: int, company: int) -> Person:
    """The raw input of person ``index`` coming for company ``company``."""
    name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
    return Person(name=name, document=resident_id(index), company=f"北京密云第{company}号建设工程有限公司",
                  credit_code=credit_code(company))


def arrival(raw: Person) -> Arrival:
    """Build (and so validate and normalise) the arrival of a person at the desk."""
    return Arrival(session=SESSION_CODE, role=Role.BIDDER, name=raw.name, document=raw.document, at=START,
                   company=raw.company, credit_code=raw.credit_code)


def build_plan(count: int, seed: int) -> list[tuple[Kind, Person]]:
    """The shuffled variant mix of case 2; every second person names a company admitted before them."""
    kinds: list[Kind] = []
    for kind, share in MIX:
        kinds += [kind] * round(count * share)
    kinds += ["plain"] * (count - len(kinds))
    rng = random.Random(seed)
    rng.shuffle(kinds)
    first_plain = kinds.index("plain")
    kinds[0], kinds[first_plain] = kinds[first_plain], kinds[0]
    admitted: list[int] = []
    plan: list[tuple[Kind, Person]] = []
    for index, kind in enumerate(kinds):
        company = rng.choice(admitted) if kind == "quota" else index
        if kind == "plain":
            admitted.append(index)
        plan.append((kind, person(index, company)))
    return plan


# ------------------------------------------------------------------------------------------------ the gate


def new_gate(policy: Policy) -> tuple[Gate, Desk, ManualClock]:
    """A fresh in-memory gate with the day's session registered, one desk open, and a manual clock."""
    centre = Centre(code="MY", name="北京市密云区公共资源交易中心")
    store = InMemoryStore(centre)
    clock = ManualClock(START)
    gate = Gate(policy=policy, centre=centre, uow_factory=store.unit_of_work, clock=clock,
                secret=SECRET)
    gate.register_session(BidSession(code=SESSION_CODE, project_name="密云区某道路工程施工招标",
                                     opens_at=OPENS_AT, hall=HALL))
    return gate, gate.desk("A", "王芳"), clock


def all_no(policy: Policy) -> dict[str, bool]:
    """'No' to every health question of the policy."""
    return {q.id: False for q in policy.questions}


def rest_minutes(policy: Policy) -> int:
    """The rest time after a fever reading, from the policy's temperature step."""
    for step in policy.steps:
        if isinstance(step, TemperatureStep):
            return int(step.rest_minutes)
    raise RuntimeError(f"policy {policy.name} has no temperature step")


def expect(view: ScreeningView, outcome: str, reason: str | None = None) -> None:
    """Stop the benchmark when a screening did not end as planned (the figures would be meaningless)."""
    if view.outcome != outcome or (reason is not None and view.reason != reason):
        raise RuntimeError(f"screening {view.id} ended {view.outcome}/{view.reason} in state {view.state}, "
                           f"expected {outcome}/{reason}")


def screen_plain(desk: Desk, arriving: Arrival, answers: dict[str, bool]) -> ScreeningView:
    """One complete screening through the desk: eight desk calls from arrival to admission."""
    sid = desk.arrive(arriving).id
    desk.mask(sid, "ok")
    desk.confirm(sid)
    desk.confirm(sid)
    desk.measure(sid, NORMAL_C)
    desk.answer(sid, answers)
    desk.declare(sid, "complete")
    return desk.confirm(sid)


# ------------------------------------------------------------------------------------------------ case 0


def time_arrivals(people: Sequence[Person]) -> float:
    """Seconds to build (validate) one ``Arrival`` per person."""
    gc.collect()
    start = time.perf_counter()
    for raw in people:
        arrival(raw)
    return time.perf_counter() - start


# ------------------------------------------------------------------------------------------------ case 1


@dataclass
class PlainRun:
    """One run of case 1."""

    durations: list[float]
    exits: float

    @property
    def rate(self) -> float:
        """Screenings per second over the whole run."""
        return len(self.durations) / sum(self.durations)

    def decile_rates(self) -> tuple[float, float]:
        """Screenings per second over the first and the last tenth of the run (a growing day's cost)."""
        k = max(1, len(self.durations) // 10)
        return k / sum(self.durations[:k]), k / sum(self.durations[-k:])


def run_plain(policy: Policy, arrivals: Sequence[Arrival]) -> PlainRun:
    """Screen every arrival to admission on a fresh store; each admitted person then leaves (timed apart)."""
    _gate, desk, _clock = new_gate(policy)
    answers = all_no(policy)
    durations: list[float] = []
    exits = 0.0
    clock = time.perf_counter
    gc.collect()
    for arriving in arrivals:
        start = clock()
        view = screen_plain(desk, arriving, answers)
        admitted = clock()
        durations.append(admitted - start)
        expect(view, "admitted")
        desk.record_exit(view.badge or "")
        exits += clock() - admitted
    return PlainRun(durations, exits)


# ------------------------------------------------------------------------------------------------ case 2


@dataclass
class MixRun:
    """One run of case 2."""

    count: int
    elapsed: float
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        """Screenings (to their outcome) per second."""
        return self.count / self.elapsed


def _step_mix(desk: Desk, kind: Kind, arriving: Arrival, answers: dict[str, bool],
              resting: list[tuple[str, Kind]]) -> list[ScreeningView]:
    """Screen one arrival of the mix as far as it goes now; return it if it closed."""
    view = desk.arrive(arriving)
    if kind == "quota":
        return [view]
    sid = view.id
    desk.mask(sid, "ok")
    desk.confirm(sid)
    desk.confirm(sid)
    if kind in ("fever_pass", "fever_refuse"):
        desk.measure(sid, FEVER_C)
        resting.append((sid, kind))
        return []
    desk.measure(sid, NORMAL_C)
    desk.answer(sid, answers)
    if kind == "fill_in":
        desk.declare(sid, "missing")
    desk.declare(sid, "complete")
    return [desk.confirm(sid)]


def _remeasure(desk: Desk, clock: ManualClock, minutes: int, answers: dict[str, bool],
               resting: list[tuple[str, Kind]]) -> list[ScreeningView]:
    """Move the clock past the rest time and re-measure everyone resting; return those who closed."""
    if not resting:
        return []
    clock.advance(minutes=minutes + 1)
    closed: list[ScreeningView] = []
    still: list[tuple[str, Kind]] = []
    for sid, kind in resting:
        if kind == "fever_pass":
            desk.measure(sid, NORMAL_C)
            desk.answer(sid, answers)
            desk.declare(sid, "complete")
            closed.append(desk.confirm(sid))
            continue
        view = desk.measure(sid, FEVER_C + 0.2)
        if view.closed:
            closed.append(view)
        else:
            still.append((sid, kind))
    resting[:] = still
    return closed


def run_mix(policy: Policy, plan: Sequence[tuple[Kind, Arrival]]) -> MixRun:
    """Screen the variant mix on a fresh store; resting people are re-measured in ``REST_ROUNDS`` rounds."""
    _gate, desk, clock = new_gate(policy)
    answers = all_no(policy)
    minutes = rest_minutes(policy)
    batch = max(1, len(plan) // REST_ROUNDS)
    resting: list[tuple[str, Kind]] = []
    result = MixRun(count=len(plan), elapsed=0.0)
    perf = time.perf_counter
    gc.collect()
    for index, (kind, arriving) in enumerate(plan, start=1):
        start = perf()
        closed = _step_mix(desk, kind, arriving, answers, resting)
        if index % batch == 0 or index == len(plan):
            closed += _remeasure(desk, clock, minutes, answers, resting)
        if index == len(plan):
            while resting:
                closed += _remeasure(desk, clock, minutes, answers, resting)
        result.elapsed += perf() - start
        for view in closed:
            result.outcomes[f"{view.outcome}:{view.reason}" if view.reason else str(view.outcome)] += 1
            if view.badge is not None and view.outcome == "admitted":
                desk.record_exit(view.badge)
    planned = Counter(kind for kind, _ in plan)
    wanted = {
        "admitted": planned["plain"] + planned["fever_pass"] + planned["fill_in"],
        "refused:fever": planned["fever_refuse"],
        "refused:company_quota": planned["quota"],
    }
    if dict(result.outcomes) != {k: v for k, v in wanted.items() if v}:
        raise RuntimeError(f"variant mix ended {dict(result.outcomes)}, expected {wanted}")
    return result


# ------------------------------------------------------------------------------------------------ case 3


def memory_open(policy: Policy, arrivals: Sequence[Arrival]) -> dict[str, float]:
    """Bytes traced per open screening (arrived and checked in, not finished), through the desk on a fresh store."""
    _gate, desk, _clock = new_gate(policy)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    views = [desk.arrive(a) for a in arrivals]
    still_open = sum(1 for v in views if not v.closed)
    del views
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    if still_open != len(arrivals):
        raise RuntimeError(f"{still_open} screenings open, expected {len(arrivals)}")
    return {"open": float(len(arrivals)), "bytes_per_open": (after - before) / len(arrivals)}


def peak_rss_mib() -> float:
    """The process's peak resident set size in MiB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# ------------------------------------------------------------------------------------------------ case 4


def bare_screenings(arrivals: Sequence[Arrival]) -> list[Screening]:
    """Screenings in state ``arrived``, outside any store."""
    actor = Actor(desk="A", operator="王芳")
    return [Screening(id=f"{i:032x}", visitor=Visitor.of(a), person_key="0" * 64, hall=HALL, reentry=False,
                      opened_at=START, actor=actor) for i, a in enumerate(arrivals)]


def time_fire(policy: Policy, arrivals: Sequence[Arrival]) -> dict[str, float]:
    """µs per trigger fired through the shared ``transitions`` machine, and bytes a fired screening keeps."""
    machine = ScreeningMachine(policy)
    screenings = bare_screenings(arrivals)
    for s in screenings:
        machine.attach(s, "arrived")
    attributes = len(vars(screenings[0]))
    clock = time.perf_counter
    gc.collect()
    t0 = clock()
    for s in screenings:
        machine.fire(s, "check_in")
    t1 = clock()
    for s in screenings:
        machine.fire(s, "abandon")
    t2 = clock()
    n = len(screenings)
    return {"check_in_us": (t1 - t0) / n * 1e6, "abandon_us": (t2 - t1) / n * 1e6,
            "attributes_added": float(len(vars(screenings[0])) - attributes)}


# ------------------------------------------------------------------------------------------------ running


def median_run(runs: int, once: Callable[[], R], key: Callable[[R], float]) -> tuple[R, list[float]]:
    """Run ``once`` several times; return the run with the median ``key`` and every run's key."""
    results = [once() for _ in range(runs)]
    keys = [key(r) for r in results]
    middle = statistics.median_low(keys)
    return results[keys.index(middle)], keys


def measure(count: int, open_count: int, runs: int, seed: int) -> dict[str, Any]:
    """Run every case and return the figures."""
    policy = load_preset(PRESET)
    people = [person(i, i) for i in range(count)]
    arrival_rates = [count / time_arrivals(people) for _ in range(runs)]
    arrivals = [arrival(p) for p in people]

    plain, plain_rates = median_run(runs, lambda: run_plain(policy, arrivals), lambda r: r.rate)
    first, last = plain.decile_rates()

    plan = [(kind, arrival(p)) for kind, p in build_plan(count, seed)]
    mix, mix_rates = median_run(runs, lambda: run_mix(policy, plan), lambda r: r.rate)

    firing, _ = median_run(runs, lambda: time_fire(policy, arrivals), lambda r: r["check_in_us"])

    opened = memory_open(policy, [arrival(person(i, i)) for i in range(open_count)])
    rate = plain.rate
    return {
        "python": platform.python_version(),
        "interpreter": interpreter(),
        "python_speed": python_speed(),
        "tenderguard": tenderguard.__version__,
        "transitions": metadata.version("transitions"),
        "preset": PRESET,
        "count": count,
        "runs": runs,
        "arrivals_per_s": statistics.median(arrival_rates),
        "arrivals_per_s_runs": arrival_rates,
        "screenings_per_s": rate,
        "screenings_per_s_runs": plain_rates,
        "us_per_screening": 1e6 / rate,
        "first_tenth_per_s": first,
        "last_tenth_per_s": last,
        "exit_us": plain.exits / count * 1e6,
        "target_per_s": TARGET_PER_SECOND,
        "target_met": rate >= TARGET_PER_SECOND,
        "mix_per_s": mix.rate,
        "mix_per_s_runs": mix_rates,
        "mix_outcomes": dict(mix.outcomes),
        "open_screenings": open_count,
        "bytes_per_open_screening": opened["bytes_per_open"],
        "peak_rss_mib": peak_rss_mib(),
        "machine": firing,
    }


def render(figures: dict[str, Any], console: Console) -> None:
    """Print the versions and the table."""
    console.print(f"Python {figures['python']} · tenderguard {figures['tenderguard']} · "
                  f"transitions {figures['transitions']} · preset {figures['preset']}"
                  f" · reference loop {figures['python_speed']:.0f} M steps/s")
    console.print(f"interpreter {figures['interpreter']}")
    n, runs = figures["count"], figures["runs"]
    table = Table(title=f"TenderGuard screening benchmark (N={n:,}, median of {runs}, single process)")
    table.add_column("Case")
    table.add_column("Measure")
    table.add_column("Result", justify="right")
    table.add_column("Notes")

    def each(values: list[float]) -> str:
        return " / ".join(f"{v:,.0f}" for v in values)

    m = figures["machine"]
    verdict = "[green]PASS[/green]" if figures["target_met"] else "[red]FAIL[/red]"
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(figures["mix_outcomes"].items()))
    table.add_row("0", "arrivals validated", f"{figures['arrivals_per_s']:,.0f}/s",
                  f"Arrival(...) from desk strings; runs {each(figures['arrivals_per_s_runs'])}")
    table.add_row("1", "complete screenings → admitted", f"{figures['screenings_per_s']:,.0f}/s",
                  f"{figures['us_per_screening']:,.0f} µs each (8 desk calls); runs "
                  f"{each(figures['screenings_per_s_runs'])}; first tenth {figures['first_tenth_per_s']:,.0f}/s, "
                  f"last tenth {figures['last_tenth_per_s']:,.0f}/s")
    table.add_row("", f"target ≥ {figures['target_per_s']:,.0f}/s on one core", verdict, "")
    table.add_row("", "record_exit after admission", f"{figures['exit_us']:,.0f} µs",
                  "not in the rate above (halls hold 40 / 30)")
    table.add_row("2", "variant mix", f"{figures['mix_per_s']:,.0f}/s",
                  f"runs {each(figures['mix_per_s_runs'])}; {outcomes}")
    table.add_row("3", "memory per open screening", f"{figures['bytes_per_open_screening']:,.0f} B",
                  f"{figures['open_screenings']:,} checked in, not finished (tracemalloc)")
    table.add_row("", "process peak RSS", f"{figures['peak_rss_mib']:,.1f} MiB", "getrusage, whole run")
    table.add_row("4", "one trigger of the shared machine", f"{m['check_in_us']:,.1f} µs",
                  f"check_in; abandon {m['abandon_us']:,.1f} µs; {m['attributes_added']:.0f} attributes added to "
                  "the screening (no per-screening binding)")
    console.print(table)


def profile_plain(count: int, top: int, out: TextIO) -> None:
    """Profile one run of case 1 with cProfile and print the top functions by cumulative time."""
    policy = load_preset(PRESET)
    arrivals = [arrival(person(i, i)) for i in range(count)]
    profiler = cProfile.Profile()
    profiler.runcall(run_plain, policy, arrivals)
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(top)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run the cases and print the table (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screening", description=__doc__.split("\n")[0]
                                     if __doc__ else None)
    parser.add_argument("--count", type=int, default=5_000, help="screenings per run (default 5000, ≥ 20)")
    parser.add_argument("--open", type=int, default=2_000, dest="open_count",
                        help="open screenings for the memory case (default 2000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per timed case; the median is shown")
    parser.add_argument("--seed", type=int, default=2020, help="seed of the variant mix's order")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--profile", type=int, nargs="?", const=10, default=0, metavar="TOP",
                        help="also profile one run of case 1 and print the TOP (10) functions by cumulative time")
    args = parser.parse_args(argv)
    if args.count < 20 or args.open_count < 1 or args.runs < 1:
        parser.error("--count must be at least 20, --open and --runs at least 1")
    figures = measure(args.count, args.open_count, args.runs, args.seed)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        render(figures, Console())
    if args.profile:
        profile_plain(args.count, args.profile, sys.stderr if args.json else sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
