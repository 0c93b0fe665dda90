"""The hostile-input corpus (``tests/corpus/``) through the real CLI: every file ends as ``expected.json`` says.

Bad input gets a clear error and loses nothing, one bad record never stops the others, and no command ends in a
traceback. The corpus and its expectations are written by ``tests/corpus/make_corpus.py``.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # about 170 runs of the real command: CI's serial pass of long tests

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EXPECTED: dict[str, list[dict[str, Any]]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
TENDERGUARD = Path(sys.executable).parent / "tenderguard"
#: Files of the corpus that are not inputs of their own: the control code and the corpus's public key.
SUPPORT = {"codes/valid.txt", "codes/badge-signing.pub"}
PUBLIC_KEY = CORPUS / "codes" / "badge-signing.pub"
#: The exit code of ``screen`` when a line is invalid, and of ``badge verify`` for a code that is not valid.
EXIT_LINE_INVALID = 3
EXIT_BADGE_INVALID = 5


def _run(cwd: Path, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    """The installed ``tenderguard`` command run in ``cwd``, its output kept as bytes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENDERGUARD_")}
    return subprocess.run([str(TENDERGUARD), *args], cwd=cwd, capture_output=True, check=False, timeout=120,
                          env=env | {"PYTHONIOENCODING": "utf-8"})


def _unpacked(name: str, folder: Path) -> Path:
    """The corpus file as the CLI gets it: a copy in ``folder``, unpacked when it is stored compressed."""
    source = CORPUS / name
    target = folder / source.name.removesuffix(".gz")
    data = source.read_bytes()
    target.write_bytes(gzip.decompress(data) if source.suffix == ".gz" else data)
    return target


def _no_traceback(done: subprocess.CompletedProcess[bytes]) -> str:
    """Standard error as text, after checking it holds no traceback."""
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    assert "Traceback" not in done.stdout.decode("utf-8", "replace")
    return err


def _entries(kind: str) -> list[Any]:
    return [pytest.param(entry, id=Path(entry["file"]).name) for entry in EXPECTED[kind]]


def _codes() -> list[Any]:
    [entry] = EXPECTED["codes"]
    stored = (CORPUS / entry["file"]).read_bytes()
    codes = (gzip.decompress(stored) if entry["file"].endswith(".gz") else stored).split(b"\n")[:-1]
    assert len(codes) == len(entry["cases"])
    return [pytest.param(code, id=f"{n:02d}-{case}") for n, (case, code) in enumerate(zip(entry["cases"], codes,
                                                                                         strict=True))]


def test_every_corpus_file_has_its_expectation() -> None:
    """Each input file in the corpus folders is listed in expected.json, and each listed file exists."""
    on_disk = {p.relative_to(CORPUS).as_posix() for kind in EXPECTED for p in (CORPUS / kind).iterdir()} - SUPPORT
    listed = {entry["file"] for entries in EXPECTED.values() for entry in entries}
    assert on_disk == listed


@pytest.mark.parametrize("entry", _entries("batch"))
def test_a_hostile_batch_line_is_refused_and_the_lines_around_it_are_screened(tmp_path: Path,
                                                                             entry: dict[str, Any]) -> None:
    """Every good line is admitted, every hostile line gets its expected outcome with a message; exit 3."""
    batch = _unpacked(entry["file"], tmp_path)
    done = _run(tmp_path, "screen", "--batch", str(batch), "--register-sessions", "--policy", entry["policy"],
                "--out", "results.jsonl")
    err = _no_traceback(done)
    expected = entry["outcomes"]
    assert done.returncode == (EXIT_LINE_INVALID if "invalid" in expected else 0), err
    results_text = (tmp_path / "results.jsonl").read_text(encoding="utf-8")
    # One result per non-empty input line, also to a reader that breaks lines at U+2028, U+0085 and the like.
    given = [line for line in batch.read_bytes().split(b"\n") if line.strip()]
    assert len(results_text.splitlines()) == len(given) == len(expected), results_text[-3000:]
    results = [json.loads(line) for line in results_text.splitlines()]
    outcomes = [r["outcome"] for r in results]
    cases = iter(entry["cases"])
    labels = [("good line" if n % 2 == 0 else next(cases)) for n in range(len(expected))]
    assert list(zip(labels, outcomes, strict=False)) == list(zip(labels, expected, strict=True))
    assert len(outcomes) == len(expected)
    for result in results:
        if result["outcome"] == "invalid":
            assert result["message"], result


@pytest.mark.parametrize("entry", _entries("import"))
def test_a_hostile_day_plan_is_imported_whole_or_refused_in_one_line(tmp_path: Path, entry: dict[str, Any]) -> None:
    """Exit 0, or exit 1 with one line on standard error and no session registered."""
    plan = _unpacked(entry["file"], tmp_path)
    done = _run(tmp_path, "import", str(plan), *entry["args"], "--db", "gate.db")
    err = _no_traceback(done)
    assert done.returncode in {0, 1}, err
    if entry["accepted"] is not None:
        assert done.returncode == (0 if entry["accepted"] else 1), f"{entry['case']}: {err}"
    if done.returncode == 0:
        assert re.match(r"已读取\d+个代理机构的\d+个场次", done.stdout.decode("utf-8")), done.stdout
        return
    assert len(err.strip().splitlines()) == 1, err
    db = tmp_path / "gate.db"
    if db.exists():
        with sqlite3.connect(db) as connection:
            assert connection.execute("SELECT count(*) FROM sessions").fetchone() == (0,)


@pytest.mark.parametrize("entry", _entries("policy"))
def test_a_hostile_policy_file_is_checked_without_a_traceback(tmp_path: Path, entry: dict[str, Any]) -> None:
    """Exit 0 for a valid policy, exit 1 with the problems on standard error for the others."""
    policy = _unpacked(entry["file"], tmp_path)
    done = _run(tmp_path, "policy", "check", str(policy))
    err = _no_traceback(done)
    assert done.returncode in {0, 1}, err
    if entry["valid"] is not None:
        assert done.returncode == (0 if entry["valid"] else 1), f"{entry['case']}: {done.stdout!r} {err}"
    if done.returncode == 1:
        assert err.strip(), "a refused policy says why"


def test_the_control_code_verifies(tmp_path: Path) -> None:
    """The corpus's valid code is valid with its public key: the hostile codes are refused for what they are."""
    code = (CORPUS / "codes" / "valid.txt").read_bytes().strip()
    done = _run(tmp_path, "badge", "verify", "--date", "2026-11-23", "--public-key", str(PUBLIC_KEY), "--", code)
    assert done.returncode == 0, _no_traceback(done)


@pytest.mark.parametrize("code", _codes())
def test_a_hostile_badge_code_is_never_valid(tmp_path: Path, code: bytes) -> None:
    """Exit 5 (invalid) or 1, never 0; no traceback. The code follows ``--``, as a scanner's script passes it."""
    done = _run(tmp_path, "badge", "verify", "--date", "2026-11-23", "--keys", "keys", "--public-key",
                str(PUBLIC_KEY), "--", code)
    err = _no_traceback(done)
    assert done.returncode in {EXIT_BADGE_INVALID, 1}, (done.returncode, done.stdout, err)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A key folder made by ``keys init``, shared by the revocation-list tests (each keeps its own seen lists)."""
    folder = tmp_path_factory.mktemp("keys") / "tenderguard-keys"
    done = _run(folder.parent, "keys", "init", "--dir", str(folder))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize("entry", _entries("revocations"))
def test_a_hostile_revocation_list_is_one_line_and_exit_1(tmp_path: Path, keys: Path, entry: dict[str, Any]) -> None:
    """A list that is not a valid signed list of the centre: exit 1 and one line; the control list verifies."""
    listed = _unpacked(entry["file"], tmp_path)
    code = (CORPUS / "codes" / "valid.txt").read_text(encoding="utf-8").strip()
    done = _run(tmp_path, "badge", "verify", "--date", "2026-11-23", "--keys", str(keys), "--public-key",
                str(PUBLIC_KEY), "--revocations", str(listed), "--seen-lists", "seen.json", "--", code)
    err = _no_traceback(done)
    if entry["valid"]:
        assert done.returncode == 0, err
        return
    assert done.returncode == 1, f"{entry['case']}: exit {done.returncode} {done.stdout!r} {err}"
    assert len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "seen.json").exists()
