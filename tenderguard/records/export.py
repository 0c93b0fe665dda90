"""A day's records as CSV or XLSX: one row per screening, masked unless an unmasked export is asked for.

Masked (the default): names as 张*, ID numbers as first 6 + last 4, phones as 138****5678. Unmasked shows the
full name and, only where the policy keeps it (``store_full_id``), the full document number — phones are never
stored in full. Every export, masked or not, is an audit entry naming who asked for it. Cells that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@`` first) are written as text.

The rows keep codes (``bidder``, ``admitted``) for programs; the files a clerk opens show the role and the outcome
by name (投标人, 准予进入) and their headings, in the clerk's language, beside the reason's code.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from tenderguard.domain.catalogue import outcome_label, reason_tell, role_label
from tenderguard.domain.clock import SHANGHAI
from tenderguard.domain.screening import Screening
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import N_, _
from tenderguard.identity import mask_name

__all__ = ["COLUMNS", "FORMATS", "export_rows", "write_export"]

FORMATS = ("csv", "xlsx")
#: Column keys and their headings (catalogue msgids: Chinese by default, the centre's staff read the export).
COLUMNS: Sequence[tuple[str, str]] = (
    ("opened_at", N_("arrived at")),
    ("session", N_("bid session")),
    ("hall", N_("hall")),
    ("role", N_("role")),
    ("company", N_("company")),
    ("credit_code", N_("unified social credit code")),
    ("name", N_("name")),
    ("document", N_("document number")),
    ("phone", N_("contact phone")),
    ("outcome", N_("outcome")),
    ("reason", N_("reason code")),
    ("reason_text", N_("reason")),
    ("badge", N_("health badge number")),
    ("desk", N_("entrance")),
)
#: Columns whose codes a file shows by name.
_NAMED = {"role": role_label, "outcome": outcome_label}
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
        raise InvalidInputError("format", _("{fmt!r} is not one of {items}", fmt=fmt, items=_(", ").join(FORMATS)))
    out = Path(path)
    if not out.parent.is_dir():
        raise InvalidInputError(
            "out", _("folder {parent} does not exist", parent=out.parent), hint=_("create it or pick another path")
        )
    headings = [_(title) for _key, title in COLUMNS]
    cells = [[_cell(_NAMED[key](row[key]) if key in _NAMED else row[key]) for key, _title in COLUMNS] for row in rows]
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
        width = max([len(_(title)) * 2, *(len(row[key]) for row in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 48)
    # Saved in memory first: a zip file left open by a failed write (a full disk) would fail again at exit.
    buffer_xlsx = io.BytesIO()
    book.save(buffer_xlsx)
    out.write_bytes(buffer_xlsx.getvalue())
    return out
