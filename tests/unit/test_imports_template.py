"""The blank sessions sheet, opening times written 9:30, and agencies' landlines in an import file."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tenderguard.domain.model import SHANGHAI, Agency, Centre
from tenderguard.errors import InvalidInputError
from tenderguard.imports import COLUMNS, ImportProblems, read_day_plan, write_template
from tenderguard.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sessions-2026-11-23.csv"
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")
DAY = dt.date(2026, 11, 24)


def _rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_the_template_has_the_chinese_headers_and_an_example_that_imports(tmp_path: Path) -> None:
    """Row 1 is 场次编号 … 预计人数, row 2 one session of the day; it imports under the Miyun policy's halls."""
    path = write_template(tmp_path / "场次模板.xlsx", day=DAY)
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == [names[0] for names in COLUMNS.values()]
    assert sheet.max_row == 2
    assert sheet["C2"].value == dt.datetime(2026, 11, 24, 9, 30)  # noqa: DTZ001 - a spreadsheet's local time
    assert sheet["H2"].number_format == "@"  # a phone keeps its leading 0
    assert book.sheetnames == ["场次", "说明"]
    plan = read_day_plan(path, CENTRE, policy=load_policy("miyun-2020"))
    [session] = plan.sessions
    assert session.opens_at == dt.datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
    assert session.hall == "第一开标室"
    assert plan.agencies[0].phone == "010-69041234"
    assert plan.expected == {session.code: (8, 14)}


def test_the_template_never_replaces_a_file_and_is_an_xlsx(tmp_path: Path) -> None:
    """An existing file (perhaps a day already filled in) is left as it is; a .csv name is refused."""
    filled = tmp_path / "场次.xlsx"
    filled.write_bytes(b"a day already filled in")
    with pytest.raises(InvalidInputError, match="already exists"):
        write_template(filled, day=DAY)
    assert filled.read_bytes() == b"a day already filled in"
    with pytest.raises(InvalidInputError, match=r"不是 \.xlsx 文件"):
        write_template(tmp_path / "场次.csv", day=DAY)
    assert not (tmp_path / "场次.csv").exists()


@pytest.mark.parametrize("written", ["2026-11-23 9:30", "2026/11/23 9:30", "2026/11/23 09:30", "2026-11-23 09:30",
                                     "2026年11月23日 9:30", "2026-11-23 ９：３０"])
def test_an_hour_without_its_zero_is_read(tmp_path: Path, written: str) -> None:
    """开标时间 9:30 is 09:30 in text files, whatever the date's spelling."""
    rows = _rows()
    rows[1][2] = written
    plan = read_day_plan(_write(tmp_path / "day.csv", rows), CENTRE)
    assert plan.sessions[0].opens_at == dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


def test_an_hour_without_its_zero_is_read_from_a_workbook_text_cell(tmp_path: Path) -> None:
    """A workbook whose 开标时间 is text 2026/11/23 9:30 reads as 09:30 too."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _rows():
        sheet.append(row)
    sheet["C2"] = "2026/11/23 9:30"
    book.save(tmp_path / "day.xlsx")
    plan = read_day_plan(tmp_path / "day.xlsx", CENTRE)
    assert plan.sessions[0].opens_at == dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("written", "kept"), [
    ("010-6904 1234", "010-69041234"), ("(010)69041234", "010-69041234"), ("+86 10 6904 1234", "010-69041234"),
    ("（010）6904-1234", "010-69041234"), ("0086 10 69041234", "010-69041234"), ("0769-2222 3333", "0769-22223333"),
    ("138 1111 2222", "13811112222"), ("+86 138-1111-2222", "13811112222"),
])
def test_an_agency_landline_is_kept_with_its_area_code_and_a_mobile_as_before(written: str, kept: str) -> None:
    """Landlines in their usual spellings become 010-69041234; mobiles stay 11 digits."""
    assert Agency(code="ZX", name="北京正信招标代理有限公司", phone=written).phone == kept
    assert Agency(code="ZX", name="北京正信招标代理有限公司", phone=kept).phone == kept  # stored values read back


@pytest.mark.parametrize("written", ["6904 1234", "400-810-8888", "12345", "+1 212 555 0100", "010-6904 123",
                                     "电话"])
def test_numbers_that_cannot_be_dialled_as_given_are_refused(written: str) -> None:
    """No area code, a service number, too short, foreign or not a number: refused, naming agency.phone."""
    with pytest.raises(InvalidInputError) as info:
        Agency(code="ZX", name="北京正信招标代理有限公司", phone=written)
    assert info.value.field == "agency.phone"
    assert "010-6904 1234" in str(info.value)


def test_a_landline_imports_and_a_bad_number_says_both_forms(tmp_path: Path) -> None:
    """The file's 联系电话 may be a landline; a bad one is invalid_phone, telling mobiles and landlines apart."""
    rows = _rows()
    for row in rows[1:]:
        if row[4] == "HY":
            row[7] = "(010)69041234"
    plan = read_day_plan(_write(tmp_path / "day.csv", rows), CENTRE)
    assert {a.code: a.phone for a in plan.agencies}["HY"] == "010-69041234"
    rows[1][7] = "6904 1234"
    with pytest.raises(ImportProblems) as info:
        read_day_plan(_write(tmp_path / "bad.csv", rows), CENTRE)
    [problem] = [p for p in info.value.problems if p.code == "invalid_phone"]
    assert problem.row == 2
    assert "座机带区号" in problem.message
