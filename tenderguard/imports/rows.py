"""Checking the header and each row of an import file: every problem of every cell, named by its column."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import attrs

from tenderguard.domain.model import Agency, BidSession, Centre
from tenderguard.errors import InvalidInputError, TooLongError
from tenderguard.i18n import _
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
            problems.append(ImportProblem(1, header, "unknown_column", _(
                "unknown column (column {position}); the columns are: {columns}", position=position + 1,
                columns=_(", ").join(names[0] for names in COLUMNS.values()))))
        elif key in index:
            problems.append(ImportProblem(1, key, "duplicate_column",
                                          _("columns {first} and {second} are the same column; keep only one",
                                            first=index[key] + 1, second=position + 1)))
        else:
            index[key] = position
    problems += [ImportProblem(1, key, "missing_column", _("this column is missing"))
                 for key in REQUIRED if key not in index]
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
                problems.append(ImportProblem(number, key, "required", _("required, cannot be empty")))
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
        return Row(number, (ImportProblem(number, "", "invalid_row", _("this row is not valid ({reason})", reason=exc),
                                          exc.field),))
    return Row(number, (), agency, session, values["expected"])


def agency_conflict(number: int, agency: Agency, earlier: Agency, earlier_row: int) -> ImportProblem | None:
    """The problem of an agency whose details differ from those an earlier row gave it, if they differ."""
    differing = [key for key, name in _AGENCY_DETAILS.items() if getattr(agency, name) != getattr(earlier, name)]
    if not differing:
        return None
    return ImportProblem(number, differing[0], "agency_conflict",
                         _("the {columns} of agency {agency} differ from row {row}: every row of an agency must "
                           "agree", columns=_(", ").join(header_name(k) for k in differing), agency=agency.code,
                           row=earlier_row))


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
    return _Refused("invalid_code", _("{value} is not a valid code: use letters, digits and - _ . / only, at most "
                                      "64 characters", value=shown(value)), exc.field)


def _phone_fault(value: str, exc: InvalidInputError) -> _Refused:
    return _Refused("invalid_phone", _("{value} is not a valid phone number: a mobile has 11 digits (e.g. 138 1234 "
                                       "5678), a landline its area code (e.g. 010-6904 1234)", value=shown(value)),
                    exc.field)


def _email_fault(value: str, exc: InvalidInputError) -> _Refused:
    return _Refused("invalid_email", _("{value} is not an email address (e.g. bid@agency.cn)", value=shown(value)),
                    exc.field)


def _text_fault(value: str, exc: InvalidInputError) -> _Refused:
    """Why a text broke the rules of names (``clean_text``), for the clerk; the rule itself stays the model's."""
    flat = " ".join(unicodedata.normalize("NFC", value).split())
    for position, char in enumerate(flat, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs"):
            name = unicodedata.name(char, _("control character"))
            return _Refused("control_character", _(
                "character {position} is an invisible control or formatting character {code} ({name}); type the "
                "cell again instead of pasting it", position=position, code=f"U+{ord(char):04X}", name=name),
                exc.field)
        if not {"<", ">"}.isdisjoint(unicodedata.normalize("NFKC", char)):
            return _Refused("angle_bracket",
                            _("character {position} is {char} ({code}); a name cannot hold < or >",
                              position=position, char=shown(char), code=f"U+{ord(char):04X}"),
                            exc.field)
    if isinstance(exc, TooLongError):
        return _Refused("too_long", _("has {length} characters, at most {limit} are allowed", length=len(flat),
                                      limit=exc.limit), exc.field)
    return _Refused("invalid_text", _("breaks the rules of names ({reason})", reason=exc.detail), exc.field)


def _contact(text: str) -> str:
    """The contact person follows the rules of a person's name (the model keeps it as given)."""
    try:
        return validate_person_name(text, field="agency.contact")
    except InvalidInputError as exc:
        raise _text_fault(text, exc) from None


def _hall(text: str, halls: Collection[str]) -> str:
    hall: str = _field(BidSession, "hall", text, _text_fault)
    if halls and hall not in halls:
        raise _Refused("unknown_hall", _("{value} is not a hall of this centre (the policy's halls: {halls})",
                                         value=shown(hall), halls=_(", ").join(sorted(halls))), "session.hall")
    return hall


def _when(value: Any, centre: Centre) -> dt.datetime:
    """An opening time: a spreadsheet's date and time, ISO text, or 2026/11/23 9:30 as Excel writes it."""
    hint = _("write a date and time such as 2026-11-23 09:30")
    if isinstance(value, dt.datetime):
        found = value
    elif isinstance(value, dt.date):
        raise _Refused("invalid_time", _("{value} has a date but no time: {hint}", value=shown(value), hint=hint),
                       "session.opens_at")
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace("/", "-")
        if not _CLOCK.search(text):
            wrong = (_("{value} has a date but no time: {hint}", value=shown(value), hint=hint) if _DATE.search(text)
                     else _("{value} is not a time: {hint}", value=shown(value), hint=hint))
            raise _Refused("invalid_time", wrong, "session.opens_at")
        parsed = _parse_time(text, centre)
        if parsed is None:
            raise _Refused("invalid_time", _("{value} is not a time: {hint}", value=shown(value), hint=hint),
                           "session.opens_at")
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
    hint = _("write a range such as 20-35 or one number")
    number = _text(value)
    low, _dash, high = unicodedata.normalize("NFKC", str(number)).translate(_RANGE_DASHES).partition("-")
    try:
        span = (int(low), int(high or low))
    except ValueError:
        raise _Refused("invalid_expected", _("{value} is not a number of people: {hint}", value=shown(value),
                                             hint=hint)) from None
    if span[0] < 0 or span[1] < max(span[0], 1):
        raise _Refused("invalid_expected", _("{value} is not a range of people from low to high: {hint}",
                                             value=shown(value), hint=hint))
    return span
