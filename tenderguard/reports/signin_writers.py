"""The bidder sign-in sheet written as a PDF (A4, to sign by hand) and as an XLSX workbook, each owner-only.

The PDF goes through the project's Jinja environment (``templates/signin/sheet.html``) and the shared PDF writer
(template fetcher, font checked for every character, the render lock shared with badges and notices). A company
name with characters the font cannot draw prints them transliterated, as the badge does (``Ł`` → ``L``); one with
nothing left to print shows its credit code only. The workbook keeps the text as stored and times as Excel
date-times in the centre's time zone.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from tenderguard.errors import RenderError
from tenderguard.records.files import checked_target, write_private
from tenderguard.render.environment import render_template
from tenderguard.render.text import check_text
from tenderguard.reports.signin import SigninRow, SigninSheet

__all__ = ["render_signin_html", "write_signin_pdf", "write_signin_xlsx"]

#: The columns of the sheet, as printed and as the workbook's header (the workbook adds 备注).
COLUMNS = ("序号", "投标单位", "统一社会信用代码", "代表（签字）", "到场时间", "健康标识编号")

#: Text the PDF prints from its stylesheet (page numbers), checked against the font with the page's text.
_STYLESHEET_TEXT = "第页共"

_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: Values printed as the badge prints them (transliterated where the font cannot draw them): not font-checked as
#: stored, only as printed.
_TRANSLITERATED = (".company", ".representative")


def _opens(sheet: SigninSheet) -> str:
    """``2026年11月23日 星期一 09:30``."""
    at = sheet.session.opens_at.astimezone(sheet.centre.tz)
    return f"{at.year}年{at.month}月{at.day}日 {_WEEKDAYS[at.weekday()]} {at:%H:%M}"


def _checked(sheet: SigninSheet) -> list[tuple[str, str]]:
    """Every value of the sheet printed as text, checked for invisible and bidirectional characters."""
    s = sheet.session
    fields = [("centre.name", sheet.centre.name), ("session.code", s.code), ("session.project", s.project),
              ("session.hall", s.hall)]
    if s.agency:
        fields.append(("session.agency", s.agency))
    for index, row in enumerate(sheet.rows):
        fields += [(f"rows[{index}].company", row.company), (f"rows[{index}].credit_code", row.credit_code),
                   (f"rows[{index}].representative", row.representative), (f"rows[{index}].badge", row.badge)]
    for name, value in fields:
        check_text(name, value, max_length=200)
    return fields


def _printed_company(row: SigninRow, index: int) -> str:
    """The company name as the font can print it (transliterated where it cannot), or a stand-in."""
    from tenderguard.render.printable import printable  # noqa: PLC0415 - reads the font on first use

    try:
        return printable(row.company, field=f"rows[{index}].company").text
    except RenderError:
        return "（名称无法印出，以信用代码为准）"


def _printed_holder(masked: str) -> str:
    """A masked name as the badge prints it (transliterated where the font cannot draw it)."""
    from tenderguard.render.printable import holder_text  # noqa: PLC0415 - reads the font on first use

    return holder_text(masked).text


def _printed_note(row: SigninRow) -> str | None:
    """The substitution note as printed (the replaced representatives' names as the badge prints them)."""
    if not row.replaced:
        return None
    return "换人：接替 " + "、".join(f"{_printed_holder(r.representative)}({r.badge})" for r in row.replaced)


def _time(at: dt.datetime, sheet: SigninSheet) -> str:
    return f"{at.astimezone(sheet.centre.tz):%H:%M}"


def render_signin_html(sheet: SigninSheet) -> str:
    """The sheet as the HTML the PDF prints (``templates/signin/sheet.html``), autoescaped."""
    _checked(sheet)
    s = sheet.session
    rows = [{"company": _printed_company(row, index), "note": _printed_note(row), "credit_code": row.credit_code,
             "representative": _printed_holder(row.representative), "arrived": _time(row.arrived_at, sheet),
             "badge": row.badge}
            for index, row in enumerate(sheet.rows)]
    return render_template(
        "signin/sheet.html",
        document_title=f"{sheet.centre.name} 投标人签到表 {s.code}",
        centre_name=sheet.centre.name,
        project=s.project,
        session_code=s.code,
        hall=s.hall,
        agency=s.agency or "—",
        opens=_opens(sheet),
        made=f"{sheet.made_at.astimezone(sheet.centre.tz):%Y-%m-%d %H:%M}",
        rows=rows,
        substitutions=sheet.substitutions,
    )


def write_signin_pdf(sheet: SigninSheet, out: Path | str) -> Path:
    """Write the sheet as an A4 portrait PDF to ``out`` (owner-only, complete or not at all); returns ``out``."""
    # WeasyPrint loads on demand: reading the sheet (or the CLI's help) does not pay for it.
    from tenderguard.render.pdf import write_pdf  # noqa: PLC0415

    html = render_signin_html(sheet)
    return write_pdf(html, checked_target(Path(out)), folder="signin", stylesheet="sheet.css",
                     fields=[(name, v) for name, v in _checked(sheet) if not name.endswith(_TRANSLITERATED)],
                     css_text=[_STYLESHEET_TEXT])


def _text(value: str) -> str:
    """Text a spreadsheet must not run as a formula (``=``, ``+``, ``-``, ``@`` first) is written quoted."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _local(at: dt.datetime, sheet: SigninSheet) -> dt.datetime:
    """The centre's wall-clock time without its zone: Excel date-times have none."""
    return at.astimezone(sheet.centre.tz).replace(tzinfo=None)


def write_signin_xlsx(sheet: SigninSheet, out: Path | str) -> Path:
    """Write the sheet as an XLSX workbook (owner-only); returns ``out``.

    One sheet: a title row, the session's details, then the header (序号, 投标单位, 统一社会信用代码, 代表（签字）,
    到场时间, 健康标识编号, 备注) and one row per company; 到场时间 is an Excel date-time in the centre's time.
    """
    s = sheet.session
    book = openpyxl.Workbook()
    book.properties.title = f"{sheet.centre.name} 投标人签到表 {s.code}"
    page: Any = book.active
    page.title = "投标人签到表"
    page.append([f"{_text(sheet.centre.name)} 投标人签到表"])
    page.append([f"项目名称：{_text(s.project)}"])
    page.append([f"场次编号：{s.code}  开标时间：{_opens(sheet)}  开标室：{_text(s.hall)}  "
                 f"招标代理机构：{_text(s.agency or '—')}"])
    header_row = 4
    page.append([*COLUMNS, "备注"])
    for number, row in enumerate(sheet.rows, start=1):
        page.append([number, _text(row.company), _text(row.credit_code), _text(row.representative),
                     _local(row.arrived_at, sheet), row.badge, row.note or ""])
        page.cell(row=header_row + number, column=5).number_format = "yyyy-mm-dd hh:mm"
    widths = (6, 40, 24, 16, 18, 20, 36)
    for index, width in enumerate(widths, start=1):
        page.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(widths))
    for line in (1, 2, 3):
        page.merge_cells(f"A{line}:{last}{line}")
    page["A1"].font = Font(bold=True, size=14)
    page["A1"].alignment = Alignment(horizontal="center")
    for cell in page[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    page.freeze_panes = f"A{header_row + 1}"
    page.print_title_rows = f"{header_row}:{header_row}"
    page.page_setup.orientation = "portrait"
    page.page_setup.paperSize = page.PAPERSIZE_A4
    # Saved in memory first: a zip file left open by a failed write (a full disk) would fail again at exit.
    saved = io.BytesIO()
    book.save(saved)
    return write_private(out, lambda path: path.write_bytes(saved.getvalue()))
