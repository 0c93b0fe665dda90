"""A day's records as CSV or XLSX: one row per screening, masked unless an unmasked export is asked for.

Masked (the default): names as 张*, ID numbers as first 6 + last 4, phones as 138****5678. Unmasked shows the
full name and, only where the policy keeps it (``store_full_id``), the full document number — phones are never
stored in full. Every export, masked or not, is an audit entry naming who asked for it. Cells that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) are written as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from tenderguard.domain.catalogue import reason_tell
from tenderguard.domain.clock import SHANGHAI
from tenderguard.domain.screening import Screening
from tenderguard.errors import InvalidInputError
from tenderguard.identity import mask_name

__all__ = ["COLUMNS", "FORMATS", "export_rows", "write_export"]

FORMATS = ("csv", "xlsx")
#: Column keys and their headings (Chinese first: the people reading the export are the centre's staff).
COLUMNS: Sequence[tuple[str, str]] = (
    ("opened_at", "到达时间"),
    ("session", "开标场次"),
    ("hall", "开标室"),
    ("role", "身份"),
    ("company", "单位名称"),
    ("credit_code", "统一社会信用代码"),
    ("name", "姓名"),
    ("document", "证件号码"),
    ("phone", "联系电话"),
    ("outcome", "结果"),
    ("reason", "原因代码"),
    ("reason_text", "原因"),
    ("badge", "健康标识编号"),
    ("desk", "入口"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_rows(screenings: Iterable[Screening], *, unmasked: bool = False) -> list[dict[str, str]]:
    """One row per screening, in the order given; masked unless ``unmasked``."""
    rows = []
    for s in screenings:
        v = s.visitor
        document = v.document_number if unmasked and v.document_number else v.document_masked
        rows.append({
            "opened_at": s.opened_at.isoformat(timespec="seconds"), "session": v.session, "hall": s.hall,
            "role": str(v.role), "company": v.company or "", "credit_code": v.credit_code or "",
            "name": v.name if unmasked else mask_name(v.name), "document": document, "phone": v.phone_masked or "",
            "outcome": str(s.outcome) if s.outcome else "open", "reason": str(s.reason or ""),
            "reason_text": reason_tell(s.reason, ""), "badge": s.badge or "",
            "desk": s.opened_by.desk,
        })
    return rows


def write_export(rows: Sequence[dict[str, str]], path: str | Path, fmt: str, *, day: dt.date) -> Path:
    """Write rows as ``csv`` (UTF-8 with BOM, so spreadsheet programs read the Chinese) or ``xlsx``."""
    if fmt not in FORMATS:
        raise InvalidInputError("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    out = Path(path)
    if not out.parent.is_dir():
        raise InvalidInputError("out", f"folder {out.parent} does not exist", hint="create it or pick another path")
    headings = [title for _key, title in COLUMNS]
    cells = [[_cell(row[key]) for key, _title in COLUMNS] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(headings)
        writer.writerows(cells)
        out.write_text(buffer.getvalue(), encoding="utf-8-sig")
        return out
    import openpyxl  # noqa: PLC0415 - a spreadsheet library is loaded only when a spreadsheet is written
    from openpyxl.styles import Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = f"{day:%Y-%m-%d}"
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    when = [key for key, _title in COLUMNS].index("opened_at")
    for row, data in zip(cells, rows, strict=True):
        values: list[object] = list(row)
        # The time as an Excel date-time (in the centre's zone: Excel knows no offsets), not as ISO text.
        values[when] = dt.datetime.fromisoformat(data["opened_at"]).astimezone(SHANGHAI).replace(tzinfo=None)
        sheet.append(values)
        sheet.cell(row=sheet.max_row, column=when + 1).number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.freeze_panes = "A2"
    for index, (key, title) in enumerate(COLUMNS, start=1):
        width = max([len(title) * 2, *(len(row[key]) for row in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 48)
    # Saved in memory first: a zip file left open by a failed write (a full disk) would fail again at exit.
    buffer_xlsx = io.BytesIO()
    book.save(buffer_xlsx)
    out.write_bytes(buffer_xlsx.getvalue())
    return out
