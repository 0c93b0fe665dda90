"""Importing a day's sessions and agencies from CSV or XLSX: rows and columns named, all or nothing."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import attrs
import openpyxl
import pytest
from gatekit import Harness

from tenderguard.domain.model import Centre
from tenderguard.errors import InvalidInputError
from tenderguard.imports import ImportProblems, read_day_plan

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sessions-2026-11-23.csv"
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_the_example_file_reads_into_agencies_sessions_and_expected_attendance() -> None:
    """The example day: 5 sessions of 3 agencies, times in Asia/Shanghai, expected ranges kept."""
    plan = read_day_plan(SAMPLE, CENTRE)
    rows = _rows(SAMPLE)[1:]
    assert [s.code for s in plan.sessions] == [r[0] for r in rows]
    assert sorted(a.code for a in plan.agencies) == sorted({r[4] for r in rows})
    first = plan.sessions[0]
    assert (first.opens_at.isoformat(), first.agency) == ("2026-11-23T09:30:00+08:00", "ZX")
    assert plan.expected[first.code] == (8, 14)
    assert {a.code: a.email for a in plan.agencies}["HY"] is None


def test_every_bad_row_is_named_and_nothing_is_read(tmp_path: Path) -> None:
    """Three bad rows (bad time, bad phone, duplicate code) are each reported by row and column."""
    rows = _rows(SAMPLE)
    rows[2][2] = "明天上午"
    rows[3][7] = "12345"
    rows[4][0] = rows[1][0]
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(ImportProblems) as info:
        read_day_plan(bad, CENTRE)
    found = {(p.row, p.column, p.field) for p in info.value.problems}
    assert found == {(3, "opens_at", "session.opens_at"), (4, "phone", "agency.phone"), (5, "code", None)}
    assert "未导入任何内容" in str(info.value)


def test_missing_and_unknown_columns_are_reported(tmp_path: Path) -> None:
    """A file without 开标时间 and with an extra column is refused before any row is read."""
    rows = [[c for i, c in enumerate(r) if i != 2] for r in _rows(SAMPLE)]
    rows[0].append("备注")
    for row in rows[1:]:
        row.append("")
    bad = tmp_path / "columns.csv"
    with bad.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(ImportProblems) as info:
        read_day_plan(bad, CENTRE)
    assert {(p.row, p.header, p.code) for p in info.value.problems} == {(1, "开标时间", "missing_column"),
                                                                         (1, "备注", "unknown_column")}


def test_an_xlsx_file_reads_like_the_csv(tmp_path: Path) -> None:
    """The same rows in a workbook (times as spreadsheet datetimes) give the same plan."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for i, row in enumerate(_rows(SAMPLE)):
        sheet.append([dt.datetime.fromisoformat(c) if i and j == 2 else c for j, c in enumerate(row)])
    path = tmp_path / "day.xlsx"
    book.save(path)
    assert read_day_plan(path, CENTRE) == read_day_plan(SAMPLE, CENTRE)


def test_registering_a_day_is_all_or_nothing(miyun: Harness) -> None:
    """Sessions already registered with other details fail the whole import; a clean file registers once."""
    plan = read_day_plan(SAMPLE, CENTRE)
    before = (dict(miyun.store.agencies), dict(miyun.store.sessions))
    with pytest.raises(InvalidInputError, match="MY-2026-118、MY-2026-121已按其他信息登记"):
        miyun.gate.register_day(plan.agencies, plan.sessions)  # the harness has its own 118 and 121
    assert (dict(miyun.store.agencies), dict(miyun.store.sessions)) == before
    renamed = [attrs.evolve(s, code=s.code.replace("MY-", "MYX-")) for s in plan.sessions]
    assert miyun.gate.register_day(plan.agencies, renamed) == (3, 5)
    assert miyun.gate.register_day(plan.agencies, renamed) == (3, 0)  # the same file again: nothing new
