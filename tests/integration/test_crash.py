"""Crash safety on SQLite and PostgreSQL: a batch killed with SIGKILL at random points, restarted, loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlkit import CENTRE

from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line
from tenderguard.records.audit import verify_trail
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import admissions, badges, screening_events, screenings

#: When the first person of the queue arrives; one more a minute after that.
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def _queue(path: Path, count: int, seed: int) -> None:
    """Arrivals from overlapping companies with fevers, re-measures and missing forms."""
    rng = random.Random(seed)
    lines = []
    for i in range(count):
        company = rng.randrange(count // 3)
        person = arrival(i, company, session="S1", at=START + dt.timedelta(minutes=i), name="王芳",
                         company_name=f"北京测试工程有限公司{company}")
        lines.append(batch_line(
            person, hall="第一开标室",
            temperatures=rng.choice([[36.5], [36.5], [37.8, 36.6], [38.2, 38.3, 38.4]]),
            declaration=rng.choice(["complete", "complete", "missing"]),
        ))
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")


def _command(batch: Path, url: str) -> list[str]:
    return [sys.executable, "-m", "tenderguard.cli", "screen", "--register-sessions",
            "--batch", str(batch), "--db", url,
            "--keys", str(batch.parent / "keys")]


def _kill_after(batch: Path, url: str, results: int) -> None:
    proc = subprocess.Popen(_command(batch, url), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for seen, _line in enumerate(proc.stdout, start=1):
        if seen >= results:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


@pytest.mark.slow
def test_killed_again_and_again_then_resumed_nothing_is_lost_or_doubled(db_url: str, tmp_path: Path) -> None:
    """Five SIGKILLs mid-run, then a full run: every line screened once, no open or half-issued screening."""
    batch = tmp_path / "queue.jsonl"
    count = 90
    _queue(batch, count, seed=11)
    rng = random.Random(5)
    for stop in sorted(rng.sample(range(5, count - 5), 5)):
        _kill_after(batch, db_url, stop)
    done = subprocess.run(_command(batch, db_url), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == count

    later = screening_events.alias("later")
    store = SqlStore(db_url, CENTRE)
    try:
        store.seal_audit()
        with store.engine.connect() as conn:
            n_screenings = conn.execute(select(func.count()).select_from(screenings)).scalar_one()
            still_open = conn.execute(select(func.count()).select_from(screenings)
                                      .where(screenings.c.outcome.is_(None))).scalar_one()
            admitted = conn.execute(select(screenings.c.badge).where(screenings.c.outcome == "admitted")).all()
            n_badges = conn.execute(select(func.count()).select_from(badges)).scalar_one()
            n_admissions = conn.execute(select(func.count()).select_from(admissions)).scalar_one()
            doubled = conn.execute(select(admissions.c.organisation).where(admissions.c.status == "active")
                                   .group_by(admissions.c.day, admissions.c.organisation)
                                   .having(func.count() > 1)).all()
            last_states = conn.execute(
                select(screenings.c.state, screening_events.c.state_to)
                .join(screening_events, screening_events.c.screening_id == screenings.c.id)
                .where(screening_events.c.seq == select(func.max(later.c.seq))
                       .where(later.c.screening_id == screenings.c.id).scalar_subquery())).all()
        with store.unit_of_work() as uow:
            report = verify_trail(uow.audit)
    finally:
        store.dispose()
    assert n_screenings == count  # one screening per line, whatever the kills
    assert still_open == 0
    assert n_badges == n_admissions == len(admitted)  # no badge without its admission, none missing
    assert all(badge is not None for (badge,) in admitted)
    assert doubled == []
    assert len(last_states) == count
    assert all(state == last for state, last in last_states)
    assert report.ok, report
    assert sorted(r["outcome"] for r in results).count("admitted") == len(admitted)


@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run in a folder of our own: no configuration file or variables from outside."""
    monkeypatch.chdir(tmp_path)
    for name in ("TENDERGUARD_DB", "TENDERGUARD_KEYS", "TENDERGUARD_CONFIG"):
        monkeypatch.delenv(name, raising=False)
