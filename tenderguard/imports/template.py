"""The blank sessions sheet a clerk fills in: the Chinese headers, one example row that imports, and what to write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _
from tenderguard.imports.columns import COLUMNS, REQUIRED

__all__ = ["GUIDANCE", "example_row", "write_template"]

#: What each column holds, as the second sheet (说明) tells the clerk.
GUIDANCE: Mapping[str, str] = {
    "code": "场次编号，字母、数字和 - _ . /，如 MY-2026-118",
    "project": "项目名称",
    "opens_at": "开标日期和时刻，如 2026-11-23 09:30 或 2026/11/23 9:30",
    "hall": "开标室，须是本中心的开标室",
    "agency_code": "代理机构代码，同一机构各行相同",
    "agency_name": "代理机构名称",
    "contact": "代理机构联系人",
    "phone": "联系电话：手机 11 位（如 138 1234 5678），或座机带区号（如 010-6904 1234）",
    "email": "电子邮箱，提醒通知发到这里",
    "expected": "预计人数，如 20-35 或 30",
}

#: Columns kept as text, so a spreadsheet keeps a phone's leading 0 and never turns 8-14 into a date.
_TEXT = ("code", "agency_code", "phone", "expected")
_DATE_TIME = "yyyy-mm-dd hh:mm"


def example_row(day: dt.date, *, centre_code: str = "MY", hall: str = "第一开标室") -> dict[str, Any]:
    """One session of ``day`` as a clerk would write it, by column key: it imports as it is."""
    return {"code": f"{centre_code}-{day:%Y}-001", "project": "溪翁庄镇道路提级改造工程",
            "opens_at": dt.datetime.combine(day, dt.time(9, 30)), "hall": hall, "agency_code": "ZX",
            "agency_name": "北京正信招标代理有限公司", "contact": "李娜", "phone": "010-69041234",
            "email": "bid@zhengxin.example", "expected": "8-14"}


def write_template(target: str | Path, *, day: dt.date, centre_code: str = "MY",
                   hall: str = "第一开标室") -> Path:
    """Write the sessions sheet (.xlsx): the headers, one example row for ``day``, and a sheet 说明 on the columns.

    An existing file is never replaced (it may be a day already filled in): :class:`InvalidInputError`.
    """
    path = Path(target)
    if path.suffix.lower() != ".xlsx":
        raise InvalidInputError("template", _("{path} is not an .xlsx file", path=path),
                                hint=_("name it e.g. 场次模板.xlsx"))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its sheet  # noqa: S101 - narrows the type for mypy
    sheet.title = "场次"
    keys = list(COLUMNS)
    sheet.append([COLUMNS[key][0] for key in keys])
    example = example_row(day, centre_code=centre_code, hall=hall)
    sheet.append([example[key] for key in keys])
    for position, key in enumerate(keys, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = 26 if key in ("project", "agency_name", "email") else 17
        style = "@" if key in _TEXT else _DATE_TIME if key == "opens_at" else None
        if style is not None:
            sheet.column_dimensions[letter].number_format = style
            sheet.cell(row=2, column=position).number_format = style
        sheet.cell(row=1, column=position).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    guide = book.create_sheet("说明")
    guide.append(["列", "必填", "怎么写"])
    for key in keys:
        guide.append([COLUMNS[key][0], "是" if key in REQUIRED else "否", GUIDANCE[key]])
    guide.append([])
    guide.append(["第 2 行是示例，请改成真实场次或删除；每个场次一行；也可另存为 CSV（UTF-8）再导入。"])
    guide.column_dimensions["A"].width, guide.column_dimensions["C"].width = 14, 70
    try:
        with path.open("xb") as handle:  # never over a file already there
            try:
                book.save(handle)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
    except FileExistsError:
        raise InvalidInputError("template", f"{path} already exists; it is not replaced",
                                hint="give another file name, or move the file away") from None
    return path
