"""`tenderguard import` on the files people have: the real command, one line for a refused file, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sessions-2026-11-23.csv"
TENDERGUARD = Path(sys.executable).parent / "tenderguard"


def _import(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TENDERGUARD), "import", *args, "--db", str(folder / "gate.db")], cwd=folder,
                          capture_output=True, text=True, encoding="utf-8", check=False, timeout=120)


def _rows() -> list[list[str]]:
    with SAMPLE.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def test_a_text_file_named_xlsx_is_one_line_and_exit_1(tmp_path: Path) -> None:
    """A CSV renamed .xlsx: one line on standard error naming the file and how to save it; nothing imported."""
    path = tmp_path / "场次.xlsx"
    path.write_text(_csv(_rows()), encoding="utf-8")
    done = _import(tmp_path, str(path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert str(path) in line
    assert "不是 Excel 工作簿" in line
    assert "另存为" in line
    assert done.stdout == ""


def test_a_gb18030_file_from_chinese_excel_imports(tmp_path: Path) -> None:
    """A GBK/GB18030 CSV imports as it is: five sessions of three agencies registered, exit 0."""
    path = tmp_path / "场次.csv"
    path.write_bytes(_csv(_rows()).encode("gb18030"))
    done = _import(tmp_path, str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "已读取3个代理机构的5个场次；新登记5个"


def test_bad_rows_are_one_line_and_the_full_list_goes_to_a_csv(tmp_path: Path) -> None:
    """Twelve bad rows and an unknown hall: one line showing ten, --problems-out has all thirteen; nothing kept."""
    rows = _rows()[:1]
    for n in range(12):
        rows.append([f"MY-2026-{200 + n}", "密云区道路工程", "2026-11-23 09:30", "第一开标室", "ZX",
                     "北京正信招标代理有限公司", "李娜", "12345", "", ""])
    rows[1][3] = "第九开标室"
    path = tmp_path / "day.csv"
    path.write_text(_csv(rows), encoding="utf-8-sig")
    done = _import(tmp_path, str(path))
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert "13个问题" in line
    assert "--problems-out" in line
    listed = tmp_path / "problems.csv"
    done = _import(tmp_path, str(path), "--problems-out", str(listed))
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    found = list(csv.reader(io.StringIO(listed.read_text(encoding="utf-8-sig"))))
    assert len(found) == 14
    assert found[1][1:3] == ["2", "开标室"]
    assert not (tmp_path / "gate.db").exists()


def test_times_without_a_leading_zero_and_landlines_import(tmp_path: Path) -> None:
    """开标时间 2026/11/23 9:30 and agencies' landlines in their usual spellings import; the phone kept as 010-…."""
    rows = _rows()
    rows[1][2] = "2026/11/23 9:30"
    rows[3][2] = "2026-11-23 10:30"
    for row in rows[1:]:
        row[7] = {"ZX": "(010)69041234", "HY": "+86 10 6904 5678", "JC": "010-6904 9999"}[row[4]]
    path = tmp_path / "场次.csv"
    path.write_text(_csv(rows), encoding="utf-8-sig")
    done = _import(tmp_path, str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "已读取3个代理机构的5个场次；新登记5个"
    plan = subprocess.run([str(TENDERGUARD), "remind", "plan", "--db", str(tmp_path / "gate.db"), "--today",
                           "2026-11-23", "--days", "1", "--json"], capture_output=True, text=True, encoding="utf-8",
                          check=True, timeout=120)
    phones = {row["agency"]: (row["phone"], row["first_opening"]) for row in map(json.loads, plan.stdout.splitlines())}
    assert phones == {"ZX": ("010-69041234", "09:30"), "HY": ("010-69045678", "10:00"),
                      "JC": ("010-69049999", "14:00")}


def test_a_template_is_written_once_and_imports_as_it_is(tmp_path: Path) -> None:
    """--template writes the blank sheet with its example row; it imports; it never replaces a file."""
    made = _import(tmp_path, "--template", "sessions.xlsx")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "sessions.xlsx").is_file()
    again = _import(tmp_path, "--template", "sessions.xlsx")
    assert again.returncode != 0
    assert "Traceback" not in again.stderr
    imported = _import(tmp_path, "sessions.xlsx", "--db", "day.db")
    assert imported.returncode == 0, imported.stderr
    neither = _import(tmp_path)
    assert neither.returncode == 2
