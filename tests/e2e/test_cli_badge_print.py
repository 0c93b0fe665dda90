"""``badge print`` prints every badge it can and lists the others by serial, with exit code 6."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from pypdf import PdfReader

from tenderguard.cli.common import EXIT_UNPRINTABLE
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import arrival, batch_line

AT = dt.datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)


def _tg(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenderguard.cli", *args], cwd=folder, capture_output=True,
                          text=True, timeout=120, check=False)


def test_a_day_with_an_unprintable_badge_prints_the_others_and_names_it(tmp_path: Path) -> None:
    """Three admitted, one company named only with emoji: two badges printed, the third listed, exit 6."""
    companies = ["北京建设工程有限公司", "😀😀", "Łódź Construction Group"]
    lines = [json.dumps(batch_line(arrival(n, session="MY-2026-118", at=AT, name=name, company_name=company),
                                   hall="第一开标室"), ensure_ascii=False)
             for n, (name, company) in enumerate(zip(["张伟", "李娜", "José Müller"], companies, strict=True))]
    (tmp_path / "queue.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _tg(tmp_path, "keys", "init").returncode == 0
    screened = _tg(tmp_path, "screen", "--register-sessions", "--policy", "badge-only", "--batch", "queue.jsonl",
                   "--out", "results.jsonl")
    assert screened.returncode == 0, screened.stderr
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    serials = [r["badge"] for r in results]
    printed = _tg(tmp_path, "badge", "print", "--date", "2026-11-23", "--out", "sheet.pdf")
    assert printed.returncode == EXIT_UNPRINTABLE, printed.stderr
    assert "Traceback" not in printed.stderr
    assert "的健康标识2张" in printed.stdout
    listed = [line.strip() for line in printed.stderr.splitlines() if line.strip().startswith("MY-")]
    assert len(listed) == 1
    assert listed[0].startswith(f"{serials[1]}: company")
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "sheet.pdf").pages)
    assert serials[0] in text
    assert serials[2] in text
    assert serials[1] not in text
    assert "Lódz Construction Group" in text.replace("\n", "")
