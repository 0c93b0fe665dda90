"""Plain mistakes end in one clear line and a non-zero exit; outputs never damage what is there."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenderguard.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"
DAY = ["--date", "2026-11-23"]


@pytest.fixture
def runner(tmp_path: Path) -> CliRunner:
    """A day screened from the sample in the test's folder."""
    made = CliRunner()
    assert made.invoke(cli, ["keys", "init"]).exit_code == 0
    assert made.invoke(cli, ["screen", "--register-sessions", "--batch", str(SAMPLE)]).exit_code == 3
    return made


@pytest.mark.parametrize(("args", "says"), [
    (["purge", "--today", "0001-01-01", "--dry-run"], "0001-01-01太早，无法往前数"),
    (["report", *DAY, "--out", "r.pdf", "--db", "mysql://gate@db/gate"], "not supported"),
    (["export", *DAY, "--out", "/dev/null"], "/dev/null已存在，且不是普通文件"),
    (["export", *DAY, "--out", "no-such-folder/x.csv"], "文件夹no-such-folder不存在"),
])
def test_a_plain_mistake_is_one_clear_line(runner: CliRunner, args: list[str], says: str) -> None:
    """Exit 1, the reason in one line, no traceback."""
    done = runner.invoke(cli, args)
    assert done.exit_code == 1, done.output
    assert says in done.output
    assert "Traceback" not in done.output


def test_policy_check_refuses_what_the_purge_cannot_handle(tmp_path: Path) -> None:
    """``attendance_days = 800000`` is refused by `policy check`, not found out by a crashing purge."""
    policy = tmp_path / "p.toml"
    policy.write_text('name = "x"\ntitle = "x"\n[[steps]]\nid = "r"\nkind = "confirm"\nlabel = "登记"\n'
                      "[retention]\nattendance_days = 800000\n", encoding="utf-8")
    done = CliRunner().invoke(cli, ["policy", "check", str(policy)])
    assert done.exit_code == 1
    assert "retention.attendance_days" in done.output


def test_out_dash_writes_to_standard_output(runner: CliRunner, tmp_path: Path) -> None:
    """``--out -`` sends the export and the report to standard output; no file named ``-`` appears."""
    exported = runner.invoke(cli, ["export", *DAY, "--out", "-"])
    assert exported.exit_code == 0, exported.output
    assert "到达时间" in exported.stdout
    report = runner.invoke(cli, ["report", *DAY, "--format", "csv", "--out", "-"])
    assert report.exit_code == 0, report.output
    assert "到达人次" in report.stdout
    assert not (tmp_path / "-").exists()


def test_an_existing_file_keeps_its_mode(runner: CliRunner, tmp_path: Path) -> None:
    """Replacing an export the owner made group-readable keeps it so; a new one is 0600."""
    kept = tmp_path / "kept.csv"
    kept.write_text("old", encoding="utf-8")
    os.chmod(kept, 0o640)
    assert runner.invoke(cli, ["export", *DAY, "--out", str(kept)]).exit_code == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert "到达时间" in kept.read_text(encoding="utf-8-sig")
    assert runner.invoke(cli, ["export", *DAY, "--out", "new.csv"]).exit_code == 0
    assert stat.S_IMODE((tmp_path / "new.csv").stat().st_mode) == 0o600
