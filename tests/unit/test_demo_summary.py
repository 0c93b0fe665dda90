"""The demo day's summary speaks the catalogue's language: Chinese (2026年11月23日) by default, English with LANG=en."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from tenderguard.demo import DemoResult, print_summary

RESULT = DemoResult(
    files={"database": Path("demo-output/tenderguard.db"), "badge sheet": Path("demo-output/badges-2026-11-23.pdf")},
    outcomes={"admitted": 53, "refused": 4},
    audit="审计记录完整",
    screenings=57,
    signals=("09:12 同一人代表两家投标单位：场次MY-2026-118，张*、张*（待监督人员决定）",),
)


def _summary() -> str:
    out = io.StringIO()
    print_summary(RESULT, Console(file=out, width=200, color_system=None), seconds=2.5)
    return out.getvalue()


def test_the_summary_is_chinese_by_default() -> None:
    """The day, the counts by outcome's name, the signals, the files' table and the time, all in Chinese."""
    text = _summary()
    assert "密云区公共资源交易中心 2026年11月23日：核验57人次（准予进入53人次、拒绝进入4人次）" in text
    assert "监督信号：09:12 同一人代表两家投标单位" in text
    assert "各文件的位置" in text
    assert "数据库" in text
    assert "健康标识打印页" in text
    assert "用时2.5秒" in text


def test_the_summary_is_english_with_lang_en(monkeypatch: pytest.MonkeyPatch) -> None:
    """With LANG=en the same summary reads in English with an ISO date."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    text = _summary()
    assert "密云区公共资源交易中心 — 2026-11-23: 57 screenings (admitted 53, refused 4)" in text
    assert "Where everything went" in text
    assert "badge sheet" in text
    assert "finished in 2.5 s" in text
