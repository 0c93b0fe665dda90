"""`tenderguard signals`: the supervisor lists the day's signals (masked, or in full, audited) and decides them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tenderguard.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"


def _batch(tmp_path: Path) -> Path:
    """The sample's second line (张伟 for 北京某某建设工程有限公司), then 张伟 again for another bidder."""
    first = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[1])
    again = first | {"company": "河北冀东路桥集团有限公司", "credit_code": "91130100MA07ABCD1J",
                     "at": "2026-11-23T09:05:00+08:00"}
    path = tmp_path / "queue.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (first, again)) + "\n", encoding="utf-8")
    return path


def test_signals_list_and_resolve(tmp_path: Path) -> None:
    """The refused second company shows as a signal; masked by default, full for the supervisor; resolved once."""
    runner = CliRunner()
    run = runner.invoke(cli, ["screen", "--register-sessions", "--batch", str(_batch(tmp_path))])
    assert run.exit_code == 0, run.output
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [(r["outcome"], r["reason"]) for r in results] == [("admitted", None),
                                                              ("refused", "represents_other_bidder")]
    listed = runner.invoke(cli, ["signals", "list", "--date", "2026-11-23", "--json"])
    assert listed.exit_code == 0, listed.output
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["kind"], row["status"], row["people"]) == ("same_person_two_bidders", "open", ["张*", "张*"])
    assert "河北冀东路桥集团有限公司" not in listed.stdout
    assert "91130100MA07ABCD1J" not in listed.stdout

    refused = runner.invoke(cli, ["signals", "list", "--date", "2026-11-23", "--unmasked"])
    assert refused.exit_code == 2
    assert "--operator" in refused.output
    full = runner.invoke(cli, ["signals", "list", "--date", "2026-11-23", "--unmasked", "--operator", "李强"])
    assert full.exit_code == 0, full.output
    assert "张伟" in full.stdout
    assert "河北冀东路桥集团有限公司" in full.stdout

    bad = runner.invoke(cli, ["signals", "resolve", "nope", "--decision", "refer", "--reason", "x",
                              "--operator", "李强"])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output
    assert "没有预警“nope”" in bad.output
    done = runner.invoke(cli, ["signals", "resolve", row["id"], "--decision", "refer", "--reason",
                               "移交行政监督部门", "--operator", "李强"])
    assert done.exit_code == 0, done.output
    assert "referred" in done.stdout
    again = runner.invoke(cli, ["signals", "resolve", row["id"], "--decision", "dismiss", "--reason", "x",
                                "--operator", "李强"])
    assert again.exit_code == 1
    assert "已处理" in again.output
    after = runner.invoke(cli, ["signals", "list", "--date", "2026-11-23"])
    assert "referred" in after.stdout
    assert "李强: 移交行政监督部门" in after.stdout
    verify = runner.invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_a_batch_line_carries_the_supervisors_override(tmp_path: Path) -> None:
    """A line with ``override`` re-screens the person with the named refusal set aside; a bad one is invalid."""
    lines = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:2]]
    first, again = lines[1], lines[1] | {"company": "河北冀东路桥集团有限公司", "credit_code": "91130100MA07ABCD1J",
                                         "at": "2026-11-23T09:05:00+08:00"}
    released = again | {"at": "2026-11-23T09:20:00+08:00", "override": {
        "release": "represents_other_bidder", "reason": "甲单位登记有误,已核实", "supervisor": "李强"}}
    broken = again | {"at": "2026-11-23T09:25:00+08:00", "override": {"release": "hall_full"}}
    path = tmp_path / "queue.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (first, again, released, broken)) + "\n",
                    encoding="utf-8")
    run = CliRunner().invoke(cli, ["screen", "--register-sessions", "--batch", str(path)])
    assert run.exit_code == 3, run.output
    results = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert [(r["outcome"], r["reason"]) for r in results] == [
        ("admitted", None), ("refused", "represents_other_bidder"), ("admitted", None), ("invalid", "invalid")]
    assert results[3]["field"] == "override.reason"
