"""The Chinese prose of the web gate's and the sign-in sheet's templates uses full-width punctuation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
#: ASCII punctuation with a Chinese character (or full-width punctuation) on both sides.
ASCII_BETWEEN_CJK = re.compile(rf"[{CJK}][ \t]*[,:;?()][ \t]*[{CJK}]")
#: ASCII punctuation right after a Chinese character, where Chinese prose continues.
ASCII_AFTER_CJK = re.compile(rf"[{CJK}][,:;?()]")
#: What is not prose: Jinja comments, expressions and tags; style and script blocks; HTML tags with their attributes.
NOT_PROSE = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}|<style\b.*?</style>|<script\b.*?</script>|<[^>]*>",
                       re.DOTALL | re.IGNORECASE)


def prose(template: str) -> list[str]:
    """The runs of text a reader sees in a template, each apart (what stood between them is left out)."""
    return [part for part in NOT_PROSE.split(template) if part.strip()]


def mistakes(template: str) -> list[str]:
    """The runs of prose holding ASCII , : ; ? ( ) between or right after Chinese characters."""
    return [part.strip() for part in prose(template)
            if ASCII_BETWEEN_CJK.search(part) or ASCII_AFTER_CJK.search(part)]


def _templates() -> list[Path]:
    return sorted(p for folder in ("web", "signin") for p in (TEMPLATES / folder).rglob("*.html"))


def test_the_scan_finds_ascii_punctuation_in_chinese_text() -> None:
    """A half-width bracket or colon in prose is found; the same inside a tag, attribute or expression is not."""
    assert mistakes("<h2>拒绝入场(按原因)</h2>") == ["拒绝入场(按原因)"]
    assert mistakes("<p>吊销名单:尚未取得</p>") == ["吊销名单:尚未取得"]
    assert mistakes("<p>已特批({{ who }})</p>") == ["已特批("]
    assert mistakes('<div title="人数:{{ n }}">拒绝入场（按原因）</div>') == []
    assert mistakes("{# 一个注释(不显示) #}<p>{{ '甲:乙' }}</p>") == []
    assert mistakes("<style>p::before { content: '注:'; }</style><script>x('提示:');</script>") == []


def test_the_templates_are_found() -> None:
    """The scan below reads the board, desk, door and login pages and the sign-in sheet."""
    names = {p.relative_to(TEMPLATES).as_posix() for p in _templates()}
    assert {"web/board/_live.html", "web/board/page.html", "web/door/page.html", "signin/sheet.html"} <= names


@pytest.mark.parametrize("path", _templates(), ids=lambda p: p.relative_to(TEMPLATES).as_posix())
def test_no_ascii_punctuation_sits_in_a_templates_chinese_prose(path: Path) -> None:
    """In the text of templates/web and templates/signin, , : ; ? ( ) never stand between or after Chinese."""
    assert mistakes(path.read_text(encoding="utf-8")) == []
