"""A badge print killed at any moment leaves nothing running and no badge on disk.

The sheet carries signed QR codes that verify: a half-written or abandoned copy must not stay behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line


def _day(tmp_path: Path, people: int) -> None:
    """A day with ``people`` admitted bidders (badge-only), screened through the CLI."""
    at = dt.datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
    lines = []
    for n in range(people):
        person = arrival(n, session="MY-2026-118", at=at, name=f"张{n}")
        lines.append(json.dumps(batch_line(person, hall="第一开标室"), ensure_ascii=False))
    (tmp_path / "queue.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "init"]).exit_code == 0
    done = runner.invoke(cli, ["screen", "--register-sessions",
                               "--policy", "badge-only", "--batch", "queue.jsonl", "--out", "r.jsonl"])
    assert done.exit_code == 0, done.output


def _descendants(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=["TERM", "HUP", "KILL"])
def test_a_killed_badge_print_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              sig: signal.Signals) -> None:
    """Killed mid-print: no process left, no sheet, no scratch file, nothing in the temporary folder."""
    monkeypatch.chdir(tmp_path)
    _day(tmp_path, 300)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    proc = subprocess.Popen([sys.executable, "-m", "tenderguard.cli", "badge", "print", "--date", "2026-11-23",
                             "--out", "sheet.pdf"], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(2.0)  # importing, reading the day, rendering the first documents
    assert proc.poll() is None, "the print ended before it could be killed: render more badges"
    children = _descendants(proc.pid)
    proc.send_signal(sig)
    proc.wait(timeout=30)
    time.sleep(0.2)
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
    assert not (tmp_path / "sheet.pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    left = list(scratch.rglob("*"))
    if sig is signal.SIGKILL:
        # Nothing can clean up after SIGKILL: only WeasyPrint's folder of font subsets may stay — never a page.
        assert all((p.is_dir() and p.name.startswith("weasyprint-")) or p.suffix in (".otf", ".ttf", "")
                   for p in left), left
        assert not [p for p in left if p.is_file() and b"%PDF" in p.read_bytes()[:1024]]
    else:
        assert left == []
