"""What the records keep: keyed batch references, owner-only files, one ID-hash key per database, no empty databases.

Every file that holds personal data is created with mode 0600 whatever the umask; a desk or batch with another
ID-hash key than the database's is refused; commands that only read refuse a database that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tenderguard.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"


@pytest.fixture(autouse=True)
def _open_umask() -> Iterator[None]:
    """A permissive umask (files would be 0644): the modes below come from TenderGuard, not from the shell."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _screened(tmp_path: Path) -> CliRunner:
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "init"]).exit_code == 0
    run = runner.invoke(cli, ["screen", "--register-sessions",
                              "--batch", str(SAMPLE), "--out", str(tmp_path / "results.jsonl")])
    assert run.exit_code == 3, run.output  # the sample's last line is invalid on purpose
    return runner


def test_batch_references_are_keyed_with_the_id_hash_key(tmp_path: Path) -> None:
    """A replayed line's stored reference is an HMAC under the centre's key, not a plain hash of the line."""
    _screened(tmp_path)
    secret = (tmp_path / "tenderguard-keys" / "id-hash.key").read_bytes()
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    with sqlite3.connect(tmp_path / "tenderguard.db") as conn:
        refs = dict(conn.execute("SELECT source_ref, id FROM screenings").fetchall())
    assert refs
    for ref in refs:
        number = int(ref.split(":")[-2])
        digest = ref.rsplit(":", 1)[1]
        text = lines[number - 1].strip().encode()
        assert digest != hashlib.sha256(text).hexdigest()[:16]
        assert digest == hmac.new(secret, text, hashlib.sha256).hexdigest()[:16]


def test_files_holding_personal_data_are_owner_only(tmp_path: Path) -> None:
    """Database (and its WAL), batch results, exports, reports, badge sheet and refusal letters are 0600."""
    runner = _screened(tmp_path)
    db = tmp_path / "tenderguard.db"
    day = ["--date", "2026-11-23"]
    for args in (["export", *day, "--out", "export.csv"],
                 ["export", *day, "--format", "xlsx", "--out", "export.xlsx", "--unmasked", "--operator", "李工"],
                 ["report", *day, "--out", "report.pdf"],
                 ["report", *day, "--format", "csv", "--out", "report.csv"],
                 ["report", *day, "--format", "xlsx", "--out", "report.xlsx"],
                 ["badge", "print", *day, "--out", "badges.pdf"],
                 ["notify", "refusals", *day, "--out", "letters"]):
        done = runner.invoke(cli, args)
        assert done.exit_code == 0, (args, done.output)
    files = [db, tmp_path / "results.jsonl", *(tmp_path / name for name in (
        "export.csv", "export.xlsx", "report.pdf", "report.csv", "report.xlsx", "badges.pdf"))]
    letters = list((tmp_path / "letters").iterdir())
    assert letters
    files += letters
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        files.append(wal)
    for path in files:
        assert _mode(path) == 0o600, path
    assert not list(tmp_path.glob(".*.partial"))


def test_the_demo_writes_its_personal_data_owner_only(tmp_path: Path) -> None:
    """The demo's database, results, badge sheet, reports, export and letters are 0600."""
    out = tmp_path / "demo"
    done = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    assert done.exit_code == 0, done.output
    for name in ("tenderguard.db", "screening-results.jsonl", "badges-2026-11-23.pdf", "daily-report-2026-11-23.pdf",
                 "daily-report-2026-11-23.csv", "daily-report-2026-11-23.xlsx", "records-2026-11-23.xlsx"):
        assert _mode(out / name) == 0o600, name
    assert all(_mode(p) == 0o600 for p in (out / "refusal-letters").iterdir())


def test_another_id_hash_key_is_refused(tmp_path: Path) -> None:
    """A batch run with another key folder on the same database stops with one clear line, screening nobody."""
    runner = _screened(tmp_path)
    with sqlite3.connect(tmp_path / "tenderguard.db") as conn:
        before = conn.execute("SELECT count(*) FROM screenings").fetchone()[0]
    line = json.loads(SAMPLE.read_text(encoding="utf-8").splitlines()[4])  # 陈静, admitted in the morning
    batch = tmp_path / "later.jsonl"
    batch.write_text(json.dumps(line | {"at": "2026-11-23T11:00:00+08:00"}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    other = runner.invoke(cli, ["screen", "--register-sessions",
                                "--batch", str(batch), "--keys", str(tmp_path / "elsewhere")])
    assert other.exit_code == 1
    assert "另一个证件号哈希密钥" in other.output
    assert "Traceback" not in other.output
    with sqlite3.connect(tmp_path / "tenderguard.db") as conn:
        assert conn.execute("SELECT count(*) FROM screenings").fetchone()[0] == before
    same = runner.invoke(cli, ["screen", "--register-sessions", "--batch", str(batch)])
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["outcome"] == "admitted"


@pytest.mark.parametrize("args", [
    ["report", "--date", "2026-11-23", "--out", "r.pdf"],
    ["export", "--date", "2026-11-23", "--out", "e.csv"],
    ["badge", "list", "--date", "2026-11-23"],
    ["audit", "verify"],
    ["signals", "list"],
    ["purge", "--dry-run"],
    ["db", "status"],
])
def test_commands_that_read_refuse_a_missing_database(tmp_path: Path, args: list[str]) -> None:
    """A mistyped --db is one clear error; no empty database is left behind."""
    done = CliRunner().invoke(cli, [*args, "--db", str(tmp_path / "typo.db")])
    assert done.exit_code == 1, done.output
    assert "no database at" in done.output
    assert not (tmp_path / "typo.db").exists()


def test_keys_init_takes_the_key_folder_from_the_config_file(tmp_path: Path) -> None:
    """`keys init` honours ``keys = …`` in tenderguard.toml like every other command."""
    (tmp_path / "tenderguard.toml").write_text('keys = "centre-keys"\n', encoding="utf-8")
    done = CliRunner().invoke(cli, ["keys", "init"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "centre-keys" / "id-hash.key").is_file()
    assert not (tmp_path / "tenderguard-keys").exists()
