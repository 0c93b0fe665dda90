"""``tenderguard signin-sheet`` on a screened day: the sheet after the opening, one line and exit 1 before it."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from tenderguard.domain.model import SHANGHAI, Centre
from tenderguard.factories import arrival, batch_line, credit_code
from tenderguard.store.sql import SqlStore

PAST = dt.datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
FUTURE = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=30)).replace(hour=9, minute=30, second=0, microsecond=0)
OPENED, LATER = "MY-2026-118", "MY-2099-007"
NAMES = ("张伟", "李娜", "欧阳明远")


def _tg(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tenderguard.cli", *args], cwd=folder, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def day(tmp_path: Path) -> dict[str, str]:
    """Three bidders screened for a session that opened in the past, two for one that opens in a month.

    ``--register-sessions`` registers each session at its first arrival's time: that is its opening time.
    """
    lines = [batch_line(arrival(n, session=OPENED, at=PAST + dt.timedelta(minutes=n), name=name))
             for n, name in enumerate(NAMES, start=1)]
    lines += [batch_line(arrival(n, session=LATER, at=FUTURE + dt.timedelta(minutes=n - 11), name=name))
              for n, name in ((11, "刘洋"), (12, "陈静"))]
    (tmp_path / "queue.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    screened = _tg(tmp_path, "screen", "--register-sessions", "--policy", "badge-only", "--batch", "queue.jsonl",
                   "--out", "results.jsonl")
    assert screened.returncode == 0, screened.stderr
    results = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["outcome"] for r in results] == ["admitted"] * 5
    return {r["name"]: r["badge"] for r in results}


def test_after_the_opening_the_sheet_is_written_as_pdf(tmp_path: Path, day: dict[str, str]) -> None:
    """The PDF names the companies, masked representatives and serials; it is private; the sheet is audited."""
    done = _tg(tmp_path, "signin-sheet", "--session", OPENED, "--out", "signin.pdf", "--operator", "王芳")
    assert done.returncode == 0, done.stderr
    assert f"{OPENED}：投标人3名 → " in done.stdout
    path = tmp_path / "signin.pdf"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    squeezed = "".join(text.split())
    for n, masked in enumerate(("张*", "李*", "欧阳**"), start=1):
        assert f"北京建设工程第{n}分公司" in squeezed
        assert credit_code(n) in text
        assert masked in text
    for name in NAMES:
        assert name not in squeezed
        assert day[name] in text
    assert "投标人签到表" in squeezed
    with SqlStore(f"sqlite:///{tmp_path / 'tenderguard.db'}", Centre(code="MY", name="x")).unit_of_work() as uow:
        entries = uow.audit.about(OPENED, "signin_sheet")
    assert [(e.operator, dict(e.payload)) for e in entries] == [("王芳", {"rows": 3, "substitutions": 0})]


def test_after_the_opening_the_sheet_is_written_as_xlsx(tmp_path: Path, day: dict[str, str]) -> None:
    """The XLSX has the headers, one row per company and date-time arrival cells."""
    done = _tg(tmp_path, "signin-sheet", "--session", OPENED, "--out", "signin.xlsx")
    assert done.returncode == 0, done.stderr
    page = openpyxl.load_workbook(tmp_path / "signin.xlsx").active
    assert page is not None
    assert [c.value for c in page[4]][:6] == ["序号", "投标单位", "统一社会信用代码", "代表（签字）", "到场时间",
                                              "健康标识编号"]
    rows = list(page.iter_rows(min_row=5, values_only=True))
    assert [r[5] for r in rows] == [day[name] for name in NAMES]
    assert all(isinstance(r[4], dt.datetime) for r in rows)
    assert rows[0][4] == PAST.replace(tzinfo=None) + dt.timedelta(minutes=1)


def test_before_the_opening_it_is_one_line_and_exit_1(tmp_path: Path, day: dict[str, str]) -> None:
    """A session opening in the future: refused in one line naming the opening time; nothing written."""
    done = _tg(tmp_path, "signin-sheet", "--session", LATER, "--out", "early.pdf")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "开标前不能生成签到表" in lines[0]
    assert f"{FUTURE.year}年{FUTURE.month}月{FUTURE.day}日 {FUTURE:%H:%M}" in lines[0]
    assert not (tmp_path / "early.pdf").exists()


def test_a_wrong_extension_or_an_unknown_session_is_one_line(tmp_path: Path, day: dict[str, str]) -> None:
    """``--out x.csv`` and an unknown session are refused in one line with a non-zero exit."""
    for args in (("--session", OPENED, "--out", "x.csv"), ("--session", "MY-2026-999", "--out", "x.pdf")):
        done = _tg(tmp_path, "signin-sheet", *args)
        assert done.returncode == 1, args
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "x.pdf").exists()
