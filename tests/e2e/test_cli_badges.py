"""The badge commands end to end: keys, offline and online verification, revocation, reprint, revocation lists."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any

import zxingcpp
from click.testing import CliRunner, Result
from PIL import Image
from pypdf import PdfReader

from tenderguard import Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.domain.badge_code import Revocations
from tenderguard.domain.model import SHANGHAI
from tenderguard.keys import load_signing_key

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"


def _tg(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _today_queue(path: Path) -> str:
    """The sample queue moved to today (Asia/Shanghai), since badges are reprinted on their own day only."""
    today = dt.datetime.now(SHANGHAI).date().isoformat()
    path.write_text(SAMPLE.read_text(encoding="utf-8").replace("2026-11-23T", f"{today}T"), encoding="utf-8")
    return today


def _day(tmp_path: Path) -> tuple[Path, Path, list[str], str]:
    """Keys, a screened day (today), its badge serials and its date."""
    keys, db = tmp_path / "keys", tmp_path / "day.db"
    assert _tg("keys", "init", "--dir", str(keys)).exit_code == 0
    queue = tmp_path / "today.jsonl"
    day = _today_queue(queue)
    _tg("screen", "--register-sessions", "--batch", str(queue), "--db", str(db), "--keys", str(keys))
    listed = _tg("badge", "list", "--date", day, "--db", str(db), "--json")
    serials = [json.loads(line)["serial"] for line in listed.stdout.splitlines()]
    return keys, db, serials, day


def _code(db: Path, keys: Path, serial: str) -> str:
    """The QR text of a badge's current print, as the printed sheet carries it."""
    store = SqlStore(f"sqlite:///{db}", Centre(code="MY", name="公共资源交易中心"))
    try:
        gate = Gate(policy=load_preset("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
        return gate.badge_code(gate.badge(serial), load_signing_key(keys))
    finally:
        store.dispose()


def test_keys_init_creates_private_files_once_and_never_prints_them(tmp_path: Path) -> None:
    """Private keys are 0600 in a 0700 folder, the public key 0644; a second init changes nothing."""
    keys = tmp_path / "keys"
    first = _tg("keys", "init", "--dir", str(keys))
    assert first.exit_code == 0, first.output
    assert "已创建" in first.stdout
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in keys.iterdir()}
    assert modes == {"id-hash.key": 0o600, "badge-signing.key": 0o600, "badge-signing.pub": 0o644}
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    private = (keys / "badge-signing.key").read_text()
    assert private.splitlines()[1] not in first.output
    before = (keys / "badge-signing.key").read_bytes()
    second = _tg("keys", "init", "--dir", str(keys))
    assert "未作任何改动" in second.stdout
    assert (keys / "badge-signing.key").read_bytes() == before


def test_verify_offline_online_revoke_and_reprint(tmp_path: Path) -> None:
    """Valid → exit 0; revoked (online and via the signed list) and superseded prints → exit 5."""
    keys, db, serials, day = _day(tmp_path)
    first, second = serials[0], serials[2]
    code = _code(db, keys, first)
    ok = _tg("badge", "verify", code, "--keys", str(keys), "--date", day)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("有效：当日标识，本中心签发 — ")
    tomorrow = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    assert _tg("badge", "verify", code, "--keys", str(keys), "--date", tomorrow).exit_code == 5
    assert _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--centre-code", "BJ").exit_code == 5

    revoked = _tg("badge", "revoke", first, "--reason", "认错人", "--operator", "王芳", "--db", str(db))
    assert revoked.exit_code == 0, revoked.output
    online = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--db", str(db), "--json")
    assert online.exit_code == 5
    assert json.loads(online.stdout)["reason"] == "revoked"
    listing = tmp_path / "revoked.json"
    made = _tg("badge", "revocations", "--date", day, "--db", str(db), "--keys", str(keys), "--out", str(listing))
    assert made.exit_code == 0, made.output
    offline = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(listing))
    assert offline.exit_code == 5
    assert offline.stdout.startswith("无效：标识已作废")

    old = _code(db, keys, second)
    assert _tg("badge", "reprint", second, "--reason", "遗失", "--operator", "王芳", "--db", str(db)).exit_code == 0
    stale = _tg("badge", "verify", old, "--keys", str(keys), "--date", day, "--db", str(db))
    assert (stale.exit_code, "无效：已补打新标识，此张作废" in stale.stdout) == (5, True)
    fresh = _tg("badge", "verify", _code(db, keys, second), "--keys", str(keys), "--date", day, "--db", str(db))
    assert fresh.exit_code == 0

    tampered = tmp_path / "tampered.json"
    tampered.write_text(listing.read_text(encoding="utf-8").replace(first, first[:-1] + "9"), encoding="utf-8")
    refused = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(tampered))
    assert refused.exit_code == 1
    assert "该吊销名单不是用本中心的密钥签发的" in refused.stderr


def test_a_forged_code_and_a_missing_public_key_are_clear(tmp_path: Path) -> None:
    """Garbage gives INVALID (malformed) with exit 5; no public key gives one error line with a hint."""
    keys = tmp_path / "keys"
    _tg("keys", "init", "--dir", str(keys))
    forged = _tg("badge", "verify", "TG1.AAAA.AAAA.AAAA", "--keys", str(keys))
    assert forged.exit_code == 5
    assert forged.stdout.startswith("无效：")
    missing = _tg("badge", "verify", "TG1.AAAA.AAAA.AAAA", "--public-key", str(tmp_path / "none.pub"))
    assert missing.exit_code == 1
    assert "none.pub不存在" in missing.stderr


def test_print_a_day_then_scan_and_verify_every_badge(tmp_path: Path) -> None:
    """`badge print` writes the day's sheet; each QR decoded from the rendered page verifies with the CLI."""
    keys, db = tmp_path / "keys", tmp_path / "day.db"
    _tg("keys", "init", "--dir", str(keys))
    _tg("screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db), "--keys", str(keys))
    out = tmp_path / "sheet.pdf"
    printed = _tg("badge", "print", "--date", "2026-11-23", "--db", str(db), "--keys", str(keys), "--out", str(out),
                  "--operator", "王芳")
    assert printed.exit_code == 0, printed.output
    listed = [json.loads(line) for line in _tg("badge", "list", "--date", "2026-11-23", "--db", str(db),
                                                "--json").stdout.splitlines()]
    valid = [row["serial"] for row in listed if row["status"] == "active"]
    assert f"2026年11月23日的健康标识{len(valid)}张，共1页" in printed.stdout
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert all(serial in text for serial in valid)
    assert "张伟" not in text  # holders are masked on the card
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None, "poppler-utils is installed by scripts/run.sh"
    subprocess.run([pdftoppm, "-r", "200", "-png", str(out), str(tmp_path / "page")], check=True)
    [png] = sorted(tmp_path.glob("page*.png"))
    codes = [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    assert len(codes) == len(valid)
    for code in codes:
        verified = _tg("badge", "verify", code, "--keys", str(keys), "--date", "2026-11-23", "--db", str(db))
        assert verified.exit_code == 0, verified.output
    with sqlite3.connect(db) as conn:
        [(payload,)] = conn.execute("SELECT payload FROM audit_log WHERE kind = 'badge_print'").fetchall()
    assert json.loads(payload)["badges"] == len(valid)


def _revocations(db: Path, keys: Path, day: str, out: Path) -> dict[str, Any]:
    """Write the day's signed revocation list with the CLI; returns its body."""
    made = _tg("badge", "revocations", "--date", day, "--db", str(db), "--keys", str(keys), "--out", str(out))
    assert made.exit_code == 0, made.output
    body: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))["list"]
    assert f"吊销名单#{body['sequence']}（" in made.stderr
    return body


def test_an_older_revocation_list_cannot_be_replayed_to_a_scanner(tmp_path: Path) -> None:
    """A badge revoked after list #N is valid against #N; once #N+1 is seen, #N is refused with one line (exit 1)."""
    keys, db, serials, day = _day(tmp_path)
    code = _code(db, keys, serials[0])
    older_file, newer_file = tmp_path / "older.json", tmp_path / "newer.json"
    older = _revocations(db, keys, day, older_file)
    before = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(older_file))
    assert before.exit_code == 0, before.output  # the list cannot know of a revocation made after it
    assert f"吊销名单#{older['sequence']}签发于" in before.stdout
    seen = keys / "seen-revocations.json"
    assert stat.S_IMODE(seen.stat().st_mode) == 0o600

    assert _tg("badge", "revoke", serials[0], "--reason", "遗失", "--operator", "王芳", "--db", str(db)).exit_code == 0
    newer = _revocations(db, keys, day, newer_file)
    assert newer["sequence"] == older["sequence"] + 1
    revoked = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(newer_file))
    assert (revoked.exit_code, "无效：标识已作废" in revoked.stdout) == (5, True)

    replayed = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(older_file))
    assert replayed.exit_code == 1
    assert replayed.stdout == ""
    [line] = replayed.stderr.splitlines()
    assert f"吊销名单#{older['sequence']}早于本机已使用过的#{newer['sequence']}，拒绝使用" in line
    assert json.loads(seen.read_text(encoding="utf-8"))["seen_revocation_lists"][0]["sequence"] == newer["sequence"]

    elsewhere = tmp_path / "other-scanner.json"  # a scanner that never saw the newer list cannot know better
    fresh = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(older_file),
                "--seen-lists", str(elsewhere))
    assert fresh.exit_code == 0, fresh.output
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600

    edited = tmp_path / "edited.json"
    edited.write_text(newer_file.read_text(encoding="utf-8").replace('"signed_at": "', '"signed_at": "1'),
                      encoding="utf-8")
    refused = _tg("badge", "verify", code, "--keys", str(keys), "--date", day, "--revocations", str(edited))
    assert refused.exit_code == 1
    assert "该吊销名单不是用本中心的密钥签发的" in refused.stderr


def test_a_list_numbered_like_one_seen_but_different_is_refused(tmp_path: Path) -> None:
    """The same sequence with other contents (signed with the centre's key) is forged or replayed: exit 1."""
    keys, db, serials, day = _day(tmp_path)
    listing = tmp_path / "list.json"
    body = _revocations(db, keys, day, listing)
    assert _tg("badge", "verify", _code(db, keys, serials[1]), "--keys", str(keys), "--date", day,
               "--revocations", str(listing)).exit_code == 0
    other = Revocations(centre="MY", day=dt.date.fromisoformat(day), sequence=body["sequence"],
                        signed_at=dt.datetime.now(SHANGHAI), revoked={serials[1]: "认错人"})
    listing.write_text(other.to_json(load_signing_key(keys)), encoding="utf-8")
    forged = _tg("badge", "verify", _code(db, keys, serials[1]), "--keys", str(keys), "--date", day,
                 "--revocations", str(listing))
    assert forged.exit_code == 1
    assert "内容不同（伪造或重放）" in forged.stderr


def test_verify_says_how_old_the_list_is_in_text_and_json(tmp_path: Path) -> None:
    """A list signed 23 minutes ago: its number and age in the verdict's text, and as fields of --json."""
    keys, db, serials, day = _day(tmp_path)
    signed = dt.datetime.now(SHANGHAI).replace(microsecond=0) - dt.timedelta(minutes=23, seconds=5)
    listing = tmp_path / "list.json"
    listed = Revocations(centre="MY", day=dt.date.fromisoformat(day), sequence=7, signed_at=signed)
    listing.write_text(listed.to_json(load_signing_key(keys)), encoding="utf-8")
    args = ["badge", "verify", _code(db, keys, serials[0]), "--keys", str(keys), "--date", day,
            "--revocations", str(listing)]
    text = _tg(*args)
    assert text.exit_code == 0, text.output
    verdict, age = text.stdout.splitlines()
    assert verdict.startswith("有效：")
    shown = signed.strftime("%H:%M") if signed.date() == dt.datetime.now(SHANGHAI).date() \
        else f"{signed.year}年{signed.month}月{signed.day}日 {signed:%H:%M}"
    assert age == f"吊销名单#7签发于{shown}，已过23分钟"
    data = json.loads(_tg(*args, "--json").stdout)
    assert data["valid"] is True
    assert data["revocations_sequence"] == 7
    assert dt.datetime.fromisoformat(data["revocations_signed_at"]) == signed
    assert 23 * 60 <= data["revocations_age_seconds"] < 24 * 60
    online = json.loads(_tg("badge", "verify", _code(db, keys, serials[0]), "--keys", str(keys), "--date", day,
                            "--db", str(db), "--json").stdout)
    assert online["revocations_sequence"] is None
