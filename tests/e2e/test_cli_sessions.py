"""`tenderguard session list/show/edit/postpone/cancel`: tables in Chinese, and one Chinese line for a mistake.

What the commands print is the message catalogue's wording (looked up here with the same msgids), with the values.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tenderguard import Agency, BidSession, Centre, Gate, SqlStore, load_preset
from tenderguard.cli import cli
from tenderguard.domain.model import SHANGHAI
from tenderguard.i18n import _, format_datetime

TOMORROW = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1)
LATER = TOMORROW + dt.timedelta(days=3)
CJK = re.compile(r"[\u4e00-\u9fff]")


def _tg(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args[:2], "--db", str(db), *args[2:]])


def _failed(result: Result, *expected: str) -> None:
    """Exit 1, one Chinese line on standard error naming what is wrong, nothing on standard output, no traceback."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(_("Error: {message}", message=""))
    assert CJK.search(line.removeprefix(_("Error: {message}", message="")))
    for text in expected:
        assert text in line
    assert "Traceback" not in result.output


def _at(day: dt.date, hour: int, minute: int) -> str:
    return format_datetime(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """正信's two sessions tomorrow (09:30 第一开标室, 14:00 第二开标室) in a fresh SQLite file."""
    path = tmp_path / "day.db"
    store = SqlStore(f"sqlite:///{path}", Centre(code="MY", name="密云区公共资源交易中心"))
    gate = Gate(policy=load_preset("miyun-2020"), centre=store.centre, uow_factory=store.unit_of_work)
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222",
                                email="bid@zhengxin.example"))
    for code, at, hall in (("MY-T1", dt.time(9, 30), "第一开标室"), ("MY-T2", dt.time(14, 0), "第二开标室")):
        gate.register_session(BidSession(code=code, project_name="密云区溪翁庄镇道路工程", hall=hall, agency="ZX",
                                         opens_at=dt.datetime.combine(TOMORROW, at, tzinfo=SHANGHAI)))
    store.dispose()
    return path


def test_list_shows_a_days_sessions_in_a_table_with_chinese_headers(db: Path) -> None:
    """--day is one day's table; --from/--to a period; --json one object per session."""
    listed = _tg(db, "session", "list", "--day", TOMORROW.isoformat())
    assert listed.exit_code == 0, listed.output
    headers = [_(h) for h in ("session code", "project name", "opens at", "bid hall", "procurement agency",
                              "session status")]
    assert headers[0] == "场次编号"
    header = next(line for line in listed.stdout.splitlines() if headers[0] in line)
    assert [h in header for h in headers] == [True] * 6
    rows = [line for line in listed.stdout.splitlines() if "MY-T" in line]
    assert len(rows) == 2
    assert "北京正信招标代理有限公司" in rows[0]
    assert _("as scheduled") in rows[0]
    assert f"{TOMORROW} 09:30" in rows[0]
    as_json = _tg(db, "session", "list", "--from", TOMORROW.isoformat(), "--to", LATER.isoformat(), "--json")
    assert [json.loads(r)["code"] for r in as_json.stdout.splitlines()] == ["MY-T1", "MY-T2"]
    assert _("no session registered for these days") in _tg(db, "session", "list").stdout  # today has none


def test_postpone_moves_the_session_and_show_tells_its_history(db: Path) -> None:
    """Postponed: listed on its new day as 已延期, on the old day with its new opening; show has who and why."""
    moved = _tg(db, "session", "postpone", "MY-T1", "--to", f"{LATER} 09:30", "--reason", "评标专家未到齐",
                "--operator", "王芳")
    assert moved.exit_code == 0, moved.output
    assert _("session {code} postponed to {opening} (was {before})", code="MY-T1", opening=_at(LATER, 9, 30),
             before=_at(TOMORROW, 9, 30)) in moved.stdout
    assert _("; call agency {agency} again", agency="ZX") in moved.stdout
    old_day = [json.loads(r) for r in _tg(db, "session", "list", "--day", TOMORROW.isoformat(), "--json")
               .stdout.splitlines()]
    assert [(r["code"], r["status"], r["moved_from"]) for r in old_day] == [
        ("MY-T1", "postponed", f"{TOMORROW}T09:30:00+08:00"), ("MY-T2", "scheduled", None)]
    assert old_day[0]["opens_at"] == f"{LATER}T09:30:00+08:00"
    new_day = _tg(db, "session", "list", "--day", LATER.isoformat())
    assert _("postponed") in new_day.stdout
    shown = _tg(db, "session", "show", "MY-T1")
    assert shown.exit_code == 0, shown.output
    status = _("{status} (was {opening})", status=_("postponed"), opening=_at(TOMORROW, 9, 30))
    assert _("  status: {status}", status=_("{status}; reason: {reason}", status=status, reason="评标专家未到齐")) \
        in shown.stdout
    [change] = [line for line in shown.stdout.splitlines() if "王芳" in line]
    assert _("postponed {before} → {after}", before=_at(TOMORROW, 9, 30), after=_at(LATER, 9, 30)) in change
    data = json.loads(_tg(db, "session", "show", "MY-T1", "--json").stdout)
    assert (data["status"], data["history"][0]["operator"]) == ("postponed", "王芳")
    assert data["counts"] == {"screenings": 0, "admitted": 0, "refused": 0, "badges": 0, "badges_revoked": 0}
    plan = _tg(db, "remind", "plan", "--days", "7", "--json")
    assert [(json.loads(r)["day"], json.loads(r)["sessions"]) for r in plan.stdout.splitlines()] == [
        (TOMORROW.isoformat(), ["MY-T2"]), (LATER.isoformat(), ["MY-T1"])]


def test_list_shows_a_session_on_each_day_it_was_postponed_from(db: Path) -> None:
    """Postponed twice: each old day's table has it at its old opening, marked 已延期 to its opening now."""
    middle = TOMORROW + dt.timedelta(days=1)
    for to in (f"{middle} 10:00", f"{LATER} 09:30"):
        assert _tg(db, "session", "postpone", "MY-T1", "--to", to, "--operator", "王芳").exit_code == 0
    moved = _("{status} to {opening}", status=_("postponed"), opening=_at(LATER, 9, 30))
    assert moved == f"已延期至{_at(LATER, 9, 30)}"
    for day, opening in ((TOMORROW, "09:30"), (middle, "10:00")):
        listed = _tg(db, "session", "list", "--day", day.isoformat())
        assert listed.exit_code == 0, listed.output
        [row] = [line for line in listed.stdout.splitlines() if "MY-T1" in line]
        assert f"{day} {opening}" in row
        assert moved in row
    new_day = _tg(db, "session", "list", "--day", LATER.isoformat())
    [row] = [line for line in new_day.stdout.splitlines() if "MY-T1" in line]
    assert f"{LATER} 09:30" in row
    assert _("{status} (was {opening})", status=_("postponed"), opening=_at(middle, 10, 0)) in row
    period = _tg(db, "session", "list", "--from", TOMORROW.isoformat(), "--to", LATER.isoformat(), "--json")
    assert [(json.loads(r)["code"], json.loads(r)["moved_from"]) for r in period.stdout.splitlines()] == [
        ("MY-T2", None), ("MY-T1", None)]  # within the period: once, at its opening now


def test_edit_changes_the_hall_within_the_policy(db: Path) -> None:
    """A hall of the policy is taken; one it does not list is one line naming the policy's halls."""
    edited = _tg(db, "session", "edit", "MY-T1", "--hall", "第二开标室", "--project", "密云区道路工程(二期)",
                 "--operator", "王芳")
    assert edited.exit_code == 0, edited.output
    assert edited.stdout.strip() == _("session {code} changed: {project} / {hall} / {agency}", code="MY-T1",
                                      project="密云区道路工程(二期)", hall="第二开标室", agency="ZX")
    _failed(_tg(db, "session", "edit", "MY-T1", "--hall", "第九开标室", "--operator", "王芳"),
            "第九开标室", "第一开标室、第二开标室")


def test_cancel_then_any_change_is_refused(db: Path) -> None:
    """Cancelled: it says so; editing, postponing or cancelling it again is one line saying it is cancelled."""
    cancelled = _tg(db, "session", "cancel", "MY-T2", "--reason", "招标人撤回", "--operator", "李强")
    assert cancelled.exit_code == 0, cancelled.output
    assert cancelled.stdout.strip() == _("session {code} cancelled", code="MY-T2")
    _failed(_tg(db, "session", "edit", "MY-T2", "--project", "新项目", "--operator", "王芳"), "MY-T2", "已取消")
    _failed(_tg(db, "session", "postpone", "MY-T2", "--to", f"{LATER} 09:30", "--operator", "王芳"), "MY-T2", "已取消")
    _failed(_tg(db, "session", "cancel", "MY-T2", "--operator", "王芳"), "MY-T2", "已取消")
    shown = json.loads(_tg(db, "session", "show", "MY-T2", "--json").stdout)
    assert (shown["status"], shown["reason"], shown["history"][0]["operator"]) == ("cancelled", "招标人撤回", "李强")


@pytest.mark.parametrize(("args", "expected"), [
    (("session", "show", "MY-T9"), ("MY-T9", "session list")),
    (("session", "postpone", "MY-T9", "--to", f"{LATER} 09:30", "--operator", "王芳"), ("MY-T9",)),
    (("session", "cancel", "MY-T9", "--operator", "王芳"), ("MY-T9",)),
    (("session", "edit", "MY-T9", "--project", "新项目", "--operator", "王芳"), ("MY-T9",)),
    (("session", "postpone", "MY-T1", "--to", "2026-13-01 09:30", "--operator", "王芳"),
     ("--to", "2026-13-01 09:30", "2026-12-11 09:30")),
    (("session", "postpone", "MY-T1", "--to", "下周一", "--operator", "王芳"), ("--to", "下周一")),
    (("session", "postpone", "MY-T1", "--to", "2020-01-06 09:30", "--operator", "王芳"), ("2020年1月6日 09:30",)),
    (("session", "postpone", "MY-T1", "--to", f"{TOMORROW} 08:00", "--operator", "王芳"),
     (f"{TOMORROW.year}年{TOMORROW.month}月{TOMORROW.day}日 09:30",)),
    (("session", "postpone", "MY-T1", "--to", f"{LATER} 09:30"), ("--operator",)),
    (("session", "edit", "MY-T1", "--operator", "王芳"), ("--project", "--hall", "--agency")),
    (("session", "edit", "MY-T1", "--agency", "XX", "--operator", "王芳"), ("XX",)),
    (("session", "list", "--day", "明天"), ("--day", "明天")),
    (("session", "list", "--day", TOMORROW.isoformat(), "--from", TOMORROW.isoformat()), ("--day", "--from")),
    (("session", "list", "--from", LATER.isoformat(), "--to", TOMORROW.isoformat()),
     (LATER.isoformat(), TOMORROW.isoformat())),
])
def test_a_mistake_is_one_chinese_line_and_exit_1(db: Path, args: tuple[str, ...], expected: tuple[str, ...]) -> None:
    """Unknown codes, bad or past dates, a missing operator or change: one line, exit 1, nothing changed."""
    _failed(_tg(db, *args), *expected)
    unchanged = json.loads(_tg(db, "session", "show", "MY-T1", "--json").stdout)
    assert (unchanged["status"], unchanged["history"]) == ("scheduled", [])
