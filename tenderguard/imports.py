"""Importing a day's sessions and their agencies from a CSV or XLSX file, all rows or none.

One row per session; the agency's details repeat on each of its sessions. Headers may be Chinese or English:

========================  ==================  =============================================
header                    alias               value
========================  ==================  =============================================
场次编号                  code                the session code (MY-2026-118)
项目名称                  project             the project's name
开标时间                  opens_at            ``2026-11-23 09:30`` (the centre's time) or ISO with offset
开标室                    hall                the hall
代理机构代码              agency_code         the agency's code
代理机构名称              agency_name         its name
联系人                    contact             its contact person (optional)
联系电话                  phone               its mobile (optional)
电子邮箱                  email               where the notice is emailed (optional)
预计人数                  expected            expected attendance, ``20-35`` or ``30`` (optional)
========================  ==================  =============================================

Every problem is reported with its row and column, and nothing is imported unless every row is valid.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import openpyxl

from tenderguard.domain.model import Agency, BidSession, Centre
from tenderguard.errors import TenderGuardError

__all__ = ["COLUMNS", "DayPlan", "ImportProblems", "read_day_plan"]

#: Column key → accepted headers.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "code": ("场次编号", "code"), "project": ("项目名称", "project"), "opens_at": ("开标时间", "opens_at"),
    "hall": ("开标室", "hall"), "agency_code": ("代理机构代码", "agency_code"),
    "agency_name": ("代理机构名称", "agency_name"), "contact": ("联系人", "contact"),
    "phone": ("联系电话", "phone"), "email": ("电子邮箱", "email"), "expected": ("预计人数", "expected"),
}
_REQUIRED = ("code", "project", "opens_at", "hall", "agency_code", "agency_name")
_MAX_ROWS = 5_000


class ImportProblems(TenderGuardError):
    """Raised when rows of an import file are invalid; ``problems`` lists (row, column, message); nothing imported."""

    def __init__(self, source: str, problems: Sequence[tuple[int, str, str]]) -> None:
        self.source = source
        self.problems = list(problems)
        shown = "; ".join(f"row {r}, {c}: {m}" for r, c, m in self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{source}: {len(self.problems)} problem(s), nothing imported: {shown}{more}",
                         hint="fix the rows named and import the file again")


@attrs.frozen
class DayPlan:
    """What a file holds: agencies, sessions and each session's expected attendance (min, max)."""

    agencies: tuple[Agency, ...]
    sessions: tuple[BidSession, ...]
    expected: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)


def _rows(path: Path) -> tuple[list[str], list[list[Any]]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            values = [list(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
    elif path.suffix.lower() == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        values = [list(row) for row in csv.reader(io.StringIO(text))]
    else:
        raise ImportProblems(str(path), [(0, "file", "is neither .csv nor .xlsx")])
    values = [row for row in values if any(v not in (None, "") for v in row)]
    if not values:
        raise ImportProblems(str(path), [(0, "file", "is empty")])
    return [str(h or "").strip() for h in values[0]], values[1:]


def _when(value: Any, centre: Centre) -> dt.datetime:
    if isinstance(value, dt.datetime):
        found = value
    else:
        text = str(value).strip().replace("/", "-")
        found = dt.datetime.fromisoformat(text)
    return found if found.tzinfo is not None else found.replace(tzinfo=centre.tz)


def _expected(value: Any) -> tuple[int, int] | None:
    if value in (None, ""):
        return None
    low, _, high = str(value).replace("–", "-").partition("-")
    span = (int(low), int(high or low))
    if span[0] < 0 or span[1] < max(span[0], 1):
        raise ValueError(f"{value!r} is not a range like 20-35")
    return span


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row(cells: Mapping[str, Any], centre: Centre) -> tuple[Agency, BidSession, tuple[int, int] | None]:
    """Build one row's objects; raises (column, message) through ``_RowError``."""
    for key in _REQUIRED:
        if _text(cells.get(key)) is None:
            raise _RowError(key, "is required")
    try:
        agency = Agency(code=str(_text(cells["agency_code"])), name=str(_text(cells["agency_name"])),
                        contact=_text(cells.get("contact")), phone=_text(cells.get("phone")),
                        email=_text(cells.get("email")))
    except TenderGuardError as exc:
        raise _RowError(str(getattr(exc, "field", "agency")), str(exc)) from None
    try:
        opens_at = _when(cells["opens_at"], centre)
    except (ValueError, TypeError):
        raise _RowError("opens_at", f"{cells['opens_at']!r} is not a time like 2026-11-23 09:30") from None
    try:
        session = BidSession(code=str(_text(cells["code"])), project_name=str(_text(cells["project"])),
                             opens_at=opens_at, hall=str(_text(cells["hall"])), agency=agency.code)
    except TenderGuardError as exc:
        raise _RowError(str(getattr(exc, "field", "session")), str(exc)) from None
    try:
        expected = _expected(cells.get("expected"))
    except ValueError as exc:
        raise _RowError("expected", str(exc)) from None
    return agency, session, expected


class _RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def read_day_plan(path: str | Path, centre: Centre) -> DayPlan:
    """Read and validate a sessions file (CSV or XLSX); every bad row is reported, none half-read."""
    file = Path(path)
    if not file.is_file():
        raise ImportProblems(str(file), [(0, "file", "does not exist")])
    headers, rows = _rows(file)
    problems: list[tuple[int, str, str]] = []
    index: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, header in enumerate(headers):
            if header in names:
                index[key] = i
    problems += [(1, COLUMNS[k][0], "column is missing") for k in _REQUIRED if k not in index]
    unknown = [h for h in headers if h and not any(h in names for names in COLUMNS.values())]
    problems += [(1, h, "unknown column") for h in unknown]
    if len(rows) > _MAX_ROWS:
        problems.append((len(rows), "file", f"has more than {_MAX_ROWS} rows"))
    if problems:
        raise ImportProblems(str(file), problems)
    agencies: dict[str, Agency] = {}
    sessions: dict[str, BidSession] = {}
    expected: dict[str, tuple[int, int]] = {}
    for number, row in enumerate(rows, start=2):
        cells = {key: (row[i] if i < len(row) else None) for key, i in index.items()}
        try:
            agency, session, span = _row(cells, centre)
        except _RowError as exc:
            problems.append((number, exc.column, str(exc)))
            continue
        known = agencies.get(agency.code)
        if known is not None and known != agency:
            problems.append((number, "agency_code", f"agency {agency.code} has other details on an earlier row"))
        if session.code in sessions:
            problems.append((number, "code", f"session {session.code} appears twice"))
        agencies[agency.code] = known or agency
        sessions[session.code] = session
        if span is not None:
            expected[session.code] = span
    if problems:
        raise ImportProblems(str(file), problems)
    return DayPlan(agencies=tuple(agencies.values()), sessions=tuple(sessions.values()), expected=expected)
