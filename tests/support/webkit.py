"""A day for the web gate's tests: a SQLite database with today's sessions, an account per role, API tokens."""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import attrs
from playwright.sync_api import Browser, sync_playwright

from tenderguard.domain.model import SHANGHAI, BidSession, Centre
from tenderguard.keys import init_keys
from tenderguard.services.wiring import GateConfig, open_gate

CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
PASSWORD = "correct-horse-42"  # noqa: S105 - the test accounts' password
#: The accounts of the day: name → role.
ACCOUNTS = {"王芳": "desk", "赵敏": "desk", "李强": "supervisor", "刘洋": "door", "陈静": "office", "管理员": "admin"}
SESSIONS = (("MY-2026-118", "密云水库环湖路改造工程", 9, "第一开标室"), ("MY-2026-121", "密云区中医院扩建工程", 14,
                                                                   "第二开标室"))


@attrs.frozen
class WebDay:
    """Where the day's database and keys are, its configuration, and the API token of each account."""

    folder: Path
    config: GateConfig
    tokens: dict[str, str]
    day: dt.date

    @property
    def db(self) -> Path:
        """The SQLite database file."""
        return self.folder / "gate.db"


def make_day(folder: Path, *, day: dt.date | None = None, policy: str = "miyun-2020") -> WebDay:
    """Create the database, keys, today's two sessions and the accounts (each with a token)."""
    day = day or dt.datetime.now(SHANGHAI).date()
    keys = folder / "keys"
    init_keys(keys)
    config = GateConfig(db=str(folder / "gate.db"), centre=CENTRE, policy=policy, keys=keys)
    tokens: dict[str, str] = {}
    with open_gate(config, create=True) as opened:
        gate = opened.gate
        for code, project, hour, hall in SESSIONS:
            gate.register_session(BidSession(code=code, project_name=project, hall=hall,
                                             opens_at=dt.datetime.combine(day, dt.time(hour, 30), tzinfo=SHANGHAI)))
        for name, role in ACCOUNTS.items():
            gate.add_operator(name, role, PASSWORD)
            tokens[name] = gate.issue_token(name, label="tests")
    return WebDay(folder=folder, config=config, tokens=tokens, day=day)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(day: WebDay, policy: str) -> Iterator[str]:
    """``tenderguard serve`` on the day's database in a subprocess; yields its base URL, stops it afterwards."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "tenderguard.cli", "serve", "--port", str(port), "--db",
                             str(day.db), "--keys", str(day.config.keys), "--policy", policy,
                             "--centre-code", day.config.centre.code, "--centre-name", day.config.centre.name],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/login", timeout=1) as answer:  # noqa: S310 - the local server
                if answer.status == 200:
                    break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                out = proc.stdout.read() if proc.stdout else ""
                raise AssertionError(f"tenderguard serve did not start: {out}") from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (installed by scripts/run.sh; Playwright downloads no browser)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "Chromium is not installed: run bash scripts/run.sh setup"
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield found
        finally:
            found.close()
