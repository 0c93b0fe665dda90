"""The CLI on a real database: schema commands, audit verification, batch runs killed and resumed."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenderguard import Agency, BidSession, Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"
#: When the first person of a queue arrives; one more a minute after that.
START = dt.datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)


def _queue(path: Path, count: int, seed: int = 7) -> list[dict[str, object]]:
    """A day's queue with overlapping companies, fevers that pass or are refused, and missing forms."""
    rng = random.Random(seed)
    lines: list[dict[str, object]] = []
    for i in range(count):
        c = rng.randrange(count // 2)
        temps = rng.choice([[36.4], [36.6], [37.6, 36.8], [38.0, 38.1, 38.3]])
        person = arrival(i, c, session="S1", at=START + dt.timedelta(minutes=i),
                         company_name=f"北京测试建设工程有限公司{c}")
        lines.append(batch_line(person, hall="第一开标室", temperatures=temps,
                                declaration=rng.choice(["complete", "complete", "missing"])))
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return lines


def _run(batch: Path, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenderguard.cli", "screen", "--register-sessions",
                           "--batch", str(batch), "--db",
                           str(db), *extra], capture_output=True, text=True, check=False, cwd=batch.parent)


def _kill_after(batch: Path, db: Path, results: int) -> int:
    """Start a batch run, SIGKILL it once it has printed ``results`` lines; return how many it printed."""
    proc = subprocess.Popen([sys.executable, "-m", "tenderguard.cli", "screen", "--register-sessions",
                             "--batch", str(batch), "--db",
                             str(db)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=batch.parent)
    assert proc.stdout is not None
    seen = 0
    for _line in proc.stdout:
        seen += 1
        if seen >= results:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    return seen


def _outcomes(stdout: str) -> dict[int, tuple[object, object, object]]:
    rows = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {r["line"]: (r["outcome"], r["reason"], r["badge"]) for r in rows}


@pytest.mark.slow
def test_a_batch_killed_three_times_and_resumed_ends_as_an_uninterrupted_one(tmp_path: Path) -> None:
    """SIGKILL mid-run, then re-run: same outcomes and badges as one clean run, nobody screened twice."""
    batch = tmp_path / "queue.jsonl"
    lines = _queue(batch, 120)
    clean = _run(batch, tmp_path / "clean.db")
    assert clean.returncode == 0, clean.stderr
    expected = _outcomes(clean.stdout)
    assert len(expected) == len(lines)

    crashed = tmp_path / "crashed.db"
    for stop in (10, 45, 90):
        assert _kill_after(batch, crashed, stop) == stop
    resumed = _run(batch, crashed)
    assert resumed.returncode == 0, resumed.stderr
    assert _outcomes(resumed.stdout) == expected
    with sqlite3.connect(crashed) as conn:
        screenings = conn.execute("SELECT count(*) FROM screenings").fetchone()[0]
        twice = conn.execute("SELECT day, organisation FROM admissions WHERE role = 'bidder' AND "
                             "status = 'active' GROUP BY day, organisation HAVING count(*) > 1").fetchall()
        open_left = conn.execute("SELECT count(*) FROM screenings WHERE outcome IS NULL").fetchone()[0]
    assert screenings == len(lines)
    assert twice == []
    assert open_left == 0
    verify = CliRunner().invoke(cli, ["audit", "verify", "--db", str(crashed)])
    assert verify.exit_code == 0, verify.output
    assert "哈希链已验证" in verify.stdout


def test_audit_verify_names_a_tampered_entry(tmp_path: Path) -> None:
    """After a direct UPDATE of one audit row, `audit verify` exits 4 naming that entry."""
    db = tmp_path / "day.db"
    run = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db)])
    assert run.exit_code == 3, run.output  # the sample's last line is invalid on purpose
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET operator = '李四' WHERE seq = 12")
    verify = CliRunner().invoke(cli, ["audit", "verify", "--db", f"sqlite:///{db}"])
    assert verify.exit_code == 4
    assert "entry 12" in verify.stderr
    assert "Traceback" not in verify.output


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    """`db upgrade` creates an empty database, says so, and is a no-op the second time; `status` reports it."""
    db = tmp_path / "new.db"
    first = CliRunner().invoke(cli, ["db", "upgrade", "--db", str(db)])
    assert first.exit_code == 0, first.output
    assert "已升级：版本无（空数据库） → " in first.stdout
    second = CliRunner().invoke(cli, ["db", "upgrade"], env={"TENDERGUARD_DB": f"sqlite:///{db}"})
    assert second.exit_code == 0
    assert "已是最新" in second.stdout
    status = CliRunner().invoke(cli, ["db", "status", "--db", str(db)])
    assert "schema current" in status.stdout


def test_a_newer_database_is_one_clear_error(tmp_path: Path) -> None:
    """Opening a database stamped by a newer TenderGuard fails with one line and exit 1."""
    db = tmp_path / "newer.db"
    assert CliRunner().invoke(cli, ["db", "upgrade", "--db", str(db)]).exit_code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'abcd'")
    result = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db)])
    assert result.exit_code == 1
    assert "newer version" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_server_is_one_clear_error(tmp_path: Path) -> None:
    """A PostgreSQL URL nobody answers on gives one 'database error' line, not a traceback."""
    result = CliRunner().invoke(cli, ["audit", "verify", "--db",
                                      "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"])
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：数据库错误：")
    assert "Traceback" not in result.output


def test_the_id_key_is_created_private_and_reused(tmp_path: Path) -> None:
    """The first run creates the ID-hash key with mode 0600 and says so; the next run reuses it silently."""
    first = CliRunner().invoke(cli, ["screen", "--register-sessions",
                                     "--batch", str(SAMPLE), "--keys", str(tmp_path / "k")])
    key = tmp_path / "k" / "id-hash.key"
    assert "已创建证件号哈希密钥" in first.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    second = CliRunner().invoke(cli, ["screen", "--register-sessions",
                                      "--batch", str(SAMPLE), "--keys", str(tmp_path / "k")])
    assert "created the ID-hash key" not in second.stderr
    assert _outcomes(second.stdout) == _outcomes(first.stdout)  # the same file again: resumed, not re-screened


def test_purge_dry_run_then_purge_and_export(tmp_path: Path) -> None:
    """`purge --dry-run` deletes nothing; `purge` 30 days later scrubs the day; `export` masks and is audited."""
    db = tmp_path / "day.db"
    CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db)])
    out = tmp_path / "day.xlsx"
    exported = CliRunner().invoke(cli, ["export", "--db", str(db), "--date", "2026-11-23", "--format", "xlsx",
                                        "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "条检查记录已写入" in exported.stdout
    refused = CliRunner().invoke(cli, ["export", "--db", str(db), "--date", "2026-11-23", "--out",
                                       str(tmp_path / "x.csv"), "--unmasked"])
    assert refused.exit_code == 2
    assert "--operator" in refused.output
    dry = CliRunner().invoke(cli, ["purge", "--db", str(db), "--today", "2026-12-23", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "将清除10条检查记录中的健康信息" in dry.stdout
    with sqlite3.connect(db) as conn:
        names = conn.execute("SELECT count(*) FROM screenings WHERE name NOT LIKE '%*%'").fetchone()[0]
    assert names == 10
    done = CliRunner().invoke(cli, ["purge", "--db", str(db), "--today", "2026-12-23", "--operator", "李工"])
    assert "已清除10条检查记录中的健康信息" in done.stdout
    with sqlite3.connect(db) as conn:
        names = conn.execute("SELECT count(*) FROM screenings WHERE name NOT LIKE '%*%'").fetchone()[0]
        kinds = [k for (k,) in conn.execute("SELECT kind FROM audit_log WHERE kind IN ('export', 'purge')")]
    assert names == 0
    assert kinds == ["export", "purge"]
    assert CliRunner().invoke(cli, ["audit", "verify", "--db", str(db)]).exit_code == 0


def test_remind_plan_call_and_due(tmp_path: Path) -> None:
    """`remind plan` lists agency-days with the phone to dial in full; `remind call` logs; `remind due` omits them."""
    db = tmp_path / "day.db"
    store = SqlStore(f"sqlite:///{db}", Centre(code="MY", name="公共资源交易中心"))
    gate = Gate(policy=load_preset("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222"))
    tomorrow = dt.datetime.now(SHANGHAI).replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=1)
    gate.register_session(BidSession(code="T1", project_name="道路工程", opens_at=tomorrow, hall="第一开标室",
                                     agency="ZX"))
    store.dispose()
    plan = CliRunner().invoke(cli, ["remind", "plan", "--db", str(db), "--days", "2"])
    assert plan.exit_code == 0, plan.output
    assert "13811112222" in plan.stdout  # the agency's business number, dialled by the clerk
    assert "待通知" in plan.stdout
    called = CliRunner().invoke(cli, ["remind", "call", "--db", str(db), "--agency", "ZX", "--outcome",
                                      "will_relay", "--caller", "王芳", "--answered-by", "李娜"])
    assert called.exit_code == 0, called.output
    due = CliRunner().invoke(cli, ["remind", "due", "--db", str(db), "--days", "2"])
    assert "无待办" in due.stdout
    bad = CliRunner().invoke(cli, ["remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "reached",
                                   "--caller", "王芳"])
    assert bad.exit_code == 1
    assert "请写明接听人" in bad.stderr


def test_a_config_file_sets_the_defaults_and_options_win(tmp_path: Path) -> None:
    """./tenderguard.toml gives --db to every command; an explicit option or variable still wins; typos are errors."""
    db = tmp_path / "configured.db"
    (tmp_path / "tenderguard.toml").write_text(f'db = "{db}"\ncentre_code = "MY"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE)])
    assert result.exit_code == 3, result.output  # the sample's last line is invalid on purpose
    assert db.is_file()
    assert not (tmp_path / "tenderguard.db").exists()
    listed = CliRunner().invoke(cli, ["badge", "list", "--date", "2026-11-23"])
    assert "MY-20261123-0001" in listed.stdout
    elsewhere = tmp_path / "other.db"
    CliRunner().invoke(cli, ["db", "upgrade"], env={"TENDERGUARD_DB": str(elsewhere)})
    assert elsewhere.is_file()
    (tmp_path / "bad.toml").write_text('database = "x.db"\n', encoding="utf-8")
    bad = CliRunner().invoke(cli, ["--config", str(tmp_path / "bad.toml"), "db", "status"])
    assert bad.exit_code == 1
    assert "未知或非文本的设置database" in bad.stderr
