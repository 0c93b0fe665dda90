"""The import files people really have: Excel's and WPS's encodings and delimiters, damaged files, every problem."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tenderguard.domain.model import Centre
from tenderguard.imports import (
    MAX_FILE_BYTES,
    SHOWN,
    DayPlan,
    ImportFileError,
    ImportProblems,
    files,
    problems_csv,
    read_day_plan,
    write_problems,
)
from tenderguard.policy import load_policy

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sessions-2026-11-23.csv"
CENTRE = Centre(code="MY", name="密云区公共资源交易中心")


def _rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _expected_plan() -> DayPlan:
    return read_day_plan(SAMPLE, CENTRE)


def _problems(path: Path, **kwargs: object) -> ImportProblems:
    with pytest.raises(ImportProblems) as info:
        read_day_plan(path, CENTRE, **kwargs)  # type: ignore[arg-type]
    return info.value


def _file_error(path: Path) -> ImportFileError:
    with pytest.raises(ImportFileError) as info:
        read_day_plan(path, CENTRE)
    assert str(path) in str(info.value)
    return info.value


# -- encodings and delimiters


def test_a_gb18030_csv_from_chinese_excel_reads_like_the_utf8_one(tmp_path: Path) -> None:
    """GBK/GB18030 bytes (as Chinese Excel and WPS save "CSV") give the same plan, Chinese names intact."""
    path = tmp_path / "gbk.csv"
    path.write_bytes(_csv_text(_rows()).encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    plan = read_day_plan(path, CENTRE)
    assert plan == _expected_plan()
    assert {a.name for a in plan.agencies} >= {"北京正信招标代理有限公司"}


def test_unicode_text_utf16_with_bom_and_tabs_reads_like_the_csv(tmp_path: Path) -> None:
    """Excel's "Unicode text": UTF-16 LE with a byte-order mark, tab-separated, saved as .txt."""
    path = tmp_path / "unicode.txt"
    path.write_bytes(b"\xff\xfe" + _csv_text(_rows(), "\t").encode("utf-16-le"))
    assert read_day_plan(path, CENTRE) == _expected_plan()


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("utf-8", ";"), ("utf-8-sig", "\t"),
                                                     ("gb18030", ";"), ("utf-16", ",")])
def test_every_encoding_with_every_delimiter(tmp_path: Path, encoding: str, delimiter: str) -> None:
    """UTF-8 with or without a BOM, GB18030, UTF-16; comma, semicolon or tab: found without being told."""
    path = tmp_path / "day.csv"
    path.write_bytes(_csv_text(_rows(), delimiter).encode(encoding))
    assert read_day_plan(path, CENTRE) == _expected_plan()


def test_excels_sep_line_names_the_delimiter(tmp_path: Path) -> None:
    """A first line ``sep=;`` sets the delimiter and is not the header; rows keep Excel's numbers."""
    rows = _rows()
    rows[2][7] = "12345"
    path = tmp_path / "sep.csv"
    path.write_text("sep=;\r\n" + _csv_text(rows, ";"), encoding="utf-8")
    assert [(p.row, p.column) for p in _problems(path).problems] == [(3, "phone")]


def test_bytes_in_no_known_encoding_are_one_clear_error(tmp_path: Path) -> None:
    """Bytes that are neither UTF-8 nor GB18030 nor marked: one error naming the file, saying how to save it."""
    path = tmp_path / "latin.csv"
    path.write_bytes(_csv_text(_rows()).encode("utf-8") + b"\xff\x80\xff\n")
    error = _file_error(path)
    assert error.code == "unknown_encoding"
    assert "UTF-8" in str(error)
    assert ".xlsx" in str(error)


def test_utf16_without_its_mark_is_an_unknown_encoding(tmp_path: Path) -> None:
    """UTF-16 without a byte-order mark decodes into NULs between letters: refused, not read as garbage headers."""
    path = tmp_path / "nomark.csv"
    path.write_bytes("code,project\n".encode("utf-16-le"))
    assert _file_error(path).code == "unknown_encoding"


# -- files that are too big, damaged or empty


def test_a_cell_over_128_kib_is_a_clear_error(tmp_path: Path) -> None:
    """A 200 KiB cell (an unpaired quote swallowing the file, say) names its row instead of the csv module's error."""
    rows = _rows()
    rows[3][1] = "工" * (200 * 1024)
    path = tmp_path / "huge-cell.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    error = _file_error(path)
    assert error.code == "cell_too_large"
    assert "第4行" in str(error)
    assert "field larger" not in str(error)


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    """A file over the limit is refused by its size (a sparse file: nothing is read)."""
    path = tmp_path / "big.csv"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    error = _file_error(path)
    assert (error.code, error.problems[0].row) == ("too_big", 0)


def _workbook(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _rows():
        sheet.append(row)
    path = tmp_path / "day.xlsx"
    book.save(path)
    return path


def test_a_text_file_named_xlsx_is_not_a_workbook(tmp_path: Path) -> None:
    """A CSV renamed .xlsx: refused as not a zip, with the way to save it."""
    path = tmp_path / "renamed.xlsx"
    path.write_text(_csv_text(_rows()), encoding="utf-8")
    error = _file_error(path)
    assert error.code == "not_a_workbook"
    assert "另存为" in str(error)


def test_a_truncated_workbook_is_corrupt(tmp_path: Path) -> None:
    """A workbook cut in half (a download that stopped): corrupt, not a traceback from zipfile."""
    good = _workbook(tmp_path).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    assert _file_error(path).code == "corrupt_workbook"


def test_a_workbook_with_damaged_contents_is_corrupt(tmp_path: Path) -> None:
    """A whole zip whose compressed sheet is damaged fails its checksum: corrupt."""
    good = bytearray(_workbook(tmp_path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(good))) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    start = member.header_offset + 30 + len(member.filename) + len(member.extra) + 10
    good[start:start + 20] = bytes(20)
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(good))
    assert _file_error(path).code == "corrupt_workbook"


def test_an_encrypted_workbook_is_named_as_such(tmp_path: Path) -> None:
    """A workbook with an opening password is an OLE2 container, not a zip: asked to remove the password."""
    path = tmp_path / "locked.xlsx"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(4096))
    error = _file_error(path)
    assert error.code == "encrypted_workbook"
    assert "密码" in str(error)


def test_a_zip_that_is_no_workbook(tmp_path: Path) -> None:
    """A zip of other files named .xlsx is not a workbook."""
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.txt", "hello")
    assert _file_error(path).code == "not_a_workbook"


@pytest.mark.parametrize(("content", "code"), [
    (b"", "empty"),
    (b"\xef\xbb\xbf\r\n,,\r\n\r\n", "empty"),
    ("场次编号,项目名称,开标时间,开标室,代理机构代码,代理机构名称\r\n".encode("gb18030"), "no_rows"),
])
def test_empty_files_and_a_header_alone(tmp_path: Path, content: bytes, code: str) -> None:
    """An empty file, one of blank lines, and one with only its header: each its own clear error."""
    path = tmp_path / "day.csv"
    path.write_bytes(content)
    assert _file_error(path).code == code


@pytest.mark.parametrize(("name", "code"), [("day.xls", "unsupported_type"), ("day.pdf", "unsupported_type"),
                                            ("missing.csv", "not_found")])
def test_other_kinds_of_file_are_refused(tmp_path: Path, name: str, code: str) -> None:
    """An old .xls, another kind of file, a missing file: each a clear error."""
    path = tmp_path / name
    if name != "missing.csv":
        path.write_bytes(b"x")
    assert _file_error(path).code == code


def test_a_workbook_saved_as_csv_is_told_to_be_renamed(tmp_path: Path) -> None:
    """An .xlsx renamed .csv is refused with the hint to rename it back."""
    path = tmp_path / "day.csv"
    path.write_bytes(_workbook(tmp_path).read_bytes())
    error = _file_error(path)
    assert "改为 .xlsx" in str(error)


# -- headers


def test_missing_required_columns_are_each_named(tmp_path: Path) -> None:
    """A header without 开标室 and 代理机构名称 names both, by their Chinese headers, at row 1."""
    rows = [[c for i, c in enumerate(r) if i not in (3, 5)] for r in _rows()]
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    problems = _problems(path).problems
    assert {(p.row, p.header, p.code) for p in problems} == {(1, "开标室", "missing_column"),
                                                              (1, "代理机构名称", "missing_column")}


def test_duplicate_headers_are_refused(tmp_path: Path) -> None:
    """Two headers naming one column (联系电话 and phone) cannot be guessed between."""
    rows = _rows()
    rows[0].append("PHONE")
    for row in rows[1:]:
        row.append("13800000000")
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    [problem] = _problems(path).problems
    assert (problem.row, problem.column, problem.code) == (1, "phone", "duplicate_column")
    assert "第8列和第11列" in str(problem)


# -- every problem of every row


def test_every_problem_of_a_row_is_reported(tmp_path: Path) -> None:
    """Three problems in one row (time, phone, a hall with U+202E) and one in another: all four, in Chinese."""
    rows = _rows()
    rows[2][2] = "明天上午"
    rows[2][7] = "12345"
    rows[2][3] = "第一\u202e开标室"
    rows[4][8] = "not-an-email"
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    error = _problems(path)
    assert [(p.row, p.column, p.code) for p in error.problems] == [
        (3, "opens_at", "invalid_time"), (3, "hall", "control_character"), (3, "phone", "invalid_phone"),
        (5, "email", "invalid_email")]
    text = str(error)
    assert text.startswith(f"{path}：4个问题，未导入任何内容")
    for shown in ("第3行，开标时间：「明天上午」不是时间", "第3行，开标室：第3个字符", "U+202E",
                  "第3行，联系电话：「12345」", "第5行，电子邮箱"):
        assert shown in text
    assert "\u202e" not in text
    assert error.problems[1].field == "session.hall"


@pytest.mark.parametrize(("column", "value", "code"), [
    (1, "道路\u202e工程", "control_character"),
    (1, "道路<script>工程", "angle_bracket"),
    (3, "第一开标室\x1b[2J", "control_character"),
    (5, "北京\x00正信招标代理有限公司", "control_character"),
    (6, "李\u200b娜", "control_character"),
    (6, "李" * 51, "too_long"),
    (0, "MY 2026 118", "invalid_code"),
    (4, "正信", "invalid_code"),
    (9, "很多", "invalid_expected"),
    (2, "2026-11-23", "invalid_time"),
    (2, "2026年11月23日", "invalid_time"),
])
def test_text_and_codes_follow_the_rules_of_names(tmp_path: Path, column: int, value: str, code: str) -> None:
    """Project, hall, agency name and contact refuse controls and markup like names; codes and counts are checked."""
    rows = _rows()
    rows[1][column] = value
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    [problem] = [p for p in _problems(path).problems if p.row == 2]
    assert problem.code == code
    assert problem.header == rows[0][column]


def test_a_required_cell_left_empty_is_named(tmp_path: Path) -> None:
    """Blank required cells are each reported; blank optional ones are fine."""
    rows = _rows()
    rows[1][0] = rows[1][3] = ""
    rows[1][6:] = ["", "", "", ""]
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    problems = _problems(path).problems
    assert {(p.row, p.header, p.code) for p in problems} >= {(2, "场次编号", "required"), (2, "开标室", "required")}
    assert all(p.row == 2 and p.code == "required" for p in problems if p.column != "agency_name")


def test_rows_keep_their_spreadsheet_numbers_past_blank_lines(tmp_path: Path) -> None:
    """A blank line between sessions does not shift the row numbers problems name."""
    rows = _rows()
    rows[4][7] = "12345"
    rows.insert(2, ["", "", ""])
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    assert [p.row for p in _problems(path).problems] == [6]


def test_the_summary_shows_ten_and_the_error_keeps_all(tmp_path: Path) -> None:
    """Twelve bad phones: the message lists ten and says two more; ``problems`` holds all twelve."""
    rows = _rows()[:1]
    for n in range(12):
        rows.append([f"MY-2026-{200 + n}", "密云区道路工程", "2026-11-23 09:30", "第一开标室", f"A{n}",
                     "北京正信招标代理有限公司", "李娜", "12345", "", ""])
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    error = _problems(path)
    assert len(error.problems) == 12
    assert str(error).count("联系电话") == SHOWN
    assert "另有2个问题未列出" in str(error)


def test_an_agency_with_other_details_and_a_repeated_session(tmp_path: Path) -> None:
    """Across rows: an agency's phone differing from its earlier row, and a session code used twice."""
    rows = _rows()
    rows[3][7] = "13900001111"  # ZX on row 4, first seen on row 2
    rows[5][0] = rows[1][0]
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    problems = _problems(path).problems
    assert [(p.row, p.column, p.code) for p in problems] == [(4, "phone", "agency_conflict"),
                                                             (6, "code", "duplicate_session")]
    assert "与第2行不同" in str(problems[0])


def test_excel_style_times_and_english_headers_in_any_case(tmp_path: Path) -> None:
    """``2026/11/23 9:30`` as Excel writes it, and headers ``CODE``, ``Project``…, read like the sample."""
    rows = _rows()
    rows[0] = ["CODE", "Project", "opens_at", "Hall", "agency_code", "agency_name", "contact", "phone", "email",
               "expected"]
    for row in rows[1:]:
        row[2] = row[2].replace("-", "/").replace(" 0", " ")
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    assert read_day_plan(path, CENTRE) == _expected_plan()


# -- halls


def _hall_file(tmp_path: Path) -> Path:
    rows = _rows()
    rows[2][3] = "第三开标室"
    path = tmp_path / "halls.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    return path


def test_a_hall_the_policy_does_not_list_is_a_row_problem(tmp_path: Path) -> None:
    """The 密云 policy lists 第一开标室 and 第二开标室: 第三开标室 is refused, naming the known halls."""
    [problem] = _problems(_hall_file(tmp_path), policy=load_policy("miyun-2020")).problems
    assert (problem.row, problem.column, problem.code) == (3, "hall", "unknown_hall")
    assert "第一开标室" in problem.message


def test_a_policy_without_halls_accepts_any_hall(tmp_path: Path) -> None:
    """The badge-only policy has no [halls] table; no policy at all: any hall is accepted."""
    path = _hall_file(tmp_path)
    assert not load_policy("badge-only").hall_capacity
    for plan in (read_day_plan(path, CENTRE, policy=load_policy("badge-only")), read_day_plan(path, CENTRE)):
        assert "第三开标室" in {s.hall for s in plan.sessions}


# -- the full list for the clerk


def test_the_problems_csv_opens_in_excel_and_runs_no_formula(tmp_path: Path) -> None:
    """write_problems: UTF-8 with BOM, Chinese headers, one line a problem; a header like a formula stays text."""
    rows = _rows()
    rows[0].append("=HYPERLINK(\"x\")")
    for row in rows[1:]:
        row.append("")
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    error = _problems(path)
    out = write_problems(tmp_path / "problems.csv", error.source, error.problems)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert lines[0] == ["文件", "行", "列", "问题", "代码", "字段"]
    assert lines[1][1:3] == ["1", "'=HYPERLINK(\"x\")"]
    assert lines[1][4] == "unknown_column"
    assert problems_csv("x", []).splitlines() == ["文件,行,列,问题,代码,字段"]


def test_a_workbook_names_its_rows_and_takes_numbers_as_numbers(tmp_path: Path) -> None:
    """In a workbook, phones and counts stored as numbers are read; a bad cell is named by the sheet's row."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for i, row in enumerate(_rows()):
        cells: list[object] = list(row)
        if i:
            cells[7] = int(row[7]) if row[7] else None
            cells[9] = float(row[9].split("-")[0])
        sheet.append(cells)
    sheet.insert_rows(3)  # a blank row 3: the sessions after it are rows 4 to 7
    sheet["C5"] = "下午两点"
    path = tmp_path / "day.xlsx"
    book.save(path)
    [problem] = _problems(path).problems
    assert (problem.row, problem.header, problem.code) == (5, "开标时间", "invalid_time")
    sheet["C5"] = "2026-11-23 10:30"
    book.save(path)
    plan = read_day_plan(path, CENTRE)
    assert {a.code: a.phone for a in plan.agencies}["ZX"] == "13811112222"
    assert plan.expected["MY-2026-118"] == (8, 8)


def test_a_workbook_that_unpacks_too_big_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workbook whose members unpack past the limit (a zip bomb) is refused before openpyxl reads it."""
    monkeypatch.setattr(files, "MAX_UNPACKED_BYTES", 1000)
    assert _file_error(_workbook(tmp_path)).code == "too_big"


def test_line_breaks_inside_a_cell_fold_into_a_space(tmp_path: Path) -> None:
    """Alt+Enter or U+2028 inside a project name becomes one space (the rule of names); in a hall it is no hall."""
    rows = _rows()
    rows[1][1] = "密云区溪翁庄镇\n道路提级改造工程"
    rows[2][1] = "密云区污水管网\u2028改造工程"
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    names = [s.project_name for s in read_day_plan(path, CENTRE).sessions]
    assert names[:2] == ["密云区溪翁庄镇 道路提级改造工程", "密云区污水管网 改造工程"]
    rows[1][3] = "第一\u2028开标室"
    path.write_text(_csv_text(rows), encoding="utf-8")
    [problem] = _problems(path, policy=load_policy("miyun-2020")).problems
    assert (problem.column, problem.code) == ("hall", "unknown_hall")
    assert "\\u2028" not in problem.message  # folded to a space before the message quotes it


_HEADER = "场次编号,项目名称,开标时间,开标室,代理机构代码,代理机构名称,联系人,联系电话,电子邮箱,预计人数\n"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda t: (_HEADER + t).encode())),
       suffix=st.sampled_from([".csv", ".txt", ".xlsx"]))
def test_any_bytes_give_a_plan_or_an_import_error(tmp_path: Path, content: bytes, suffix: str) -> None:
    """Whatever the bytes, reading ends in a plan, ImportProblems or ImportFileError: never another exception."""
    path = tmp_path / f"any{suffix}"
    path.write_bytes(content)
    error: ImportProblems | ImportFileError | None = None
    try:
        read_day_plan(path, CENTRE)
    except (ImportProblems, ImportFileError) as exc:
        error = exc
    if error is not None:
        assert error.problems
        assert "\n" not in str(error)


def test_a_header_with_a_line_break_or_bidi_control_stays_on_one_line(tmp_path: Path) -> None:
    """An unknown header holding a line break and U+202E is reported with both spelt out: one line, no reordering."""
    rows = _rows()
    rows[0].append("备\n注\u202e")
    for row in rows[1:]:
        row.append("")
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    error = _problems(path)
    assert error.problems[0].column == "备\n注\u202e"
    assert "备\\u000a注\\u202e" in str(error)
    assert "\n" not in str(error)


def test_a_too_long_cell_is_told_by_its_length_in_chinese_and_in_english(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An over-long contact is ``too_long`` with both numbers, read from the model's error, in either language."""
    rows = _rows()
    rows[1][6] = "李" * 51
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    [chinese] = [p for p in _problems(path).problems if p.row == 2]
    assert (chinese.code, chinese.message) == ("too_long", "有51个字符，最多50个")
    assert str(chinese) == "第2行，联系人：有51个字符，最多50个"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    [english] = [p for p in _problems(path).problems if p.row == 2]
    assert (english.code, english.message) == ("too_long", "has 51 characters, at most 50 are allowed")
    assert str(english) == "row 2, 联系人: has 51 characters, at most 50 are allowed"


def test_lang_en_tells_the_import_problems_in_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With LANG=en the summary, each problem and the problems CSV are English; the column headers stay Chinese."""
    rows = _rows()
    rows[1][2] = "明天上午"
    path = tmp_path / "day.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    error = _problems(path)
    assert str(error).startswith(f"{path}: 1 problem, nothing imported: row 2, 开标时间: 「明天上午」 is not a time: ")
    assert str(error).endswith("(correct each place listed, then import again)")
    assert problems_csv(str(path), error.problems).splitlines()[0] == "File,Row,Column,Problem,Code,Field"
    missing = _file_error(tmp_path / "nowhere.csv")
    assert str(missing).endswith("the file does not exist (check the file's name and its folder)")
