"""The README's main job: the demo bid-opening day runs end to end and shows every case it promises."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from tenderguard.cli import cli


def test_the_demo_day_runs_and_covers_its_cases(tmp_path: Path) -> None:
    """`tenderguard demo` screens the day with each promised case, writes its files and verifies the audit."""
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "审计记录完整" in result.stdout
    assert "监督信号：" in result.stdout
    assert "同一人代表两家投标单位" in result.stdout
    rows = [json.loads(line) for line in (out / "screening-results.jsonl").read_text(encoding="utf-8").splitlines()]
    screened = [r for r in rows if "exit" not in r]
    assert 50 <= len(screened) <= 70
    reasons = {r["reason"] for r in screened if r["outcome"] != "admitted"}
    assert {"fever", "company_quota", "key_area", "represents_other_bidder"} <= reasons
    messages = " ".join(r.get("message", "") for r in screened)
    assert "重点地区" in messages
    badges = [r["badge"] for r in screened if r["outcome"] == "admitted"]
    assert len(badges) > len(set(badges))  # the re-entry after lunch keeps its morning badge
    with sqlite3.connect(out / "tenderguard.db") as conn:
        revoked = conn.execute("SELECT revoked_reason FROM badges WHERE status = 'revoked'").fetchall()
    assert len(revoked) == 1  # the badge handed back for the substitute
    assert revoked[0][0].startswith("substitution:")
    sheet = PdfReader(out / "badges-2026-11-23.pdf")
    assert len(sheet.pages) >= 6
    for agency in ("ZX", "HY", "JC"):
        assert (out / "notices" / agency / "notice.pdf").is_file()
    letters = list((out / "refusal-letters").iterdir())
    assert any(p.name.endswith("-company.txt") for p in letters)
    assert "回拨已通知" in (out / "call-log.txt").read_text(encoding="utf-8")
    report = "".join(page.extract_text() for page in PdfReader(out / "daily-report-2026-11-23.pdf").pages)
    assert "MY-2026-118" in report
    assert "监督信号" in report
    again = CliRunner().invoke(cli, ["report", "--db", str(out / "tenderguard.db"), "--date", "2026-11-23",
                                     "--format", "csv", "--out", str(tmp_path / "report.csv")])
    assert again.exit_code == 0, again.output
    assert f"到达{len(screened)}人次" in again.stdout
