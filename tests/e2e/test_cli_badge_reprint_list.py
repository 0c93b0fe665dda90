"""`badge reprint --out` prints the new card in the same command; `badge list` is a table in Chinese, today's."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner, Result
from pypdf import PdfReader

from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"


def _tg(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _today(tmp_path: Path) -> tuple[Path, Path, list[dict[str, str]]]:
    """Keys and a database holding the sample queue screened today (badges are reprinted on their own day only)."""
    keys, db = tmp_path / "keys", tmp_path / "day.db"
    assert _tg("keys", "init", "--dir", str(keys)).exit_code == 0
    today = dt.datetime.now(SHANGHAI).date().isoformat()
    queue = tmp_path / "today.jsonl"
    queue.write_text(SAMPLE.read_text(encoding="utf-8").replace("2026-11-23T", f"{today}T"), encoding="utf-8")
    _tg("screen", "--register-sessions", "--batch", str(queue), "--db", str(db), "--keys", str(keys))
    listed = _tg("badge", "list", "--db", str(db), "--json")
    assert listed.exit_code == 0, listed.output
    return keys, db, [json.loads(line) for line in listed.stdout.splitlines()]


def test_reprint_with_out_writes_the_new_card_and_audits_both(tmp_path: Path) -> None:
    """One command: the reprint is recorded and the card PDF of print 1 is written, with its serial and 补打."""
    keys, db, badges = _today(tmp_path)
    serial = next(b["serial"] for b in badges if b["status"] == "active")
    card = tmp_path / "补打.pdf"
    done = _tg("badge", "reprint", serial, "--reason", "遗失", "--operator", "王芳", "--out", str(card),
               "--db", str(db), "--keys", str(keys))
    assert done.exit_code == 0, done.output
    assert f"{serial}：第1次打印" in done.stdout
    assert f"{serial}的标识卡（第1次补打）" in done.stdout
    reader = PdfReader(card)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert serial in text
    assert "补打" in text
    with sqlite3.connect(db) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM audit_log WHERE kind IN ('badge_reprinted', "
                                            "'badge_print') ORDER BY rowid")]
        [(payload,)] = conn.execute("SELECT payload FROM audit_log WHERE kind = 'badge_print'").fetchall()
    assert kinds == ["badge_reprinted", "badge_print"]
    assert json.loads(payload) | {"layout": "card", "badges": 1, "reprints": 1} == json.loads(payload)


def test_reprint_without_out_is_as_before_and_a_missing_key_changes_nothing(tmp_path: Path) -> None:
    """Without --out no key is needed; with --out and no signing key: one line, exit 1, the badge not reprinted."""
    _keys, db, badges = _today(tmp_path)
    serial = next(b["serial"] for b in badges if b["status"] == "active")
    refused = _tg("badge", "reprint", serial, "--reason", "遗失", "--operator", "王芳", "--out",
                  str(tmp_path / "card.pdf"), "--db", str(db), "--keys", str(tmp_path / "nokeys"))
    assert refused.exit_code == 1
    assert "badge-signing.key不存在" in refused.stderr
    assert not (tmp_path / "card.pdf").exists()
    plain = _tg("badge", "reprint", serial, "--reason", "遗失", "--operator", "王芳", "--db", str(db),
                "--keys", str(tmp_path / "nokeys"))
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.strip() == f"{serial}：第1次打印（之前打印的均已失效）"


def test_list_is_a_table_with_chinese_headers_for_today(tmp_path: Path) -> None:
    """Without --date the list is today's: 编号 … 补打 as headers, one row per badge, status and reprints in Chinese."""
    _keys, db, badges = _today(tmp_path)
    first, second = badges[0]["serial"], badges[1]["serial"]
    assert _tg("badge", "revoke", first, "--reason", "认错人", "--operator", "王芳", "--db", str(db)).exit_code == 0
    assert _tg("badge", "reprint", second, "--reason", "遗失", "--operator", "王芳", "--db", str(db)).exit_code == 0
    table = _tg("badge", "list", "--db", str(db))
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    header = next(line for line in lines if "编号" in line)
    positions = [header.index(name) for name in ("编号", "场次", "开标室", "身份", "单位", "持证人", "状态", "补打")]
    assert positions == sorted(positions)
    assert all(b["serial"] in table.stdout for b in badges)
    revoked = next(line for line in lines if first in line)
    assert "已作废" in revoked
    reprinted = next(line for line in lines if second in line)
    assert "有效" in reprinted
    assert reprinted.rstrip(" │|").endswith("1")
    assert "投标人" in table.stdout
    assert "张伟" not in table.stdout  # holders are masked
    json_rows = _tg("badge", "list", "--db", str(db), "--json").stdout.splitlines()
    assert [json.loads(r)["serial"] for r in json_rows] == [b["serial"] for b in badges]
    assert set(json.loads(json_rows[0])) == {"serial", "status", "reprints", "role", "company", "holder", "session",
                                             "hall"}


def test_list_of_a_day_without_badges_says_so(tmp_path: Path) -> None:
    """A day with no badge is one plain line, not an empty table; --json prints nothing."""
    _keys, db, _badges = _today(tmp_path)
    empty = _tg("badge", "list", "--date", "2020-01-02", "--db", str(db))
    assert empty.exit_code == 0, empty.output
    assert empty.stdout.strip() == "2020年1月2日没有健康标识"
    assert _tg("badge", "list", "--date", "2020-01-02", "--db", str(db), "--json").stdout == ""
