"""Checking the header and each row of an import file: every problem of every cell, named by column, in Chinese."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import attrs

from tenderguard.domain.model import Agency, BidSession, Centre
from tenderguard.errors import InvalidInputError
from tenderguard.identity import validate_person_name
from tenderguard.imports.columns import COLUMNS, REQUIRED, column_key, header_name
from tenderguard.imports.problems import ImportProblem, shown

__all__ = ["Row", "agency_conflict", "check_row", "column_index"]

_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M",
                 "%Y年%m月%d日 %H时%M分", "%Y年%m月%d日%H时%M分")
_CLOCK = re.compile(r"\d\s*[:时]\s*\d")
_DATE = re.compile(r"\d{4}\s*[-年]\s*\d{1,2}\s*[-月]\s*\d{1,2}")
_RANGE_DASHES = str.maketrans({"–": "-", "—": "-", "~": "-", "至": "-", "到": "-"})
_AGENCY_DETAILS = {"agency_name": "name", "contact": "contact", "phone": "phone", "email": "email"}


def column_index(headers: Sequence[str]) -> tuple[dict[str, int], list[ImportProblem]]:
    """Where each known column is; the header's problems (missing, repeated, unknown columns) as row 1's."""
    index: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for position, header in enumerate(headers):
        if not header:
            continue
        key = column_key(header)
        if key is None:
            problems.append(ImportProblem(1, header, "unknown_column", f"不认识的列（第 {position + 1} 列），可用的列："
                                          + "、".join(names[0] for names in COLUMNS.values())))
        elif key in index:
            problems.append(ImportProblem(1, key, "duplicate_column",
                                          f"第 {index[key] + 1} 列和第 {position + 1} 列是同一列，只能有一个"))
        else:
            index[key] = position
    problems += [ImportProblem(1, key, "missing_column", "缺少这一列") for key in REQUIRED if key not in index]
    return index, problems


@attrs.frozen
class Row:
    """One row read: its problems, and when it has none, its agency, session and expected attendance."""

    number: int
    problems: tuple[ImportProblem, ...]
    agency: Agency | None = None
    session: BidSession | None = None
    expected: tuple[int, int] | None = None


class _Refused(Exception):
    """A cell's value broke a rule: the problem's code, its Chinese message and the model's field."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def check_row(number: int, cells: Mapping[str, Any], centre: Centre, halls: Collection[str]) -> Row:
    """Check every cell of a row (the model's own rules, field by field) and build its objects if all pass.

    ``halls`` are the halls the centre's policy knows; empty: any hall.
    """
    checks: dict[str, Callable[[str], Any]] = {
        "code": lambda text: _field(BidSession, "code", text, _code_fault),
        "project": lambda text: _field(BidSession, "project_name", text, _text_fault),
        "opens_at": lambda text: _when(cells["opens_at"], centre),
        "hall": lambda text: _hall(text, halls),
        "agency_code": lambda text: _field(Agency, "code", text, _code_fault),
        "agency_name": lambda text: _field(Agency, "name", text, _text_fault),
        "contact": _contact,
        "phone": lambda text: _field(Agency, "phone", text, _phone_fault),
        "email": lambda text: _field(Agency, "email", text, _email_fault),
        "expected": lambda text: _expected(cells["expected"]),
    }
    values: dict[str, Any] = {}
    problems: list[ImportProblem] = []
    for key, check in checks.items():
        text = _text(cells.get(key))
        if text is None:
            if key in REQUIRED:
                problems.append(ImportProblem(number, key, "required", "必填，不能为空"))
            values[key] = None
            continue
        try:
            values[key] = check(text)
        except _Refused as exc:
            problems.append(ImportProblem(number, key, exc.code, exc.message, exc.field))
    if problems:
        return Row(number, tuple(problems))
    try:
        agency = Agency(code=values["agency_code"], name=values["agency_name"], contact=values["contact"],
                        phone=values["phone"], email=values["email"])
        session = BidSession(code=values["code"], project_name=values["project"], opens_at=values["opens_at"],
                             hall=values["hall"], agency=agency.code)
    except InvalidInputError as exc:  # a rule across fields: none today, but never a traceback
        return Row(number, (ImportProblem(number, "", "invalid_row", f"这一行无效（{exc}）", exc.field),))
    return Row(number, (), agency, session, values["expected"])


def agency_conflict(number: int, agency: Agency, earlier: Agency, earlier_row: int) -> ImportProblem | None:
    """The problem of an agency whose details differ from those an earlier row gave it, if they differ."""
    differing = [key for key, name in _AGENCY_DETAILS.items() if getattr(agency, name) != getattr(earlier, name)]
    if not differing:
        return None
    return ImportProblem(number, differing[0], "agency_conflict",
                         f"代理机构 {agency.code} 的" + "、".join(header_name(k) for k in differing)
                         + f"与第 {earlier_row} 行不同：同一机构各行要一致")


def _text(value: Any) -> str | None:
    """A cell as text, None when blank; a whole number a spreadsheet stored as 13811112222.0 loses its ``.0``."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _field(cls: type[Any], name: str, value: str, fault: Callable[[str, InvalidInputError], _Refused]) -> Any:
    """Apply one field's converter and validator from the model: its own rules, one field at a time."""
    attribute = getattr(attrs.fields(cls), name)
    try:
        if attribute.converter is not None:
            value = attribute.converter(value)
        if attribute.validator is not None:
            attribute.validator(None, attribute, value)
    except InvalidInputError as exc:
        raise fault(value, exc) from None
    return value


def _code_fault(value: str, exc: InvalidInputError) -> _Refused:
    return _Refused("invalid_code", f"{shown(value)}不是有效的编号：只能用字母、数字和 - _ . /，最多 64 个字符",
                    exc.field)


def _phone_fault(value: str, exc: InvalidInputError) -> _Refused:
    return _Refused("invalid_phone", f"{shown(value)}不是有效的电话号码：手机 11 位（如 138 1234 5678），"
                    "座机带区号（如 010-6904 1234）", exc.field)


def _email_fault(value: str, exc: InvalidInputError) -> _Refused:
    return _Refused("invalid_email", f"{shown(value)}不是电子邮箱地址（如 bid@agency.cn）", exc.field)


def _text_fault(value: str, exc: InvalidInputError) -> _Refused:
    """Why a text broke the rules of names (``clean_text``), in Chinese; the rule itself stays the model's."""
    flat = " ".join(unicodedata.normalize("NFC", value).split())
    for position, char in enumerate(flat, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            name = unicodedata.name(char, "控制字符")
            return _Refused("control_character", f"第 {position} 个字符是看不见的控制或格式字符 U+{ord(char):04X}"
                            f"（{name}），请重新输入这一格，不要粘贴", exc.field)
        if not {"<", ">"}.isdisjoint(unicodedata.normalize("NFKC", char)):
            return _Refused("angle_bracket",
                            f"第 {position} 个字符是 {shown(char)}（U+{ord(char):04X}），名称里不能有 < 或 >",
                            exc.field)
    # The limit as the message says it, in English or in Chinese (the catalogue's two wordings of clean_text's).
    limit = re.search(r"the limit is (\d+)|上限为(\d+)", exc.message)
    if limit is not None:
        return _Refused("too_long", f"有 {len(flat)} 个字符，最多 {limit.group(1) or limit.group(2)} 个", exc.field)
    return _Refused("invalid_text", f"不符合名称的规则（{exc.message}）", exc.field)


def _contact(text: str) -> str:
    """The contact person follows the rules of a person's name (the model keeps it as given)."""
    try:
        return validate_person_name(text, field="agency.contact")
    except InvalidInputError as exc:
        raise _text_fault(text, exc) from None


def _hall(text: str, halls: Collection[str]) -> str:
    hall: str = _field(BidSession, "hall", text, _text_fault)
    if halls and hall not in halls:
        raise _Refused("unknown_hall", f"{shown(hall)}不是本中心的开标室（政策里的开标室："
                       + "、".join(sorted(halls)) + "）", "session.hall")
    return hall


def _when(value: Any, centre: Centre) -> dt.datetime:
    """An opening time: a spreadsheet's date and time, ISO text, or 2026/11/23 9:30 as Excel writes it."""
    hint = "应写成 2026-11-23 09:30 这样的日期和时刻"
    if isinstance(value, dt.datetime):
        found = value
    elif isinstance(value, dt.date):
        raise _Refused("invalid_time", f"{shown(value)}只有日期，没有时刻：{hint}", "session.opens_at")
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace("/", "-")
        if not _CLOCK.search(text):
            missing = "只有日期，没有时刻" if _DATE.search(text) else "不是时间"
            raise _Refused("invalid_time", f"{shown(value)}{missing}：{hint}", "session.opens_at")
        parsed = _parse_time(text, centre)
        if parsed is None:
            raise _Refused("invalid_time", f"{shown(value)}不是时间：{hint}", "session.opens_at")
        found = parsed
    return found if found.tzinfo is not None else found.replace(tzinfo=centre.tz)


def _parse_time(text: str, centre: Centre) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for layout in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, layout).replace(tzinfo=centre.tz)
        except ValueError:
            continue
    return None


def _expected(value: Any) -> tuple[int, int]:
    """Expected attendance: ``20-35`` (also 20–35, 20~35, 20至35) or one number."""
    hint = "应写成 20-35 这样的范围或一个人数"
    number = _text(value)
    low, _, high = unicodedata.normalize("NFKC", str(number)).translate(_RANGE_DASHES).partition("-")
    try:
        span = (int(low), int(high or low))
    except ValueError:
        raise _Refused("invalid_expected", f"{shown(value)}不是人数：{hint}") from None
    if span[0] < 0 or span[1] < max(span[0], 1):
        raise _Refused("invalid_expected", f"{shown(value)}不是从小到大的人数范围：{hint}")
    return span
