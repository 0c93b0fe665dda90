"""Load benchmark of the SQL store: a busy day at many desks, and what the office's jobs cost as the data grows.

Run from the project root::

    .venv/bin/python -m benchmarks.load [--desks-pg 8] [--desks-sqlite 4] [--per-desk 500] [--growth 1000,10000,100000]
                                        [--growth-backends sqlite] [--parts day,growth] [--json]

**Part 1 — a busy day.** On a fresh database per backend (a SQLite file, or a new PostgreSQL schema dropped
afterwards), ``--desks-*`` desk processes (``spawn``, each with its own :class:`SqlStore`, gate, desk and manual
clock) start together at a barrier and screen ``--per-desk`` arrivals each, every desk call committed. The
arrivals are a realistic ``miyun-2020`` mix, dealt round-robin to the desks so that related people turn up at
different desks at about the same time:

* 8 % fever, then a passing re-measure after the rest; 3 % fever three times (refused ``fever``);
* 2 % answer "yes" to the symptoms question (refused ``symptoms``); 5 % fill the declaration in at the desk;
* 10 % come for a company another arrival (usually at another desk) also comes for: one of them is admitted,
  the other refused ``company_quota`` at arrival or at admission (a race the database's unique index settles);
* 2 % come as the tenderer (招标人) of one of three tenderer organisations (quota 2 each: ``role_quota``);
* the rest are plain bidders, each of their own company.

Resting people are re-measured in 40 rounds: each desk's clock moves on by the rest time + 1 minute per round.
Every desk call is timed by its kind: arrive, mask, confirm (the two plain confirms), measure (first readings and
re-measures), answer, declare, admit (the last confirm, which admits or refuses). Screenings/s is the arrivals
over the wall time from the common start to the last desk's end. Afterwards the database is queried: no
(day, organisation) with two active bidder admissions, no organisation over its role's quota, every
``company_quota`` / ``role_quota`` refusal backed by the admissions that filled the quota, no screening left open,
one active admission per admitted screening.

**Part 2 — cost growth.** For each ``--growth`` size N, a fresh database holding N screenings spread over
N / ``--day-size`` days (the newest is the report day, the others evenly over the four years before it):

* the report day's ``--day-size`` screenings are screened through the Gate (one desk, same mix as part 1);
* every other day is a copy of it, bulk-inserted with SQLAlchemy Core: screenings, screening_events, admissions,
  badges, the day's session and badge sequence, and the audit-log entries — new ids, dates and times moved to
  the day, serials renamed; the audit entries are inserted **unsealed** (seq / hashes NULL), as desks write them.

Then, in this order, each timed: ``Gate.seal_audit()`` (chains every unsealed entry), ``Gate.verify_audit()``
(reads and checks the whole chain), ``Gate.daily_report(report day)`` (must reconcile with no problem),
``Gate.purge(dry_run=True)`` and the real ``Gate.purge()`` with today = the day after the report day (health data
of days over 28 days old scrubbed, days over 1,095 days old deleted; the two must count the same).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import platform
import random
import sqlite3
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any, Literal

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, create_engine, func, insert, select
from sqlalchemy import Table as SqlTable

import tenderguard
from benchmarks.screening import (
    FEVER_C,
    HALL,
    NORMAL_C,
    OPENS_AT,
    PRESET,
    SECRET,
    SESSION_CODE,
    START,
    all_no,
    credit_code,
    resident_id,
    rest_minutes,
)
from benchmarks.storage import (
    CENTRE,
    OPERATORS,
    PG_SERVER,
    bench_policy,
    fresh_database,
    pg_unreachable,
    pg_version,
    report_desk,
    run_desks,
)
from tenderguard import Arrival, BidSession, Desk, Gate, ManualClock, Policy, Role, ScreeningView
from tenderguard.domain.model import SHANGHAI
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import (
    admissions,
    audit_log,
    badges,
    day_sequences,
    screening_events,
    screenings,
    sessions,
)

Kind = Literal["plain", "fever_pass", "fever_refuse", "symptoms", "fill_in", "quota", "tenderer"]
MIX: tuple[tuple[Kind, float], ...] = (
    ("fever_pass", 0.08), ("fever_refuse", 0.03), ("symptoms", 0.02), ("fill_in", 0.05), ("quota", 0.10),
    ("tenderer", 0.02),
)
STEP_KINDS = ("arrive", "mask", "confirm", "measure", "answer", "declare", "admit")
TENDERERS = 3
#: Rounds of re-measuring the resting people (each moves a desk's clock on by the rest time + 1 minute).
REST_ROUNDS = 40
WARM_UP = 5
#: The report day of part 2 is the benchmark's session day; older days spread over this many days before it.
SPREAD_DAYS = 4 * 365
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静磊洋勇军杰涛明超秀英华平刚桂兰"


# ------------------------------------------------------------------------------------------------ the mix


@dataclass(frozen=True)
class Planned:
    """One arrival of the day: how it is meant to go and the validated desk input."""

    kind: Kind
    arrival: Arrival


def _arrival(index: int, company: int, role: Role = Role.BIDDER) -> Arrival:
    name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index // len(SURNAMES)) % len(GIVEN)]
    label = "招标单位" if role is Role.TENDERER else "建设工程有限公司"
    return Arrival(session=SESSION_CODE, role=role, name=name, document=resident_id(index), at=START,
                   company=f"北京密云第{company}号{label}", credit_code=credit_code(company))


def build_plan(count: int, seed: int, first_person: int = 0) -> list[Planned]:
    """The shuffled mix of ``count`` arrivals; a ``quota`` arrival names the company of an earlier plain one."""
    kinds: list[Kind] = []
    for kind, share in MIX:
        kinds += [kind] * round(count * share)
    kinds += ["plain"] * (count - len(kinds))
    rng = random.Random(seed)
    rng.shuffle(kinds)
    if "plain" in kinds:
        first_plain = kinds.index("plain")
        kinds[0], kinds[first_plain] = kinds[first_plain], kinds[0]
    plain: list[int] = []
    plan: list[Planned] = []
    tenderer_base = 9_000_000
    for offset, kind in enumerate(kinds):
        index = first_person + offset
        if kind == "tenderer":
            plan.append(Planned(kind, _arrival(index, tenderer_base + rng.randrange(TENDERERS), Role.TENDERER)))
            continue
        # a recent plain arrival's company: with round-robin dealing it is usually at another desk right now
        company = rng.choice(plain[-16:]) if kind == "quota" and plain else index
        if kind == "plain":
            plain.append(index)
        plan.append(Planned(kind, _arrival(index, company)))
    return plan


# ------------------------------------------------------------------------------------------------ a desk


@dataclass
class Screener:
    """Screens planned arrivals at one desk as far as they go now, timing every desk call by its kind."""

    desk: Desk
    clock: ManualClock
    policy: Policy
    timed: bool = True
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in STEP_KINDS})
    resting: list[tuple[str, Kind]] = field(default_factory=list)

    def call(self, kind: str, fn: Callable[..., ScreeningView], *args: Any) -> ScreeningView:
        """One desk call, timed as ``kind``."""
        if not self.timed:
            return fn(*args)
        t0 = time.perf_counter()
        view = fn(*args)
        self.latencies[kind].append(time.perf_counter() - t0)
        return view

    def _finish(self, sid: str, kind: Kind) -> None:
        answers = all_no(self.policy)
        if kind == "symptoms":
            answers["symptoms"] = True
        if self.call("answer", self.desk.answer, sid, answers).closed:
            return
        if kind == "fill_in":
            self.call("declare", self.desk.declare, sid, "missing")
        self.call("declare", self.desk.declare, sid, "complete")
        self.call("admit", self.desk.confirm, sid)

    def screen(self, planned: Planned) -> None:
        """Arrival to outcome, or to the rest after a fever reading."""
        d = self.desk
        view = self.call("arrive", d.arrive, planned.arrival)
        if view.closed:
            return
        sid = view.id
        self.call("mask", d.mask, sid, "ok")
        self.call("confirm", d.confirm, sid)
        self.call("confirm", d.confirm, sid)
        if planned.kind in ("fever_pass", "fever_refuse"):
            self.call("measure", d.measure, sid, FEVER_C)
            self.resting.append((sid, planned.kind))
            return
        if self.call("measure", d.measure, sid, NORMAL_C).closed:
            return
        self._finish(sid, planned.kind)

    def remeasure(self) -> None:
        """Move the clock past the rest and re-measure everyone resting."""
        if not self.resting:
            return
        self.clock.advance(minutes=rest_minutes(self.policy) + 1)
        still: list[tuple[str, Kind]] = []
        for sid, kind in self.resting:
            if kind == "fever_pass":
                self.call("measure", self.desk.measure, sid, NORMAL_C)
                self._finish(sid, kind)
            elif not self.call("measure", self.desk.measure, sid, FEVER_C + 0.2).closed:
                still.append((sid, kind))
        self.resting = still

    def run(self, plan: Sequence[Planned]) -> None:
        """The whole plan, re-measuring in ``REST_ROUNDS`` rounds and until nobody rests."""
        batch = max(1, len(plan) // REST_ROUNDS)
        for index, planned in enumerate(plan, start=1):
            self.screen(planned)
            if index % batch == 0:
                self.remeasure()
        while self.resting:
            self.remeasure()


def new_gate(store: SqlStore, policy: Policy) -> tuple[Gate, ManualClock]:
    """A gate on the store with its own manual clock at the day's start."""
    clock = ManualClock(START)
    return Gate(policy=policy, centre=store.centre, uow_factory=store.unit_of_work, clock=clock,
                secret=SECRET), clock


def register_day(store: SqlStore, policy: Policy) -> None:
    """The benchmark's session."""
    gate, _clock = new_gate(store, policy)
    gate.register_session(BidSession(code=SESSION_CODE, project_name="密云区某道路工程施工招标", opens_at=OPENS_AT,
                                     hall=HALL))


@dataclass(frozen=True)
class DeskJob:
    """What one desk process is given."""

    url: str
    desk_no: int
    plan: list[Planned]
    warm_up: list[Planned]
    day_size: int


def _desk_timed(job: DeskJob, start: Barrier) -> dict[str, Any]:
    store = SqlStore(job.url, CENTRE)
    try:
        policy = bench_policy(job.day_size)
        gate, clock = new_gate(store, policy)
        desk = gate.desk(f"D{job.desk_no}", OPERATORS[job.desk_no % len(OPERATORS)])
        Screener(desk, clock, policy, timed=False).run(job.warm_up)
        screener = Screener(desk, clock, policy)
        start.wait(timeout=300)
        began = time.perf_counter()
        screener.run(job.plan)
        return {"began": began, "ended": time.perf_counter(), "latencies": screener.latencies}
    finally:
        store.dispose()


def desk_process(job: DeskJob, start: Barrier, results: Queue[tuple[int, str | None, dict[str, Any] | None]]) -> None:
    """Entry point of a desk process: its timings, or the traceback of what it raised, go on the queue."""
    report_desk(job.desk_no, lambda: _desk_timed(job, start), start, results)


# ------------------------------------------------------------------------------------------------ part 1


def check_day(url: str, policy: Policy) -> dict[str, Any]:
    """The rules, recounted from the tables after the day."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            active = (admissions.c.status == "active")
            per_org = conn.execute(
                select(admissions.c.day, admissions.c.organisation, admissions.c.role, func.count())
                .where(active, admissions.c.organisation.is_not(None))
                .group_by(admissions.c.day, admissions.c.organisation, admissions.c.role)).all()
            full = {(day, org, role) for day, org, role, n in per_org if n >= (policy.quota(Role(role)) or 10**9)}
            doubled = sum(1 for _d, _o, role, n in per_org if role == "bidder" and n > 1)
            over = sum(1 for _d, _o, role, n in per_org if n > (policy.quota(Role(role)) or 10**9))
            refusals = conn.execute(select(screenings.c.day, screenings.c.credit_code, screenings.c.role)
                                    .where(screenings.c.reason.in_(["company_quota", "role_quota"]))).all()
            unbacked = sum(1 for day, org, role in refusals if (day, org, role) not in full)
            ended = Counter({f"{o or 'open'}{':' + r if r and o != 'admitted' else ''}": int(n) for o, r, n in
                             conn.execute(select(screenings.c.outcome, screenings.c.reason, func.count())
                                          .group_by(screenings.c.outcome, screenings.c.reason))})
            n_active = conn.execute(select(func.count()).select_from(admissions).where(active)).scalar_one()
    finally:
        engine.dispose()
    return {"doubled_bidders": doubled, "over_quota": over, "unbacked_quota_refusals": unbacked,
            "open": ended.get("open", 0), "active_admissions": int(n_active), "outcomes": dict(sorted(ended.items()))}


def busy_day(backend: str, desks: int, per_desk: int, server: str, seed: int) -> dict[str, Any]:
    """One busy day on a fresh database: ``desks`` processes × ``per_desk`` arrivals."""
    total = desks * per_desk
    plan = build_plan(total, seed)
    day_size = total + desks * WARM_UP
    policy = bench_policy(day_size)
    with fresh_database(backend, server) as url:
        store = SqlStore(url, CENTRE)
        try:
            register_day(store, policy)
        finally:
            store.dispose()
        ctx = multiprocessing.get_context("spawn")
        start = ctx.Barrier(desks)
        results: Queue[tuple[int, str | None, dict[str, Any] | None]] = ctx.Queue()
        jobs = [DeskJob(url=url, desk_no=d, plan=plan[d::desks], day_size=day_size,
                        warm_up=[Planned("plain", _arrival(5_000_000 + d * WARM_UP + i, 5_000_000 + d * WARM_UP + i))
                                 for i in range(WARM_UP)]) for d in range(desks)]
        reports = run_desks(ctx, desk_process, jobs, start, results, timeout=max(120.0, total * 0.5))
        found = check_day(url, policy)
    wall = max(r["ended"] for r in reports) - min(r["began"] for r in reports)
    steps: dict[str, dict[str, float]] = {}
    for kind in STEP_KINDS:
        values = sorted(x for r in reports for x in r["latencies"][kind])
        if len(values) >= 2:
            steps[kind] = {"calls": len(values), "p50_ms": statistics.median(values) * 1e3,
                           "p99_ms": statistics.quantiles(values, n=100)[98] * 1e3, "max_ms": values[-1] * 1e3}
    calls = sum(int(s["calls"]) for s in steps.values())
    violations = found["doubled_bidders"] + found["over_quota"] + found["unbacked_quota_refusals"] + found["open"]
    planned = Counter(p.kind for p in plan)
    return {"backend": backend, "desks": desks, "per_desk": per_desk, "arrivals": total, "seconds": wall,
            "screenings_per_s": total / wall, "calls_per_s": calls / wall, "steps": steps,
            "planned": dict(planned), "violations": violations, **found}


# ------------------------------------------------------------------------------------------------ part 2


def _shifted(value: Any, delta: dt.timedelta) -> Any:
    return value + delta if value is not None else None


def _renamed(value: Any, old: tuple[str, str], new: tuple[str, str]) -> Any:
    """JSON-like ``value`` with the template day's ISO and compact dates replaced (only when it has them)."""
    text = json.dumps(value, ensure_ascii=False)
    if old[0] not in text and old[1] not in text:
        return value
    return json.loads(text.replace(old[0], new[0]).replace(old[1], new[1]))


def _str(value: str | None, old: tuple[str, str], new: tuple[str, str]) -> str | None:
    return None if value is None else value.replace(old[0], new[0]).replace(old[1], new[1])


@dataclass
class Template:
    """The report day's rows, read back after screening it through the Gate."""

    screenings: list[dict[str, Any]]
    events: list[dict[str, Any]]
    admissions: list[dict[str, Any]]
    badges: list[dict[str, Any]]
    audit: list[dict[str, Any]]
    sequence: int
    session: dict[str, Any]


def read_template(conn: Connection) -> Template:
    """Everything the report day wrote (the database holds nothing else yet)."""

    def rows(table: SqlTable) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(select(table)).mappings()]

    return Template(screenings=rows(screenings), events=rows(screening_events), admissions=rows(admissions),
                    badges=rows(badges), audit=rows(audit_log),
                    sequence=int(conn.execute(select(day_sequences.c.value)).scalar_one()),
                    session=rows(sessions)[0])


def copy_day(t: Template, day: dt.date, ordinal: int, pg: bool) -> dict[SqlTable, list[dict[str, Any]]]:
    """The template day's rows as the rows of ``day`` (new ids, shifted instants, renamed serials and session)."""
    base = START.date()
    delta = day - base
    old, new = (base.isoformat(), f"{base:%Y%m%d}"), (day.isoformat(), f"{day:%Y%m%d}")
    ids = {r["id"]: uuid.uuid4().hex for r in t.screenings}
    out: dict[SqlTable, list[dict[str, Any]]] = {sessions: [], screenings: [], screening_events: [], badges: [],
                                                 admissions: [], day_sequences: [], audit_log: []}
    session = dict(t.session, code=_str(t.session["code"], old, new), day=day, opens_at=t.session["opens_at"] + delta)
    out[sessions].append(session)
    for n, r in enumerate(t.screenings):
        row = dict(r, id=ids[r["id"]], day=day, session=session["code"], badge=_str(r["badge"], old, new),
                   opened_at=r["opened_at"] + delta, visitor_at=r["visitor_at"] + delta,
                   rest_until=_shifted(r["rest_until"], delta))
        if pg:
            del row["ordinal"]
        else:
            row["ordinal"] = ordinal + n
        out[screenings].append(row)
    out[screening_events] = [dict(r, screening_id=ids[r["screening_id"]], at=r["at"] + delta,
                                  detail=_renamed(r["detail"], old, new)) for r in t.events]
    out[badges] = [dict(r, serial=_str(r["serial"], old, new), day=day, session=session["code"],
                        issued_at=r["issued_at"] + delta) for r in t.badges]
    for n, r in enumerate(t.admissions):
        row = dict(r, id=uuid.uuid4().hex, screening_id=ids[r["screening_id"]], day=day, session=session["code"],
                   badge=_str(r["badge"], old, new), at=r["at"] + delta, exited_at=_shifted(r["exited_at"], delta))
        if pg:
            del row["ordinal"]
        else:
            row["ordinal"] = ordinal + n
        out[admissions].append(row)
    out[day_sequences] = [{"centre": CENTRE.code, "day": day, "value": t.sequence}]
    for r in t.audit:
        subject = r["subject"]
        out[audit_log].append({
            "at": r["at"] + delta, "kind": r["kind"], "desk": r["desk"], "operator": r["operator"],
            "subject": ids.get(subject) or _str(subject, old, new), "payload": _renamed(r["payload"], old, new),
            "seq": None, "prev_hash": None, "hash": None})
    return out


def fill_database(url: str, total: int, day_size: int, seed: int) -> dict[str, Any]:
    """Screen the report day through the Gate, then bulk-insert copies of it on older days up to ``total``."""
    policy = bench_policy(day_size)
    store = SqlStore(url, CENTRE)
    t0 = time.perf_counter()
    try:
        register_day(store, policy)
        gate, clock = new_gate(store, policy)
        Screener(gate.desk("A", OPERATORS[0]), clock, policy, timed=False).run(build_plan(day_size, seed))
    finally:
        store.dispose()
    through_gate = time.perf_counter() - t0
    engine = create_engine(url)
    pg = engine.dialect.name == "postgresql"
    copies = max(0, total // day_size - 1)
    t1 = time.perf_counter()
    inserted = 0
    try:
        with engine.connect() as conn:
            template = read_template(conn)
            ordinal = len(template.screenings) + 1
            for n in range(copies):
                day = START.date() - dt.timedelta(days=round((n + 1) * SPREAD_DAYS / copies))
                rows = copy_day(template, day, ordinal, pg)
                ordinal += max(len(template.screenings), len(template.admissions))
                for table, values in rows.items():
                    if values:
                        conn.execute(insert(table), values)
                        inserted += len(values)
                if n % 20 == 19:
                    conn.commit()
            conn.commit()
    finally:
        engine.dispose()
    return {"through_gate": day_size, "gate_seconds": through_gate, "copied_days": copies,
            "rows_inserted": inserted, "insert_seconds": time.perf_counter() - t1,
            "audit_per_screening": len(template.audit) / max(1, len(template.screenings))}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call took, and what it returned."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def growth_case(backend: str, total: int, day_size: int, server: str, seed: int) -> dict[str, Any]:
    """One size on a fresh database: fill it, then time seal, verify, report, purge (dry run) and purge."""
    with fresh_database(backend, server) as url:
        made = fill_database(url, total, day_size, seed)
        store = SqlStore(url, CENTRE)
        try:
            with store.engine.connect() as conn:
                n_screenings = conn.execute(select(func.count()).select_from(screenings)).scalar_one()
                n_audit = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
                unsealed = conn.execute(select(func.count()).select_from(audit_log)
                                        .where(audit_log.c.seq.is_(None))).scalar_one()
            gate, _clock = new_gate(store, bench_policy(day_size))
            gate.clock = ManualClock(dt.datetime.combine(START.date() + dt.timedelta(days=1), dt.time(7), SHANGHAI))
            seal_s, sealed = timed(gate.seal_audit)
            verify_s, chain = timed(gate.verify_audit)
            report_s, (report, problems) = timed(lambda: gate.daily_report(START.date()))
            today = START.date() + dt.timedelta(days=1)
            dry_s, dry = timed(lambda: gate.purge(today=today, dry_run=True))
            purge_s, done = timed(lambda: gate.purge(today=today))
        finally:
            store.dispose()
    return {
        "backend": backend, "size": total, "screenings": int(n_screenings), "audit_entries": int(n_audit),
        "unsealed_before": int(unsealed), **made,
        "seal_s": seal_s, "sealed": sealed, "verify_s": verify_s, "chain_ok": chain.ok, "chain_checked": chain.checked,
        "report_s": report_s, "report_arrivals": report.totals.arrivals, "report_problems": problems,
        "purge_dry_s": dry_s, "purge_s": purge_s, "purge_counts": _counts(done.counts),
        "purge_dry_matches": _counts(dry.counts) == _counts(done.counts),
    }


def _counts(counts: Any) -> dict[str, int]:
    return {name: int(getattr(counts, name)) for name in ("screenings_scrubbed", "health_steps_deleted",
                                                            "screenings_deleted", "steps_deleted",
                                                            "admissions_deleted", "badges_deleted")}


# ------------------------------------------------------------------------------------------------ output


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run the parts asked for."""
    server: str = args.pg_url
    backends_used = {"postgresql"} if args.desks_pg and "day" in args.parts else set()
    backends_used |= set(args.growth_backends) if "growth" in args.parts else set()
    unreachable = pg_unreachable(server) if "postgresql" in backends_used else None
    days: list[dict[str, Any]] = []
    growth: list[dict[str, Any]] = []
    if "day" in args.parts:
        for backend, desks in (("postgresql", args.desks_pg), ("sqlite", args.desks_sqlite)):
            if not desks:
                continue
            if backend == "postgresql" and unreachable is not None:
                days.append({"backend": backend, "desks": desks, "unreachable": unreachable})
                continue
            days.append(busy_day(backend, desks, args.per_desk, server, args.seed))
    if "growth" in args.parts:
        for backend in args.growth_backends:
            for size in args.growth:
                if backend == "postgresql" and unreachable is not None:
                    growth.append({"backend": backend, "size": size, "unreachable": unreachable})
                    continue
                growth.append(growth_case(backend, size, args.day_size, server, args.seed))
    return {
        "python": platform.python_version(), "tenderguard": tenderguard.__version__,
        "sqlalchemy": metadata.version("sqlalchemy"), "psycopg": metadata.version("psycopg"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version(server) if "postgresql" in backends_used and unreachable is None else None,
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "cpus": multiprocessing.cpu_count(), "preset": PRESET, "day": days, "growth": growth,
    }


def render(figures: dict[str, Any], console: Console) -> None:
    """The versions and one table per part."""
    pg = f"PostgreSQL {figures['postgresql']}" if figures["postgresql"] else "PostgreSQL not used"
    console.print(f"{figures['machine']} · {figures['cpus']} CPUs · Python {figures['python']} · tenderguard "
                  f"{figures['tenderguard']} · SQLAlchemy {figures['sqlalchemy']} · psycopg {figures['psycopg']} · "
                  f"SQLite {figures['sqlite']} · {pg} · preset {figures['preset']}")
    if figures["day"]:
        table = Table(title="Part 1 — a busy day: desks in separate processes, every desk call committed; "
                            "p50 / p99 per step kind in ms")
        for name in ("Backend", "Desks × arrivals", "Screenings/s", *STEP_KINDS, "Rule violations", "Outcomes"):
            table.add_column(name, justify="left" if name in ("Backend", "Outcomes") else "right")
        for case in figures["day"]:
            if "unreachable" in case:
                table.add_row(case["backend"], str(case["desks"]), "—", *["—"] * len(STEP_KINDS), "—",
                              f"[yellow]unreachable: {case['unreachable']}[/yellow]")
                continue
            steps = [f"{s['p50_ms']:.1f} / {s['p99_ms']:.0f}" if (s := case["steps"].get(k)) else "—"
                     for k in STEP_KINDS]
            v = case["violations"]
            table.add_row(
                case["backend"], f"{case['desks']} × {case['per_desk']:,}",
                f"{case['screenings_per_s']:,.0f} ({case['seconds']:.0f} s)", *steps,
                "[green]0[/green]" if v == 0 else f"[red]{v}[/red]",
                ", ".join(f"{k} {n:,}" for k, n in case["outcomes"].items())
                + f"; {case['active_admissions']:,} active admissions; {case['calls_per_s']:,.0f} calls/s")
        console.print(table)
    if figures["growth"]:
        table = Table(title="Part 2 — cost growth: seconds per call with N screenings in the database")
        for name in ("Backend", "N screenings", "Audit entries", "seal_audit", "verify_audit", "daily_report",
                     "purge dry run", "purge", "Checks", "How the rows were made"):
            table.add_column(name, justify="left" if name in ("Backend", "Checks", "How the rows were made")
                             else "right")
        for case in figures["growth"]:
            if "unreachable" in case:
                table.add_row(case["backend"], f"{case['size']:,}", *["—"] * 6,
                              f"[yellow]unreachable: {case['unreachable']}[/yellow]", "")
                continue
            c = case["purge_counts"]
            good = case["chain_ok"] and not case["report_problems"] and case["purge_dry_matches"]
            checks = (f"chain {'ok' if case['chain_ok'] else 'BROKEN'} ({case['chain_checked']:,}); report "
                      f"{case['report_arrivals']:,} arrivals, {len(case['report_problems'])} problems; purge "
                      f"scrubbed {c['screenings_scrubbed']:,} / deleted {c['screenings_deleted']:,} screenings"
                      f"{'' if case['purge_dry_matches'] else ' (dry run differs!)'}")
            table.add_row(
                case["backend"], f"{case['screenings']:,}", f"{case['audit_entries']:,}",
                f"{case['seal_s']:.2f} ({case['sealed']:,})", f"{case['verify_s']:.2f}", f"{case['report_s']:.2f}",
                f"{case['purge_dry_s']:.2f}", f"{case['purge_s']:.2f}",
                checks if good else f"[red]{checks}[/red]",
                f"{case['through_gate']:,} through the Gate ({case['gate_seconds']:.0f} s) + {case['copied_days']:,} "
                f"copied days, {case['rows_inserted']:,} rows bulk-inserted ({case['insert_seconds']:.0f} s)")
        console.print(table)


def _csv_ints(value: str) -> list[int]:
    items = [int(v) for v in value.split(",") if v.strip()]
    if any(i < 1 for i in items):
        raise argparse.ArgumentTypeError(f"{value!r}: give positive whole numbers, comma-separated")
    return items


def _csv_names(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        items = [v.strip() for v in value.split(",") if v.strip()]
        if any(i not in allowed for i in items):
            raise argparse.ArgumentTypeError(f"{value!r}: choose from {', '.join(allowed)}")
        return items

    return parse


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options, run the parts and print the tables (or one JSON object)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load",
                                     description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--desks-pg", type=int, default=8, help="desk processes on PostgreSQL (0: skip; default 8)")
    parser.add_argument("--desks-sqlite", type=int, default=4, help="desk processes on SQLite (0: skip; default 4)")
    parser.add_argument("--per-desk", type=int, default=500,
                        help="arrivals per desk (default 500, to keep the default run near 4 minutes)")
    parser.add_argument("--growth", type=_csv_ints, default=[1_000, 10_000, 100_000],
                        help="database sizes in screenings, comma-separated (default 1000,10000,100000)")
    parser.add_argument("--growth-backends", type=_csv_names(("sqlite", "postgresql")), default=["sqlite"],
                        help="backends of part 2 (default sqlite)")
    parser.add_argument("--day-size", type=int, default=250, help="screenings per day in part 2 (default 250)")
    parser.add_argument("--parts", type=_csv_names(("day", "growth")), default=["day", "growth"],
                        help="day, growth or both (default both)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--pg-url", default=PG_SERVER, help=f"PostgreSQL server (default {PG_SERVER}); each case "
                        "works in a new schema that is dropped afterwards")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    args = parser.parse_args(argv)
    if args.per_desk < 50 or args.day_size < 50 or args.desks_pg < 0 or args.desks_sqlite < 0:
        parser.error("--per-desk and --day-size must be at least 50; desks at least 0")
    figures = measure(args)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=str))
    else:
        console = Console()
        render(figures, console if console.is_terminal else Console(width=200))
    return 0


if __name__ == "__main__":
    sys.exit(main())
