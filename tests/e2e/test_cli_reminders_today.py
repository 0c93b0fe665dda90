"""`remind plan` and `remind due` from another day (--today), with the agency's phone to dial in full."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner, Result

from tenderguard import Agency, BidSession, Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI


def _tg(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def _days(tmp_path: Path) -> tuple[Path, dt.date]:
    """Two agencies: 正信 (a mobile) with a session tomorrow, 华宇 (a landline) with one the day after."""
    db = tmp_path / "day.db"
    store = SqlStore(f"sqlite:///{db}", Centre(code="MY", name="密云区公共资源交易中心"))
    gate = Gate(policy=load_preset("badge-only"), centre=store.centre, uow_factory=store.unit_of_work)
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222"))
    gate.register_agency(Agency(code="HY", name="北京华宇工程咨询有限公司", contact="王强", phone="010-6904 1234"))
    tomorrow = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
    for code, agency, day in (("MY-T1", "ZX", tomorrow), ("MY-T2", "HY", tomorrow + dt.timedelta(days=1))):
        opens = dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI)
        gate.register_session(BidSession(code=code, project_name="密云区道路工程", opens_at=opens, hall="第一开标室",
                                         agency=agency))
    store.dispose()
    return db, tomorrow


def test_plan_from_tomorrow_lists_its_calls_with_phones_in_full(tmp_path: Path) -> None:
    """--today tomorrow --days 1 is tomorrow's one call; the mobile and the landline show every digit."""
    db, tomorrow = _days(tmp_path)
    plan = _tg("remind", "plan", "--db", str(db), "--today", tomorrow.isoformat(), "--days", "1")
    assert plan.exit_code == 0, plan.output
    [line] = plan.stdout.splitlines()
    assert line.startswith(f"{tomorrow.year}年{tomorrow.month}月{tomorrow.day}日 09:30  北京正信招标代理有限公司  李娜 "
                           "13811112222  MY-T1  待通知")
    both = _tg("remind", "plan", "--db", str(db), "--today", tomorrow.isoformat(), "--days", "2", "--json")
    rows = [json.loads(r) for r in both.stdout.splitlines()]
    assert [(r["agency"], r["phone"], r["day"]) for r in rows] == [
        ("ZX", "13811112222", tomorrow.isoformat()),
        ("HY", "010-69041234", (tomorrow + dt.timedelta(days=1)).isoformat())]
    assert "*" not in both.stdout
    assert _tg("remind", "plan", "--db", str(db), "--days", "1").stdout == ""  # today has no session
    assert _tg("remind", "plan", "--db", str(db), "--days", "2", "--show-phones").exit_code == 0  # old scripts


def test_due_tomorrow_includes_a_callback_agreed_for_tomorrow(tmp_path: Path) -> None:
    """A callback set for tomorrow 10:00 is not due today, but is on tomorrow's list (--today tomorrow)."""
    db, tomorrow = _days(tmp_path)
    called = _tg("remind", "call", "--db", str(db), "--agency", "ZX", "--outcome", "callback", "--caller", "王芳",
                 "--callback-at", f"{tomorrow} 10:00")
    assert called.exit_code == 0, called.output
    now = _tg("remind", "due", "--db", str(db), "--days", "3", "--json")
    assert [json.loads(r)["agency"] for r in now.stdout.splitlines()] == ["HY"]
    ahead = _tg("remind", "due", "--db", str(db), "--days", "2", "--today", tomorrow.isoformat())
    assert ahead.exit_code == 0, ahead.output
    lines = ahead.stdout.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["北京正信招标代理有限公司", "北京华宇工程咨询有限公司"]
    assert "回拨" in lines[0]
    assert "约定" in lines[0]
    assert "王强 010-69041234" in lines[1]
    later = (tomorrow + dt.timedelta(days=5)).isoformat()
    assert _tg("remind", "due", "--db", str(db), "--today", later).stdout.startswith("无待办")


def test_a_malformed_today_is_a_usage_error(tmp_path: Path) -> None:
    """--today takes YYYY-MM-DD; anything else is exit 2 naming the option."""
    db, _tomorrow = _days(tmp_path)
    bad = _tg("remind", "plan", "--db", str(db), "--today", "明天")
    assert bad.exit_code == 2
    assert "--today" in bad.output
