"""The command speaks Chinese by default and English with LANG=en: result lines, error lines, badge verdicts."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from tenderguard import Agency, BidSession, Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI
from tenderguard.keys import load_signing_key

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "arrivals.jsonl"
CENTRE = Centre(code="MY", name="公共资源交易中心")
ENGLISH = {"LANG": "en_US.UTF-8"}
CJK = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _tg(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, list(args))


def _badge_code(tmp_path: Path) -> tuple[Path, str, str]:
    """Keys, the QR text of a badge screened on 2026-11-23 and its serial."""
    keys, db = tmp_path / "keys", tmp_path / "day.db"
    assert _tg("keys", "init", "--dir", str(keys)).exit_code == 0
    _tg("screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db), "--keys", str(keys))
    listed = _tg("badge", "list", "--date", "2026-11-23", "--db", str(db), "--json")
    serial = json.loads(listed.stdout.splitlines()[0])["serial"]
    store = SqlStore(f"sqlite:///{db}", CENTRE)
    try:
        gate = Gate(policy=load_preset("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
        return keys, gate.badge_code(gate.badge(serial), load_signing_key(keys)), serial
    finally:
        store.dispose()


def test_badge_verify_says_valid_in_chinese_and_in_english(tmp_path: Path) -> None:
    """有效：… by default, VALID: … with LANG=en; --json keeps the codes in both."""
    keys, code, serial = _badge_code(tmp_path)
    args = ("badge", "verify", code, "--keys", str(keys), "--date", "2026-11-23")
    chinese = _tg(*args)
    assert chinese.exit_code == 0, chinese.output
    assert chinese.stdout == f"有效：当日标识，本中心签发 — {serial}\n"
    english = _tg(*args, env=ENGLISH)
    assert english.stdout == f"VALID: today's badge, signed by this centre — {serial}\n"
    for env in (None, ENGLISH):
        data = json.loads(_tg(*args, "--json", env=env).stdout)
        assert (data["valid"], data["reason"], data["serial"]) == (True, "valid", serial)


def test_an_error_is_one_chinese_line_and_one_english_line_with_lang_en() -> None:
    """A mistyped ID number: 错误：身份证号：… in Chinese, Error: id_number: … in English; no traceback."""
    chinese = _tg("id", "110105194912310021")
    assert chinese.exit_code == 1
    assert chinese.stderr.startswith("错误：身份证号：校验码是1，但按前17位应为X")
    assert chinese.stderr.count("\n") == 1
    assert not re.search(r"[A-Za-z]", chinese.stderr.replace("应为X", ""))  # X is the check character itself
    english = _tg("id", "110105194912310021", env=ENGLISH)
    assert english.exit_code == 1
    assert english.stderr == ("Error: id_number: check digit is 1 but the first 17 digits require X (one of the 18 "
                              "characters was mistyped; re-read the whole number from the card)\n")
    assert not CJK.search(english.stderr)
    assert "Traceback" not in chinese.output + english.output


def test_remind_call_takes_the_outcome_by_its_chinese_name(tmp_path: Path) -> None:
    """--outcome 未接通 logs no_answer (the agency stays due); 已接通 needs who answered, like reached."""
    db = tmp_path / "day.db"
    store = SqlStore(f"sqlite:///{db}", CENTRE)
    gate = Gate(policy=load_preset("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222"))
    tomorrow = dt.datetime.now(SHANGHAI).replace(hour=9, minute=30, second=0, microsecond=0) + dt.timedelta(days=1)
    gate.register_session(BidSession(code="T1", project_name="道路工程", opens_at=tomorrow, hall="第一开标室",
                                     agency="ZX"))
    store.dispose()
    missed = _tg("remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "未接通", "--caller", "王芳")
    assert missed.exit_code == 0, missed.output
    assert missed.stdout.startswith("已记录：ZX未接通（T1），")
    assert "北京正信招标代理有限公司" in _tg("remind", "due", "--db", str(db), "--days", "2").stdout
    unnamed = _tg("remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "已接通", "--caller", "王芳")
    assert unnamed.exit_code == 1
    assert "请写明接听人" in unnamed.stderr
    reached = _tg("remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "已接通", "--caller", "王芳",
                  "--answered-by", "李娜")
    assert reached.exit_code == 0, reached.output
    assert "已接通" in reached.stdout
    assert _tg("remind", "due", "--db", str(db), "--days", "2").stdout.startswith("无待办")
    english = _tg("remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "No answer", "--caller", "王芳",
                  env=ENGLISH)
    assert english.stdout.startswith("logged: ZX no answer (T1) at ")
    wrong = _tg("remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "没打通", "--caller", "王芳")
    assert wrong.exit_code == 1
    assert "“没打通”不是通话结果" in wrong.stderr


def test_the_export_csv_names_roles_and_outcomes(tmp_path: Path) -> None:
    """`export` writes 投标人 and 准予进入, not bidder and admitted; the reason's code stays beside its text."""
    db, keys, out = tmp_path / "day.db", tmp_path / "keys", tmp_path / "day.csv"
    _tg("screen", "--register-sessions", "--batch", str(SAMPLE), "--db", str(db), "--keys", str(keys))
    done = _tg("export", "--db", str(db), "--date", "2026-11-23", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert done.stdout.startswith("2026年11月23日的")
    text = out.read_text(encoding="utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("到达时间,开标场次,开标室,身份,单位名称")
    assert "投标人" in text
    assert "准予进入" in text
    assert ",bidder," not in text
    assert ",admitted," not in text
