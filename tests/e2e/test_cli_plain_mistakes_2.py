"""More plain mistakes through the real command: each ends in one clear line, a non-zero exit and nothing damaged.

A database path under a file or on a read-only disk, a database URL TenderGuard does not run on, a purge counted
from the year 1 or 9999, a policy `policy check` must refuse before another command trips on it, input nested
100,000 deep, a file that is not UTF-8 or is a folder, a full disk under an output or the database, and an output
folder that cannot be made.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Each case starts the real command in a fresh process (about 2 s each): the long pass runs them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"
PRESET = ROOT / "tenderguard" / "presets" / "miyun-2020.toml"
TENDERGUARD = Path(sys.executable).parent / "tenderguard"
MOUNT, UMOUNT = shutil.which("mount"), shutil.which("umount")
DAY = ["--date", "2026-11-23"]
#: ``screen`` exits 3 when a line is invalid; the sample has one such line on purpose.
EXIT_LINE_INVALID = 3


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``tenderguard`` command run in ``cwd``, with no database or keys set from outside.

    In English (LANG=en_US.UTF-8): these tests read the wording of each mistake as the code writes it; the Chinese
    of every message is checked by tests/unit/test_i18n.py and tests/e2e/test_cli_languages.py.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENDERGUARD_")}
    return subprocess.run([str(TENDERGUARD), *args], cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=180, env=env | {"PYTHONIOENCODING": "utf-8", "LANG": "en_US.UTF-8"})


def _refused(done: subprocess.CompletedProcess[str], *says: str, warnings: bool = False) -> str:
    """Check a non-zero exit, no traceback and one line on standard error that says each of ``says``.

    With ``warnings``, lines the batch warned with before the error (``warning: …``) are allowed above it.
    """
    err = done.stderr
    assert done.returncode != 0, (done.stdout, err)
    assert "Traceback" not in err, err[-3000:]
    assert "Traceback" not in done.stdout
    lines = [line for line in err.splitlines() if line.strip() and not (warnings and line.startswith("warning: "))]
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: "), err
    for text in says:
        assert text in lines[0], err
    return lines[0]


def _content(db: Path) -> list[str]:
    """Every row of a SQLite database, as SQL: equal before and after means nothing was changed."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return list(conn.iterdump())


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with keys and a day screened from the sample (``tenderguard.db``), made once for the module."""
    folder = tmp_path_factory.mktemp("screened")
    assert _run(folder, "keys", "init").returncode == 0
    done = _run(folder, "screen", "--register-sessions", "--batch", str(SAMPLE), "--out", "results.jsonl")
    assert done.returncode == EXIT_LINE_INVALID, done.stderr
    return folder


@pytest.fixture
def day(screened: Path, tmp_path: Path) -> Path:
    """A copy of the screened folder for one test, with a regular file ``file.txt`` in it."""
    folder = tmp_path / "day"
    shutil.copytree(screened, folder)
    (folder / "file.txt").write_text("keep me\n", encoding="utf-8")
    return folder


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted for the test (skipped where mounting is not allowed); unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if MOUNT is None or UMOUNT is None:
        pytest.skip("no mount command here")
    made = subprocess.run([MOUNT, "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True,
                          check=False)
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root, or no mount permission)")
    try:
        yield mount
    finally:
        subprocess.run([UMOUNT, "-l", str(mount)], capture_output=True, check=False)


def _fill(disk: Path, *, leave: int = 0) -> None:
    """Fill ``disk`` until at most ``leave`` bytes are free."""
    with (disk / "filler").open("ab") as filler:
        chunk = b"\0" * 4096
        try:
            while shutil.disk_usage(disk).free > leave:
                filler.write(chunk)
                filler.flush()
        except OSError:
            pass


def _leftovers(folder: Path) -> list[str]:
    """Scratch files a failed write left beside its target (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


# --------------------------------------------------------------------------------- 1. where the database goes


@pytest.mark.parametrize("db", ["{day}/file.txt/day.db", "{day}/file.txt/a/b/day.db", "sqlite:///{day}/file.txt/day.db"])
def test_a_database_under_a_regular_file_is_one_line(day: Path, db: str) -> None:
    """`--db` inside a regular file: one line naming the file in the way; the file keeps its content."""
    done = _run(day, "screen", "--register-sessions", "--batch", str(SAMPLE), "--db", db.format(day=day))
    _refused(done, "file.txt is a file, not a folder")
    assert (day / "file.txt").read_text(encoding="utf-8") == "keep me\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a folder of mode 0500")
def test_a_database_in_a_folder_that_cannot_be_written_is_one_line(day: Path) -> None:
    """`--db` in a folder of mode 0500: one line naming the database; nothing is made."""
    locked = day / "locked"
    locked.mkdir(mode=0o500)
    try:
        done = _run(day, "screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(locked / "day.db"))
        _refused(done, str(locked / "day.db"))
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def test_a_database_on_a_read_only_disk_is_one_line(day: Path, small_disk: Path) -> None:
    """A new database, or an existing one, on a disk mounted read-only: one line; the existing one is intact."""
    shutil.copy(day / "tenderguard.db", small_disk / "day.db")
    before = _content(small_disk / "day.db")
    assert subprocess.run([str(MOUNT), "-o", "remount,ro", str(small_disk)], check=False).returncode == 0
    new = _run(day, "screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(small_disk / "x" / "n.db"))
    _refused(new, "read-only")
    existing = _run(day, "screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(small_disk / "day.db"))
    _refused(existing, str(small_disk / "day.db"))
    out = _run(day, "export", *DAY, "--out", str(small_disk / "x.csv"))
    _refused(out, str(small_disk / "x.csv"), "read-only")
    assert subprocess.run([str(MOUNT), "-o", "remount,rw", str(small_disk)], check=False).returncode == 0
    assert _content(small_disk / "day.db") == before


@pytest.mark.parametrize("db", ["{day}/file.txt", "{day}"])
def test_a_database_that_is_a_text_file_or_a_folder_is_one_line(day: Path, db: str) -> None:
    """`--db` naming a text file or a folder: one line; the text file is unchanged."""
    done = _run(day, "export", *DAY, "--out", "x.csv", "--db", db.format(day=day))
    _refused(done, "db: ")
    assert (day / "file.txt").read_text(encoding="utf-8") == "keep me\n"


# --------------------------------------------------------------------------------------- 2. database URLs


@pytest.mark.parametrize(("url", "says"), [
    ("mysql://u@h/db", "'mysql' databases are not supported"),
    ("oracle://x", "'oracle' databases are not supported"),
    ("postgresql+asyncpg://u@h/db", "'asyncpg' driver is not supported"),
    ("postgresql+psycopg://gate:s3cret@db:notaport/gate", "is not a database URL"),
    ("://", "is not a database URL"),
    ("sqlite:///day.db?mode=ro", "takes no ?options"),
])
def test_a_database_url_tenderguard_does_not_run_on_is_one_line(day: Path, url: str, says: str) -> None:
    """An unsupported scheme or driver, or a malformed URL: one line (no password repeated); the day is intact."""
    before = _content(day / "tenderguard.db")
    for args in (["export", *DAY, "--out", "x.csv"], ["screen", "--register-sessions", "--batch", str(SAMPLE)]):
        line = _refused(_run(day, *args, "--db", url), says, "sqlite:///FILE")
        assert "s3cret" not in line
    assert _content(day / "tenderguard.db") == before
    assert not (day / "x.csv").exists()


# --------------------------------------------------------------------------------------------- 3. purge days


@pytest.mark.parametrize("today", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_purge_counted_from_year_1_or_9999_is_one_line(day: Path, today: str, dry_run: list[str]) -> None:
    """Too early to count back from, or so late every day would go: one line; nothing is deleted."""
    before = _content(day / "tenderguard.db")
    _refused(_run(day, "purge", "--today", today, *dry_run), f"today: {today}")
    assert _content(day / "tenderguard.db") == before


# ---------------------------------------------------------------------------------- 4. policies out of bounds


def _policy(folder: Path, old: str, new: str) -> Path:
    """The miyun-2020 preset as a file, renamed, with ``old`` replaced by ``new``."""
    text = PRESET.read_text(encoding="utf-8").replace('name = "miyun-2020"', 'name = "p"')
    assert old in text
    path = folder / "p.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "key"), [
    ("plausible_max = 42.5", "plausible_max = 1e308", "steps[3].plausible_max"),
    ("plausible_min = 34.0", "plausible_min = -1e308", "steps[3].plausible_min"),
    ("threshold = 37.3\nplausible_min = 34.0\nplausible_max = 42.5",
     "threshold = 99.5\nplausible_min = 93.0\nplausible_max = 108.0", "steps[3].threshold"),
    ("tenderer = 2", "tenderer = 1000000000", "quotas.tenderer"),
    ('"第一开标室" = 40', '"第一开标室" = 100000000000000000000', "halls.第一开标室"),
    ('title = "密云区六步式进场检查（2020）"', 'title = "x"\ndefault_hall_capacity = 1000000000',
     "default_hall_capacity"),
    ("[retention]", '[badge]\ntitle = "入场健康标识临时证件通行"\n[retention]', "badge.title"),
    ("[retention]", '[badge]\ntitle = "入场\\u202e标识"\n[retention]', "badge.title"),
    ("[retention]", "[badge]\npalette = [" + ", ".join(f'"#{i:06x}"' for i in range(400)) + "]\n[retention]",
     "badge.palette"),
    ("[[questions]]", "".join(f'[[steps]]\nid = "c{i}"\nkind = "confirm"\nlabel = "步{i}"\n\n' for i in range(40))
     + "[[questions]]", "steps"),
    ("attendance_days = 1095", "attendance_days = 1000000000", "retention.attendance_days"),
])
def test_policy_check_refuses_values_other_commands_cannot_use(tmp_path: Path, old: str, new: str, key: str) -> None:
    """`policy check` names the key of a value the other commands cannot use; `screen` refuses it the same way.

    Readings out of any thermometer's range (and Fahrenheit), huge quotas and halls, a badge title that cannot
    print, 400 day colours, 46 steps, a retention of a million years.
    """
    path = _policy(tmp_path, old, new)
    _refused(_run(tmp_path, "policy", "check", str(path)), key)
    _refused(_run(tmp_path, "screen", "--policy", str(path), "--batch", str(SAMPLE)), key)
    assert not (tmp_path / "tenderguard.db").exists()


def test_the_largest_policy_check_accepts_is_screened(day: Path) -> None:
    """30 steps, a 45 °C plausible maximum, quotas of 1,000 and a 10-character title: checked, then screened."""
    steps = "".join(f'[[steps]]\nid = "c{i}"\nkind = "confirm"\nlabel = "步{i}"\n\n' for i in range(24))
    text = (PRESET.read_text(encoding="utf-8").replace('name = "miyun-2020"', 'name = "p"')
            .replace("[[questions]]", steps + "[[questions]]", 1).replace("plausible_max = 42.5", "plausible_max = 45")
            .replace("tenderer = 2", "tenderer = 1000")
            .replace("[retention]", '[badge]\ntitle = "入场健康标识临时证件"\n[retention]'))
    (day / "p.toml").write_text(text, encoding="utf-8")
    assert _run(day, "policy", "check", "p.toml").returncode == 0
    done = _run(day, "screen", "--policy", "p.toml", "--register-sessions", "--batch", str(SAMPLE), "--db", "new.db")
    assert done.returncode == EXIT_LINE_INVALID, done.stderr
    assert "Traceback" not in done.stderr


# ------------------------------------------------------------------------- 5. nested, not UTF-8, not a file


DEEP_ARRAYS = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
DEEP_TABLES = "a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n"


@pytest.mark.parametrize("text", [DEEP_ARRAYS, DEEP_TABLES], ids=["arrays", "inline-tables"])
def test_a_policy_nested_100000_deep_is_one_line(day: Path, text: str) -> None:
    """`policy check`, `screen --policy`, `diagram --policy` and `--config` on it: one line each."""
    (day / "deep.toml").write_text(text, encoding="utf-8")
    before = _content(day / "tenderguard.db")
    _refused(_run(day, "policy", "check", "deep.toml"), "deep.toml", "nested too deeply")
    _refused(_run(day, "screen", "--policy", "deep.toml", "--batch", str(SAMPLE)), "nested too deeply")
    _refused(_run(day, "diagram", "--policy", "deep.toml"), "nested too deeply")
    _refused(_run(day, "--config", "deep.toml", "policy", "list"), "deep.toml", "nested too deeply")
    assert _content(day / "tenderguard.db") == before


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"list":' * 100_000 + "1" + "}" * 100_000],
                         ids=["arrays", "objects"])
def test_a_revocation_list_nested_100000_deep_is_one_line(day: Path, text: str) -> None:
    """`badge verify --revocations` on JSON nested 100,000 deep: one line; the scanner's memory is not written."""
    (day / "deep.json").write_text(text, encoding="utf-8")
    done = _run(day, "badge", "verify", "TG1.AAAA.AAAA.AAAA", "--date", "2026-11-23", "--revocations", "deep.json")
    _refused(done, "revocations", "nested too deeply")
    assert not (day / "tenderguard-keys" / "seen-revocations.json").exists()


@pytest.mark.parametrize(("args", "says"), [
    (["policy", "check", "gbk.toml"], "not UTF-8"),
    (["policy", "check", "folder"], "is a folder"),
    (["policy", "check", "missing.toml"], "neither a preset"),
    (["screen", "--policy", "gbk.toml", "--batch", str(SAMPLE)], "not UTF-8"),
    (["screen", "--policy", "folder", "--batch", str(SAMPLE)], "is a folder"),
    (["diagram", "--policy", "folder"], "is a folder"),
    (["--config", "folder", "policy", "list"], "folder"),
    (["--config", "gbk.toml", "policy", "list"], "utf-8"),
    (["badge", "verify", "TG1.AAAA.AAAA.AAAA", "--revocations", "gbk.toml"], "not UTF-8"),
    (["badge", "verify", "TG1.AAAA.AAAA.AAAA", "--revocations", "folder"], "--revocations"),
    (["screen", "--batch", "missing.jsonl"], "--batch"),
])
def test_a_file_that_is_not_utf8_a_folder_or_missing_is_one_line(day: Path, args: list[str], says: str) -> None:
    """A GBK policy, a folder or a missing file where a file is read: one line; the day is intact."""
    (day / "gbk.toml").write_bytes('name = "密云"\n'.encode("gbk"))
    (day / "folder").mkdir()
    before = _content(day / "tenderguard.db")
    _refused(_run(day, *args), says)
    assert _content(day / "tenderguard.db") == before


# ------------------------------------------------------------------------------------------------ 6. full disk


@pytest.mark.parametrize("args", [
    ["export", *DAY, "--out", "/dev/full"],
    ["report", *DAY, "--out", "/dev/full"],
    ["report", *DAY, "--format", "xlsx", "--out", "/dev/full"],
    ["badge", "print", *DAY, "--out", "/dev/full"],
])
def test_dev_full_as_an_output_is_refused_in_one_line(day: Path, args: list[str]) -> None:
    """`/dev/full` where a file is written: one line saying it is not a regular file."""
    _refused(_run(day, *args), "/dev/full exists and is not a regular file")


@pytest.mark.parametrize(("args", "name"), [
    (["export", *DAY], "x.csv"),
    (["export", *DAY, "--format", "xlsx"], "x.xlsx"),
    (["report", *DAY], "r.pdf"),
    (["report", *DAY, "--format", "xlsx"], "r.xlsx"),
    (["report", *DAY, "--format", "csv"], "r.csv"),
    (["badge", "print", *DAY], "b.pdf"),
    (["screen", "--register-sessions", "--batch", str(SAMPLE)], "results.jsonl"),
])
def test_a_full_disk_under_an_output_is_one_line_and_keeps_the_old_file(day: Path, small_disk: Path,
                                                                          args: list[str], name: str) -> None:
    """ENOSPC while writing an output: one line naming the file and the full disk.

    The file that was there is unchanged and no partial file is left beside it.
    """
    target = small_disk / name
    target.write_text("the previous file\n", encoding="utf-8")
    _fill(small_disk)
    _refused(_run(day, *args, "--out", str(target)), str(target), "the disk is full")
    assert target.read_text(encoding="utf-8") == "the previous file\n"
    assert _leftovers(small_disk) == []


@pytest.mark.parametrize("leave", [0, 96 * 1024], ids=["no-room", "some-room"])
def test_a_full_disk_under_the_database_is_one_line_and_the_day_resumes(day: Path, small_disk: Path,
                                                                        leave: int) -> None:
    """The database's disk fills during a batch: one line naming the database.

    What was committed holds and the audit trail verifies; once there is room the same batch finishes as an
    uninterrupted one does.
    """
    db = small_disk / "day.db"
    shutil.copy(day / "tenderguard.db", db)
    shutil.copy(day / "tenderguard.db", day / "control.db")
    before = _content(db)
    other = day / "other.jsonl"
    other.write_text(SAMPLE.read_text(encoding="utf-8").replace("MY-2026-118", "MY-2026-119"), encoding="utf-8")
    control = _run(day, "screen", "--register-sessions", "--batch", str(other), "--db", "control.db")
    _fill(small_disk, leave=leave)
    done = _run(day, "screen", "--register-sessions", "--batch", str(other), "--db", str(db))
    _refused(done, str(db), "the disk holding the database is full", warnings=True)
    (small_disk / "filler").unlink()
    if leave == 0:
        assert _content(db) == before
    assert _run(day, "audit", "verify", "--db", str(db)).returncode == 0
    again = _run(day, "screen", "--register-sessions", "--batch", str(other), "--db", str(db))
    assert again.returncode == EXIT_LINE_INVALID, again.stderr
    assert [json.loads(line)["outcome"] for line in again.stdout.splitlines()] == [
        json.loads(line)["outcome"] for line in control.stdout.splitlines()]


# ------------------------------------------------------------------------------- 7. output folders not made


@pytest.mark.parametrize("args", [
    ["badge", "print", *DAY, "--out", "file.txt/badges/b.pdf"],
    ["demo", "--out", "file.txt/demo"],
    ["notify", "refusals", *DAY, "--out", "file.txt/letters"],
    ["report", *DAY, "--out", "file.txt/r.pdf"],
    ["export", *DAY, "--out", "file.txt/x.csv"],
])
def test_an_output_folder_under_a_regular_file_is_one_line(day: Path, args: list[str]) -> None:
    """An output whose folder would be made inside a regular file: one line naming it; the file is unchanged."""
    _refused(_run(day, *args), "file.txt is a file, not a folder")
    assert (day / "file.txt").read_text(encoding="utf-8") == "keep me\n"
