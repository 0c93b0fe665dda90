"""What a clerk's tablet and a doorkeeper's scanner feel through the web gate: every API call's latency.

Run from the project root::

    .venv/bin/python -m benchmarks.web [--backend postgresql|sqlite] [--desks 8] [--doors 4] [--pace 10]
                                       [--seconds 60] [--province 200] [--database-url URL]

Real ``tenderguard serve`` processes run on a prepared day: today's session, in a hall added to the ``miyun-2020``
preset large enough that nobody is turned away as it fills, and an account with an API token for each simulated desk
and door. Two servers on one PostgreSQL database, as a centre with two machines would run them, desks and doors
spread over them; one server on SQLite. The clients are ``httpx.AsyncClient`` coroutines in this process, each
with its own connection and account, and every POST carries an ``Idempotency-Key``.

**Desks and doors at 10x the human pace.** ``--desks`` desks, spread over the servers, screen people through the
API at ``--pace`` times a clerk's pace: a clerk screens about one person a minute, eight calls (the arrival, the
mask, two confirms, the reading, the answers, the declaration and the last confirm that admits), so at 10x a call
starts every 0.75 s. ``--doors`` doors verify the badge codes of the people admitted (``POST
/api/v1/badges/verify``) at the same pace. Each desk first screens one person and each door verifies one code,
untimed (a tablet has been in use before the peak). Target: **p99 <= 100 ms for every action**, no errors.

**A province on one database.** ``--province`` desks at a clerk's own pace (a call every 7.5 s each) on the same
servers for ``--seconds``. Target: **p99 <= 100 ms**, and every request answered with success.

The two cores of the machine are shared by the servers, the database and the clients: a call's time includes the
client's share. PostgreSQL runs in a new schema of ``--database-url`` (default the local ``test`` database), dropped
afterwards; SQLite in a temporary folder. The accounts' passwords are hashed cheaply: the API authenticates by
token, and nobody logs in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import httpx
from argon2 import PasswordHasher
from rich.console import Console
from rich.table import Table

from benchmarks.desk import PG_DEFAULT, _pct, _pg
from tenderguard.domain.badge_code import BadgeClaim, sign_claim
from tenderguard.domain.model import SHANGHAI, BidSession, Centre
from tenderguard.factories import arrival, batch_line, passing_action
from tenderguard.keys import init_keys, load_session_secret, load_signing_key
from tenderguard.services import accounts
from tenderguard.services.wiring import GateConfig, open_gate

CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
SESSION = "MY-2026-118"
#: A hall added to the preset, large enough that nobody is turned away as it fills (a real hall holds 30-40).
HALL, HALL_CAPACITY = "大厅", 100_000
PASSWORD = "correct-horse-42"  # noqa: S105 - the benchmark accounts' password; they authenticate by token
ACTIONS = ("arrive", "mask", "confirm", "measure", "answer", "declare", "admit", "verify")
TARGET_MS = 100.0
#: People each desk may screen: desk ``d``'s ``n``-th person is person ``FIRST_PERSON + d * PER_DESK + n``.
PER_DESK = 1_000
FIRST_PERSON = 1_000_000
TIMEOUT = 30.0


@attrs.frozen
class Sample:
    """One timed API call: the action, its wall time seen by the client, and why it failed (None: it did not)."""

    action: str
    seconds: float
    failed: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.failed is None


@attrs.frozen
class Answer:
    """A server's answer to one call: its wall time, the status (None: no answer) and the body (JSON or text)."""

    seconds: float
    status: int | None
    body: Any

    def describe(self) -> str:
        """The status and the body, shortened, to say why a call failed."""
        return f"{self.status}: {self.body}"[:300]


@attrs.frozen
class Account:
    """A simulated desk or door: its account's token and the server it talks to."""

    name: str
    token: str
    server: str


class Pace:
    """A call every ``gap`` seconds from ``first``; a late call starts at once and the next ones keep the beat."""

    def __init__(self, gap: float, first: float) -> None:
        self.gap, self.at = gap, first

    async def next(self) -> None:
        """Wait for the next call's time."""
        pause = self.at - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        self.at += self.gap


def _line(desk: int, n: int) -> dict[str, Any]:
    """Desk ``desk``'s ``n``-th arrival as the API takes it (a company of their own; ``at``: the server's now)."""
    if n >= PER_DESK:
        raise ValueError(f"a desk screens at most {PER_DESK} people here")
    line = batch_line(arrival(FIRST_PERSON + desk * PER_DESK + n, session=SESSION, at=dt.datetime.now(SHANGHAI)))
    line.pop("at")
    return line


class Client:
    """A desk's tablet or a door's scanner: one connection to its server, its token, its request keys."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.http = httpx.AsyncClient(base_url=account.server, timeout=TIMEOUT,
                                      headers={"Authorization": f"Bearer {account.token}"})
        self._keys = itertools.count()

    async def post(self, path: str, body: dict[str, Any]) -> Answer:
        """POST ``body`` with a new Idempotency-Key."""
        headers = {"Idempotency-Key": f"{self.account.name}-{next(self._keys)}"}
        start = time.perf_counter()
        try:
            response = await self.http.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            return Answer(time.perf_counter() - start, None, repr(exc))
        seconds = time.perf_counter() - start
        try:
            return Answer(seconds, response.status_code, response.json())
        except ValueError:
            return Answer(seconds, response.status_code, response.text)

    async def screen(self, desk: int, pace: Pace, until: float, samples: list[Sample], codes: list[str],
                     mint: Callable[[str], str], *, people: int | None = None) -> None:
        """Screen desk ``desk``'s people, a call at each beat of ``pace``, until ``until`` or ``people`` done."""
        for n in itertools.count():
            if people is not None and n >= people:
                return
            await pace.next()
            if time.perf_counter() >= until:
                return
            answer = await self.post("/api/v1/screenings", _line(desk, n))
            view = answer.body
            # Everyone here is to be admitted: a refusal at the arrival would skip the desk's work measured here.
            failed = None if answer.status == 201 and view["outcome"] is None else answer.describe()
            samples.append(Sample("arrive", answer.seconds, failed))
            while failed is None and view["outcome"] is None:
                await pace.next()
                if time.perf_counter() >= until:
                    return
                step = passing_action(view["expected"])
                answer = await self.post(f"/api/v1/screenings/{view['id']}/actions", step)
                if answer.status == 200:
                    view = answer.body
                    failed = None if view["outcome"] in {None, "admitted"} else answer.describe()
                else:
                    failed = answer.describe()
                action = "admit" if answer.status == 200 and view["outcome"] is not None else step["action"]
                samples.append(Sample(action, answer.seconds, failed))
            if failed is None:
                codes.append(mint(view["badge"]))

    async def verify(self, pace: Pace, until: float, samples: list[Sample], codes: list[str], rng: random.Random,
                     *, scans: int | None = None) -> None:
        """Verify admitted people's codes, a scan at each beat of ``pace``, until ``until`` or ``scans`` done."""
        done = 0
        while scans is None or done < scans:
            await pace.next()
            if time.perf_counter() >= until:
                return
            if not codes:
                continue
            answer = await self.post("/api/v1/badges/verify", {"code": rng.choice(codes)})
            valid = answer.status == 200 and answer.body.get("valid") is True
            samples.append(Sample("verify", answer.seconds, None if valid else answer.describe()))
            done += 1


async def _centre(desks: list[Account], doors: list[Account], gap: float, seconds: float,
                  mint: Callable[[str], str]) -> list[Sample]:
    """The desks and doors at ``gap`` seconds a call after an untimed warm-up; every timed call."""
    desk_clients = [Client(a) for a in desks]
    door_clients = [Client(a) for a in doors]
    codes: list[str] = []
    rng = random.Random(7)
    try:
        forever = float("inf")
        warm_up: list[Sample] = []
        await asyncio.gather(*(c.screen(i, Pace(0.0, 0.0), forever, warm_up, codes, mint, people=1)
                               for i, c in enumerate(desk_clients)))
        await asyncio.gather(*(c.verify(Pace(0.0, 0.0), forever, warm_up, codes, rng, scans=1)
                               for c in door_clients))
        failed = [s.failed for s in warm_up if s.failed]
        if failed:
            raise RuntimeError(f"the warm-up failed: {failed[0]}")
        samples: list[Sample] = []
        began = time.perf_counter()
        until = began + seconds
        # The clerks do not start in step: each desk's first call is offset by a share of the gap, the doors too.
        await asyncio.gather(
            *(c.screen(i, Pace(gap, began + gap * i / len(desks)), until, samples, codes, mint, people=None)
              for i, c in enumerate(desk_clients)),
            *(c.verify(Pace(gap, began + gap * (i + 0.5) / len(doors)), until, samples, codes, rng)
              for i, c in enumerate(door_clients)))
        return samples
    finally:
        for c in (*desk_clients, *door_clients):
            await c.http.aclose()


async def _province(desks: list[Account], first: int, gap: float, seconds: float,
                    mint: Callable[[str], str]) -> list[Sample]:
    """The province's desks (numbered from ``first``) at ``gap`` seconds a call for ``seconds``; every call."""
    clients = [Client(a) for a in desks]
    samples: list[Sample] = []
    codes: list[str] = []
    try:
        began = time.perf_counter()
        await asyncio.gather(*(c.screen(first + i, Pace(gap, began + gap * i / len(clients)),
                                        began + seconds, samples, codes, mint) for i, c in enumerate(clients)))
        return samples
    finally:
        for c in clients:
            await c.http.aclose()


@contextlib.contextmanager
def _cheap_passwords() -> Iterator[None]:
    """Hash the benchmark accounts' passwords cheaply (the documented way for many accounts; none logs in)."""
    kept = accounts.password_hasher
    accounts.password_hasher = lambda: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        accounts.password_hasher = kept


def _policy(folder: Path) -> Path:
    """The miyun-2020 preset with :data:`HALL` added to its halls, as a policy file."""
    preset = (resources.files("tenderguard") / "presets" / "miyun-2020.toml").read_text(encoding="utf-8")
    text = preset.replace("[halls]\n", f'[halls]\n"{HALL}" = {HALL_CAPACITY}\n', 1)
    if text == preset:
        raise RuntimeError("the miyun-2020 preset has no [halls] table to add the benchmark's hall to")
    path = folder / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _prepare(config: GateConfig, roles: dict[str, str]) -> dict[str, str]:
    """Create the store, today's session and an account per name (role by name); the API token of each."""
    init_keys(config.keys)
    load_session_secret(config.keys)  # made once here, not raced for by the servers starting together
    day = dt.datetime.now(SHANGHAI).date()
    tokens: dict[str, str] = {}
    with _cheap_passwords(), open_gate(config, create=True) as opened:
        gate = opened.gate
        gate.register_session(BidSession(code=SESSION, project_name="密云水库环湖路改造工程", hall=HALL,
                                         opens_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)))
        for name, role in roles.items():
            gate.add_operator(name, role, PASSWORD)
            tokens[name] = gate.issue_token(name, label="benchmark")
    return tokens


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(server: subprocess.Popen[bytes], url: str, token: str, log: Path) -> None:
    """Wait until the server answers an API call; its log in the error when it stops or never answers."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server on {url} stopped:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/v1/sessions", headers={"Authorization": f"Bearer {token}"},
                         timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server on {url} did not answer within 60 s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def _serving(config: GateConfig, count: int, folder: Path, token: str) -> Iterator[list[str]]:
    """``count`` ``tenderguard serve`` processes on ``config``'s database; their URLs. Ended when the block ends."""
    servers: list[tuple[subprocess.Popen[bytes], str, Path]] = []
    try:
        for i in range(count):
            port, log = _free_port(), folder / f"server-{i}.log"
            with log.open("wb") as out:
                # A session of its own: Ctrl-C reaches this process, which ends the servers in order.
                server = subprocess.Popen(
                    [sys.executable, "-m", "tenderguard.cli", "serve", "--port", str(port), "--db", config.db,
                     "--keys", str(config.keys), "--policy", config.policy, "--centre-code", CENTRE.code,
                     "--centre-name", CENTRE.name],
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            servers.append((server, f"http://127.0.0.1:{port}", log))
        for server, url, log in servers:
            _wait_ready(server, url, token, log)
        yield [url for _s, url, _l in servers]
    finally:
        for server, _url, _log in servers:
            server.terminate()
        for server, _url, _log in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _ms(values: list[float], q: float) -> str:
    return f"{_pct(values, q) * 1000:.1f}"


def _measure(args: argparse.Namespace, servers: int) -> tuple[list[Sample], list[Sample]]:
    """Prepare the day, start the servers, run the centre's desks and doors, then the province's desks."""
    names = ({f"desk-{i:02d}": "desk" for i in range(args.desks)} | {f"door-{i:02d}": "door" for i in range(args.doors)}
             | {f"province-{i:03d}": "desk" for i in range(args.province)})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.backend == "sqlite":
            db, drop = f"sqlite:///{folder / 'gate.db'}", None
        else:
            db, drop = _pg(args.database_url)
        try:
            config = GateConfig(db=db, centre=CENTRE, policy=str(_policy(folder)), keys=folder / "keys")
            tokens = _prepare(config, names)
            signing_key = load_signing_key(config.keys)
            today = dt.datetime.now(SHANGHAI).date()

            def mint(serial: str) -> str:
                return sign_claim(BadgeClaim(centre=CENTRE.code, serial=serial, day=today), signing_key)

            with _serving(config, servers, folder, next(iter(tokens.values()))) as urls:
                def spread(prefix: str) -> list[Account]:
                    return [Account(name, tokens[name], urls[i % len(urls)])
                            for i, name in enumerate(n for n in names if n.startswith(prefix))]

                centre = asyncio.run(_centre(spread("desk-"), spread("door-"), 60.0 / 8 / args.pace, args.seconds,
                                             mint))
                province = (asyncio.run(_province(spread("province-"), args.desks, 60.0 / 8, args.seconds, mint))
                            if args.province else [])
        finally:
            if drop is not None:
                drop()
    return centre, province


def _verdict(times: list[float], errors: int) -> tuple[bool, str]:
    ok = _pct(times, 0.99) * 1000 <= TARGET_MS and errors == 0
    return ok, "met" if ok else "MISSED"


def _centre_table(samples: list[Sample], title: str) -> tuple[Table, bool]:
    """Per action: calls, p50, p99, worst, errors and the target; whether every target was met."""
    table = Table(title=title)
    for column in ("action", "n", "p50 ms", "p99 ms", "max ms", "errors", "target"):
        table.add_column(column)
    met = True
    for kind in (*ACTIONS, "all"):
        got = samples if kind == "all" else [s for s in samples if s.action == kind]
        if not got:
            met = False
            table.add_row(kind, "0", "", "", "", "", "MISSED (no calls)")
            continue
        times, errors = [s.seconds for s in got], sum(not s.ok for s in got)
        ok, verdict = _verdict(times, errors)
        met &= ok
        table.add_row(kind, str(len(got)), f"{statistics.median(times) * 1000:.1f}", _ms(times, 0.99),
                      f"{max(times) * 1000:.1f}", str(errors), verdict)
    return table, met


def _province_table(samples: list[Sample], seconds: float, title: str) -> tuple[Table, bool]:
    """Every call together: calls, rate, p50, p99, worst, the slowest action, errors, the target; whether met."""
    table = Table(title=title)
    for column in ("calls", "per s", "p50 ms", "p99 ms", "max ms", "slowest p99", "errors", "target"):
        table.add_column(column)
    if not samples:
        table.add_row("0", "", "", "", "", "", "", "MISSED (no calls)")
        return table, False
    times, errors = [s.seconds for s in samples], sum(not s.ok for s in samples)
    by_action = {k: [s.seconds for s in samples if s.action == k] for k in {s.action for s in samples}}
    slowest = max(by_action, key=lambda k: _pct(by_action[k], 0.99))
    ok, verdict = _verdict(times, errors)
    table.add_row(str(len(times)), f"{len(times) / seconds:.1f}", f"{statistics.median(times) * 1000:.1f}",
                  _ms(times, 0.99), f"{max(times) * 1000:.1f}", f"{_ms(by_action[slowest], 0.99)} {slowest}",
                  str(errors), verdict)
    return table, ok


def main(argv: list[str] | None = None) -> int:
    """Run the cases and print the tables; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--desks", type=int, default=8)
    parser.add_argument("--doors", type=int, default=4)
    parser.add_argument("--pace", type=float, default=10.0, help="times a clerk's pace (1 person/min)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--province", type=int, default=200, help="desks at a clerk's pace (0: skip)")
    parser.add_argument("--database-url", default=PG_DEFAULT)
    args = parser.parse_args(argv)
    if args.desks < 1 or args.doors < 1 or args.province < 0 or args.pace <= 0 or args.seconds <= 0:
        parser.error("--desks and --doors must be at least 1, --pace and --seconds above 0")
    servers = 2 if args.backend == "postgresql" else 1
    centre, province = _measure(args, servers)
    where = f"{args.backend}, {servers} server{'s' if servers > 1 else ''}"
    console = Console()
    table, met = _centre_table(centre, f"the web gate's API: {args.desks} desks and {args.doors} doors at "
                               f"{args.pace:g}x a clerk's pace (a call every {60 / 8 / args.pace:.2f} s each), "
                               f"{args.seconds:g} s, {where}; target p99 <= {TARGET_MS:g} ms per action, no errors")
    console.print(table)
    if args.province:
        wide, province_met = _province_table(province, args.seconds, f"a province on one database: "
                                             f"{args.province} desks at a clerk's pace (a call every 7.5 s each), "
                                             f"{args.seconds:g} s, {where}; target p99 <= {TARGET_MS:g} ms, no errors")
        console.print(wide)
        met &= province_met
    for label, samples in (("desks and doors", centre), ("province", province)):
        failed = [s for s in samples if s.failed]
        if failed:
            console.print(f"{label}: {len(failed)} calls failed, the first:", markup=False)
        for s in failed[:3]:
            console.print(f"  {s.action}: {s.failed}", markup=False)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
