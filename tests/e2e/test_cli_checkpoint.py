"""Audit checkpoints: whoever rewrites the trail and recomputes every hash is caught by a checkpoint kept elsewhere.

`audit checkpoint` signs the trail's entry count and head hash; `audit verify --checkpoint FILE` (or the
fingerprint printed on the daily report) exits 4 once the trail up to it was rewritten, and
`--since-checkpoint FILE` verifies only what came after.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from tenderguard.cli import cli
from tenderguard.records.audit import chain_hashes

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"


def _day(tmp_path: Path) -> CliRunner:
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "init"]).exit_code == 0
    assert runner.invoke(cli, ["screen", "--register-sessions",
                               "--batch", str(SAMPLE)]).exit_code == 3  # its last line is invalid
    return runner


def _rewrite(db: Path, seq: int) -> None:
    """Change entry ``seq``'s operator and recompute every hash after it, and the head: a careful forger."""
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET operator = '伪造者' WHERE seq = ?", (seq,))
        rows = conn.execute("SELECT id, at, kind, subject, desk, operator, payload FROM audit_log "
                            "WHERE seq IS NOT NULL ORDER BY seq").fetchall()
        import datetime as dt  # noqa: PLC0415 - only the forger needs it

        contents = [(dt.datetime.fromisoformat(at), kind, subject, desk, operator, json.loads(payload))
                    for _id, at, kind, subject, desk, operator, payload in rows]
        linked = chain_hashes(contents, 0, "0" * 64)
        for (row_id, *_rest), (number, prev, digest) in zip(rows, linked, strict=True):
            conn.execute("UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE id = ?",
                         (number, prev, digest, row_id))
        conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (linked[-1][0], linked[-1][2]))


def _matched(pattern: str, text: str) -> str:
    """The first group of ``pattern`` in ``text`` (the test fails when it is not there)."""
    found = re.search(pattern, text)
    assert found is not None, text
    return found.group(1)


def test_a_rewritten_trail_passes_alone_but_not_against_its_checkpoint(tmp_path: Path) -> None:
    """After a careful rewrite `audit verify` alone says intact; with the checkpoint or its fingerprint, exit 4."""
    runner = _day(tmp_path)
    made = runner.invoke(cli, ["audit", "checkpoint", "--out", "cp.json", "--operator", "信息科 李工"])
    assert made.exit_code == 0, made.output
    fingerprint = _matched(r"指纹(\d+:[0-9A-F-]+)", made.stdout)
    checkpoint = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    assert fingerprint == f"{checkpoint['seq']}:{checkpoint['fingerprint']}"
    assert runner.invoke(cli, ["audit", "verify", "--checkpoint", "cp.json"]).exit_code == 0
    assert runner.invoke(cli, ["audit", "verify", "--fingerprint", fingerprint]).exit_code == 0

    _rewrite(tmp_path / "tenderguard.db", 5)
    alone = runner.invoke(cli, ["audit", "verify"])
    assert alone.exit_code == 0, alone.output  # the chain itself is consistent again
    against = runner.invoke(cli, ["audit", "verify", "--checkpoint", "cp.json"])
    assert against.exit_code == 4
    assert "rewritten" in against.stderr
    by_phone = runner.invoke(cli, ["audit", "verify", "--fingerprint", fingerprint])
    assert by_phone.exit_code == 4


def test_since_checkpoint_verifies_only_what_came_after(tmp_path: Path) -> None:
    """Entries after the checkpoint are verified (an altered one: exit 4); the part before is trusted."""
    runner = _day(tmp_path)
    assert runner.invoke(cli, ["audit", "checkpoint", "--out", "cp.json"]).exit_code == 0
    more = tmp_path / "more.jsonl"
    line = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[4])
    more.write_text(json.dumps(line | {"at": "2026-11-23T11:30:00+08:00"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    assert runner.invoke(cli, ["screen", "--register-sessions", "--batch", str(more)]).exit_code == 0
    since = runner.invoke(cli, ["audit", "verify", "--since-checkpoint", "cp.json"])
    assert since.exit_code == 0, since.output
    checked = int(_matched(r"审计记录完整：共(\d+)条", since.stdout))
    total = int(_matched(r"审计记录完整：共(\d+)条", runner.invoke(cli, ["audit", "verify"]).stdout))
    assert 0 < checked < total
    with sqlite3.connect(tmp_path / "tenderguard.db") as conn:
        last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        conn.execute("UPDATE audit_log SET operator = '伪造者' WHERE seq = ?", (last,))
    broken = runner.invoke(cli, ["audit", "verify", "--since-checkpoint", "cp.json"])
    assert broken.exit_code == 4
    assert f"entry {last}" in broken.stderr


def test_a_forged_or_foreign_checkpoint_file_is_one_clear_error(tmp_path: Path) -> None:
    """A checkpoint edited by hand, or not a checkpoint at all, is refused (exit 1), never trusted."""
    runner = _day(tmp_path)
    assert runner.invoke(cli, ["audit", "checkpoint", "--out", "cp.json"]).exit_code == 0
    data = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    (tmp_path / "edited.json").write_text(json.dumps(data | {"seq": data["seq"] - 1}), encoding="utf-8")
    edited = runner.invoke(cli, ["audit", "verify", "--checkpoint", "edited.json"])
    assert edited.exit_code == 1
    assert "无法验证其签名" in edited.output
    (tmp_path / "junk.json").write_text("[" * 100_000, encoding="utf-8")
    junk = runner.invoke(cli, ["audit", "verify", "--since-checkpoint", "junk.json"])
    assert junk.exit_code == 1
    assert "Traceback" not in junk.output
    bad = runner.invoke(cli, ["audit", "verify", "--fingerprint", "12:nothex"])
    assert bad.exit_code == 1


def test_the_daily_report_prints_the_trail_fingerprint_that_verify_accepts(tmp_path: Path) -> None:
    """The report's checkpoint line (PDF and CSV) is what `audit verify --fingerprint` checks."""
    runner = _day(tmp_path)
    done = runner.invoke(cli, ["report", "--date", "2026-11-23", "--format", "csv", "--out", "day.csv"])
    assert done.exit_code == 0, done.output
    with (tmp_path / "day.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["指标代码"] == "audit:checkpoint"]
    (row,) = rows
    verify = runner.invoke(cli, ["audit", "verify", "--fingerprint", row["数值"]])
    assert verify.exit_code == 0, verify.output
    pdf = runner.invoke(cli, ["report", "--date", "2026-11-23", "--out", "day.pdf"])
    assert pdf.exit_code == 0, pdf.output
    from pypdf import PdfReader  # noqa: PLC0415

    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "day.pdf").pages)
    assert "审计链检查点" in text
