"""Chinese typography for what the centre sends: full-width punctuation in prose, dates without zero padding.

Letters, notices and SMS are Chinese prose: a comma, colon, semicolon, question or exclamation mark, or a
parenthesis next to a Chinese character is written full-width (，：；？！（）); between Latin letters and digits it
stays as it is (``09:30``, ``MY-2026-118``, ``A&B (HK) Ltd``). Dates read ``2026年12月4日`` — never ``12月04日`` —
and times in prose ``9时30分``.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["FULL_WIDTH", "cn_date", "cn_datetime", "cn_time", "full_width", "half_width_in_prose"]

#: Half-width punctuation and its full-width form in Chinese prose.
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}

_CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]"
#: A half-width mark with a Chinese character (or full-width punctuation) right before or after it.
_IN_PROSE = re.compile(rf"(?<={_CJK})[,:;?!()]|[,:;?!()](?={_CJK})")


def full_width(text: str) -> str:
    """``text`` with the half-width punctuation that touches Chinese characters made full-width."""
    return _IN_PROSE.sub(lambda m: FULL_WIDTH[m.group()], text)


def half_width_in_prose(text: str) -> list[str]:
    """The half-width marks that touch Chinese characters, with a little context (for checks and tests)."""
    return [text[max(0, m.start() - 4):m.end() + 4] for m in _IN_PROSE.finditer(text)]


def cn_date(day: dt.date) -> str:
    """``2026年12月4日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_time(at: dt.datetime | dt.time) -> str:
    """``9时30分``, ``10时`` on the hour (no leading zeros)."""
    return f"{at.hour}时{at.minute}分" if at.minute else f"{at.hour}时"


def cn_datetime(at: dt.datetime) -> str:
    """``2026年12月4日9时30分`` (in the time zone ``at`` carries; no space between date and time)."""
    return f"{cn_date(at.date())}{cn_time(at)}"
