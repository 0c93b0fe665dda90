"""The daily report as a PDF (Chinese, A4, with its chart), as CSV and as XLSX, each written owner-only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tenderguard.domain.catalogue import reason_label
from tenderguard.domain.model import Centre
from tenderguard.records.files import checked_target, write_private
from tenderguard.render.environment import render_template
from tenderguard.render.text import check_text
from tenderguard.reports.chart import CHART_MM, hourly_chart
from tenderguard.reports.figures import (
    _SIGNAL_STATUS,
    DailyReport,
    DeskFigures,
    _signal_label,
    _supply_label,
)

__all__ = [
    "render_report_html",
    "write_report_csv",
    "write_report_pdf",
    "write_report_xlsx",
]


_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


#: Text the PDF prints from its stylesheet (page numbers), checked against the font with the page's text.
_STYLESHEET_TEXT = "第页共"


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _date(day: dt.date) -> str:
    """``2026年11月23日 星期一``."""
    return f"{day.year}年{day.month}月{day.day}日 {_WEEKDAYS[day.weekday()]}"


def _checked(report: DailyReport) -> list[tuple[str, str]]:
    """Every value of the report printed as text, checked for invisible and bidirectional characters."""
    fields = [("centre.name", report.centre.name), ("policy.title", report.policy_title)]
    for index, s in enumerate(report.sessions):
        fields.append((f"sessions[{index}].code", s.code))
        if s.project_name:
            fields.append((f"sessions[{index}].project_name", s.project_name))
        if s.hall:
            fields.append((f"sessions[{index}].hall", s.hall))
    fields += [(f"desks[{index}]", d.desk) for index, d in enumerate(report.desks)]
    fields += [("refused_by_reason", reason_label(r)) for r in report.totals.refused_by_reason]
    fields += [("other_supplies", _supply_label(s)) for s in report.totals.other_supplies]
    for name, value in fields:
        check_text(name, value, max_length=200)
    return fields


def _time(at: dt.datetime | None, centre: Centre) -> str:
    return f"{at.astimezone(centre.tz):%H:%M}" if at is not None else "—"


def render_report_html(report: DailyReport) -> str:
    """The report as the HTML the PDF prints (``templates/reports/daily.html``): counts only, autoescaped."""
    _checked(report)
    centre = report.centre
    t = report.totals
    return render_template(
        "reports/daily.html",
        document_title=f"{centre.name} {report.day.isoformat()} 日报",
        centre_name=centre.name,
        date=_date(report.day),
        policy_title=report.policy_title,
        as_of=_time(report.as_of, centre),
        totals=t,
        total_rows=[(label, value) for key, label, value in t.rows()
                    if not key.startswith(("refused:", "supplies:"))],
        reasons=[(reason_label(r), n) for r, n in t.refused_by_reason.items()],
        supplies=[(_supply_label(s), n) for s, n in t.other_supplies.items()],
        sessions=[{"code": s.code, "project_name": s.project_name or "（未登记）", "hall": s.hall or "—",
                   "opens": _time(s.opens_at, centre), "f": s.figures} for s in report.sessions],
        desks=[{"desk": d.desk, "screenings": d.screenings, "finished": d.finished,
                "first": _time(d.first_step, centre), "last": _time(d.last_step, centre),
                "busy": f"{d.busy_minutes:.0f}",
                "throughput": f"{d.throughput:.2f}" if d.throughput is not None else "—",
                "peak": d.peak_queue} for d in report.desks],
        chart=hourly_chart(report),
        chart_mm=CHART_MM,
        health_purged=report.health_purged,
        health_data_days=report.health_data_days,
        trail_checkpoint=report.trail_checkpoint,
        signals=[(_signal_label(kind), by_status.get("open", 0), by_status.get("dismissed", 0),
                  by_status.get("referred", 0)) for kind, by_status in report.signals.items()],
    )


def write_report_pdf(report: DailyReport, out: Path) -> Path:
    """Write the report as an A4 PDF in Chinese to ``out`` (complete or not at all); returns ``out``.

    Printed through the project's Jinja environment and the shared PDF writer (template fetcher, font checked for
    every character, the render lock shared with badges and notices).
    """
    # WeasyPrint loads on demand: reading a report (or the CLI's help) does not pay for it.
    from tenderguard.render.pdf import write_pdf  # noqa: PLC0415

    return write_pdf(render_report_html(report), checked_target(Path(out)), folder="reports", stylesheet="daily.css",
                     fields=_checked(report), css_text=[_STYLESHEET_TEXT])


def _text(value: str) -> str:
    """Text a spreadsheet must not run as a formula (``=``, ``+``, ``-``, ``@`` first) is written quoted."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_rows(report: DailyReport) -> Iterator[list[str]]:
    """One figure per row: section, scope, key, label, value."""
    for key, label, value in report.totals.rows():
        yield ["合计", "全天", key, label, str(value)]
    for s in report.sessions:
        for key, label, value in s.figures.rows():
            yield ["场次", s.code, key, label, str(value)]
    for d in report.desks:
        for key, label, desk_value in _desk_cells(d, report.centre):
            yield ["入口", d.desk, key, label, str(desk_value)]
    for h in report.hourly:
        yield ["时段", h.label, "arrivals", "到达人次", str(h.arrivals)]
    for key, label, count in report.signal_rows():
        yield ["监督信号", "全天", key, label, str(count)]
    if report.trail_checkpoint is not None:
        seq, fingerprint = report.trail_checkpoint
        yield ["审计链", "制表时", "audit:checkpoint", "审计链检查点（条数：指纹）", f"{seq}:{fingerprint}"]


def write_report_csv(report: DailyReport, out: Path) -> Path:
    """Write the report as CSV (UTF-8 with BOM), one figure per row; returns ``out``.

    Columns: 类别 (合计, 场次, 入口, 时段), 对象 (全天, the session code, the desk, the hour), 指标代码 (the
    key of :meth:`Figures.rows`, or of a desk's figure), 指标 (its Chinese label) and 数值.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["类别", "对象", "指标代码", "指标", "数值"])
    writer.writerows([_text(cell) for cell in row] for row in _csv_rows(report))
    return write_private(out, lambda path: path.write_text(buffer.getvalue(), encoding="utf-8-sig"))


_DESK_COLUMNS: tuple[tuple[str, str], ...] = (
    ("screenings", "检查人次"),
    ("finished", "已结束"),
    ("first_step", "首次操作"),
    ("last_step", "末次操作"),
    ("busy_minutes", "忙碌时长（分钟）"),
    ("throughput", "每分钟通过人数"),
    ("peak_queue", "同时在检峰值"),
)


def _desk_cells(d: DeskFigures, centre: Centre) -> list[tuple[str, str, int | float | str]]:
    """A desk's figures as ``(key, label, value)``: times as ``HH:MM:SS``, rates rounded to 2 decimals."""
    values: dict[str, int | float | str] = {
        "screenings": d.screenings, "finished": d.finished,
        "first_step": f"{d.first_step.astimezone(centre.tz):%H:%M:%S}" if d.first_step else "",
        "last_step": f"{d.last_step.astimezone(centre.tz):%H:%M:%S}" if d.last_step else "",
        "busy_minutes": round(d.busy_minutes, 1),
        "throughput": round(d.throughput, 2) if d.throughput is not None else "",
        "peak_queue": d.peak_queue,
    }
    return [(key, label, values[key]) for key, label in _DESK_COLUMNS]


def _bold_header(sheet: Any, widths: Sequence[int]) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _hourly_chart(sheet: Any, hours: int) -> BarChart:
    """The hourly arrivals as a real Excel bar chart over the sheet's rows (as the PDF draws them)."""
    chart = BarChart()
    chart.type, chart.style, chart.legend = "col", 10, None
    chart.title, chart.y_axis.title, chart.x_axis.title = "分时段到达人次", "人次", "时段"
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=hours + 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=hours + 1))
    chart.width, chart.height = 18, 9
    return chart


def write_report_xlsx(report: DailyReport, out: Path) -> Path:
    """Write the report as an XLSX workbook; returns ``out``.

    Sheets: 合计 (指标, 数值, 指标代码), 各场次 (one row per session and a 合计 row, one column per figure),
    各入口 (one row per desk), 分时段 (one row per hour, drawn as an Excel bar chart) and 监督信号 (the
    supervisor's signals by kind and status). Figures are numbers; session text that a spreadsheet would run as a
    formula is written quoted.
    """
    centre = report.centre
    book = openpyxl.Workbook()
    book.properties.title = f"{centre.name} {report.day.isoformat()} 日报"
    totals = book.active
    assert totals is not None  # noqa: S101 - a new workbook has one sheet
    totals.title = "合计"
    totals.append(["指标", "数值", "指标代码"])
    for key, label, value in report.totals.rows():
        totals.append([label, value, key])
    _bold_header(totals, [20, 10, 28])

    keys = [key for key, _label, _value in report.totals.rows()]
    labels = [label for _key, label, _value in report.totals.rows()]
    per_session = book.create_sheet("各场次")
    per_session.append(["场次", "项目名称", "开标室", "开标时间", *labels])
    for s in report.sessions:
        opens = f"{s.opens_at.astimezone(centre.tz):%H:%M}" if s.opens_at else ""
        per_session.append([_text(s.code), _text(s.project_name), _text(s.hall), opens,
                            *(s.figures.value(key) for key in keys)])
    per_session.append(["合计", "", "", "", *(report.totals.value(key) for key in keys)])
    _bold_header(per_session, [16, 40, 14, 10, *(max(8, len(label) * 2) for label in labels)])

    per_desk = book.create_sheet("各入口")
    per_desk.append(["入口", *(label for _key, label in _DESK_COLUMNS)])
    for d in report.desks:
        per_desk.append([_text(d.desk), *(value for _key, _label, value in _desk_cells(d, centre))])
    _bold_header(per_desk, [10, *(max(10, len(label) * 2) for _key, label in _DESK_COLUMNS)])

    hourly = book.create_sheet("分时段")
    hourly.append(["时段", "到达人次"])
    for h in report.hourly:
        hourly.append([h.label, h.arrivals])
    _bold_header(hourly, [10, 10])
    if report.hourly:
        hourly.add_chart(_hourly_chart(hourly, len(report.hourly)), "D2")

    signal_sheet = book.create_sheet("监督信号")
    signal_sheet.append(["信号", "状态", "数量", "指标代码"])
    for kind, by_status in report.signals.items():
        for status, count in by_status.items():
            signal_sheet.append([_signal_label(kind), _SIGNAL_STATUS[status], count, f"signal:{kind}:{status}"])
    _bold_header(signal_sheet, [40, 10, 8, 36])
    # Saved in memory first: a zip file left open by a failed write (a full disk) would fail again at exit.
    saved = io.BytesIO()
    book.save(saved)
    return write_private(out, lambda path: path.write_bytes(saved.getvalue()))
