"""The interactive desk end to end: the real program in a pseudo-terminal against a SQLite day."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tenderguard import BidSession, Centre, Gate, ManualClock, SqlStore, load_preset
from tenderguard.desk import run_desk
from tenderguard.desk.terminal import CLEAR_SCREEN
from tenderguard.domain.catalogue import reason_tell
from tenderguard.domain.model import SHANGHAI
from tenderguard.factories import credit_code, resident_id
from tenderguard.identity import mask_document_number
from tenderguard.keys import load_id_secret

#: Each test drives the desk in a pseudo-terminal (a fresh process): the long pass runs them.
pytestmark = pytest.mark.slow

CENTRE = Centre(code="MY", name="公共资源交易中心")
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
SERIAL = re.compile(r"MY-\d{8}-\d{4}")
NAME, OTHER_NAME = "张伟", "李秀英"


def _mistyped(number: str) -> str:
    """The number with its check character changed: a one-character typo."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


class Day:
    """A SQLite database and key folder with session S1 registered for today."""

    def __init__(self, folder: Path) -> None:
        self.db, self.keys = folder / "day.db", folder / "keys"
        self.store = SqlStore(f"sqlite:///{self.db}", CENTRE)
        secret, _created = load_id_secret(self.keys)
        self.gate = Gate(policy=load_preset("miyun-2020"), centre=CENTRE, uow_factory=self.store.unit_of_work,
                         secret=secret)
        self.gate.register_session(BidSession(code="S1", project_name="密云区道路工程",
                                              opens_at=dt.datetime.now(SHANGHAI), hall="第一开标室"))


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    """Today's registered session on a fresh database."""
    found = Day(tmp_path)
    yield found
    found.store.dispose()


class Screen:
    """A desk process in a pseudo-terminal; what it showed, with the terminal's escape codes taken out."""

    def __init__(self, day: Day, *args: str, term: str = "xterm") -> None:
        env = dict(os.environ, TERM=term, PROMPT_TOOLKIT_NO_CPR="1")
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "tenderguard.desk", "--session", "S1", "--desk", "A", "--operator", "王芳",
             "--db", str(day.db), "--keys", str(day.keys), *args],
            encoding="utf-8", env=env, timeout=15, dimensions=(50, 200),
        )
        self.raw = ""
        self.pos = 0

    @property
    def text(self) -> str:
        """Everything shown so far, without escape codes."""
        return ANSI.sub("", self.raw)

    def since_last_clear(self) -> str:
        """What is on the screen now: the output after the last clear-screen, without escape codes."""
        return ANSI.sub("", self.raw.rsplit(CLEAR_SCREEN, 1)[-1])

    def _read(self) -> None:
        try:
            self.raw += self.child.read_nonblocking(4096, timeout=0.2)
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            time.sleep(0.05)

    def wait(self, what: str, timeout: float = 15) -> str:
        """Wait until ``what`` is shown after the previous match; return the text up to it."""
        end = time.monotonic() + timeout
        while True:
            text = self.text
            found = text.find(what, self.pos)
            if found >= 0:
                start, self.pos = self.pos, found + len(what)
                return text[start:self.pos]
            if time.monotonic() > end:
                raise AssertionError(f"{what!r} was not shown; the screen ends with {text[-800:]!r}")
            self._read()

    def answer(self, prompt: str, line: str) -> str:
        """Wait for a prompt and type a line; return what was shown up to the prompt.

        The line is taken once the terminal has moved past it (prompt_toolkit draws the prompt again on Enter).
        """
        shown = self.wait(prompt)
        self.child.sendline(line)
        self.wait("\n")
        return shown

    def quit(self) -> None:
        """Type q and check the desk closes cleanly."""
        self.child.sendline("q")
        assert self.finish() == 0

    def finish(self) -> int:
        """Wait for the process to end; its exit status."""
        self.child.expect(pexpect.EOF)
        self.raw += self.child.before or ""
        self.child.close()
        return self.child.exitstatus or 0


def _arrive(screen: Screen, name: str = NAME, person: int = 1, company: int = 1) -> None:
    """Register a bidder (Chinese prompts) without typos."""
    screen.answer("姓名>", name)
    screen.answer("证件号>", resident_id(person))
    screen.answer("请选择（序号）>", "1")
    screen.answer("单位名称>", f"北京某某建设工程有限公司{company}")
    screen.answer("统一社会信用代码>", credit_code(company))
    screen.answer("手机号（可回车跳过）>", "13800138000")
    screen.answer("重点地区？（y 是 / n 否）>", "n")


def _steps_to_temperature(screen: Screen) -> None:
    screen.answer("请选择（序号）>", "1")  # mask worn properly
    screen.answer("脚踩84消毒垫：已完成？", "")
    screen.answer("手喷酒精：已完成？", "")


def _rest_of_steps(screen: Screen) -> str:
    """Health questions, declaration, mask disposal; return the outcome line's text."""
    for _ in range(3):
        screen.answer("（y 是 / n 否）>", "n")
    screen.answer("请选择（序号）>", "1")  # declaration complete
    screen.answer("废罩密封（丢弃）：已完成？", "")
    return screen.wait("回车登记下一位")


def test_admitted_end_to_end_shows_and_stores_the_badge(day: Day) -> None:
    """A bidder goes through every step, is admitted, and the serial shown is the badge stored in the database."""
    screen = Screen(day)
    _arrive(screen)
    _steps_to_temperature(screen)
    screen.answer("（℃，如 36.5）>", "36.5")
    shown = _rest_of_steps(screen)
    assert "准予进入" in shown
    match = SERIAL.search(shown)
    assert match is not None, shown
    assert "第一开标室" in shown
    screen.quit()
    badge = day.gate.badge(match[0])
    assert badge.session == "S1"
    assert badge.holder_masked == "张*"
    [view] = day.gate.outcomes()["admitted"]
    assert view.badge == match[0]


def test_mistyped_id_number_and_credit_code_are_asked_again(day: Day) -> None:
    """A wrong check digit in the ID number or credit code is refused at the prompt and asked again; none stored."""
    screen = Screen(day)
    screen.answer("姓名>", NAME)
    screen.answer("证件号>", _mistyped(resident_id(1)))
    assert "身份证号有误" in screen.answer("证件号>", resident_id(1))
    screen.answer("请选择（序号）>", "1")
    screen.answer("单位名称>", "北京某某建设工程有限公司")
    screen.answer("统一社会信用代码>", _mistyped(credit_code(1)))
    assert "统一社会信用代码有误" in screen.answer("统一社会信用代码>", credit_code(1))
    screen.answer("手机号（可回车跳过）>", "")
    screen.answer("（y 是 / n 否）>", "n")
    assert mask_document_number(resident_id(1)) in screen.wait("佩戴口罩")
    screen.answer("请选择（序号）>", "q")
    assert screen.finish() == 0
    [view] = day.gate.open_screenings()
    assert view.step == "mask"
    assert day.gate.outcomes()["admitted"] == []


def test_mistyped_temperature_is_asked_again_and_never_stored(day: Day) -> None:
    """'3b.5', '365' and 'nan' are asked again without reaching the database; 36.6 then passes."""
    screen = Screen(day)
    _arrive(screen)
    _steps_to_temperature(screen)
    screen.answer("（℃，如 36.5）>", "3b.5")
    assert "不是体温读数" in screen.answer("（℃，如 36.5）>", "365")
    assert "不是体温读数" in screen.answer("（℃，如 36.5）>", "nan")
    assert "不是体温读数" in screen.answer("（℃，如 36.5）>", "36.6")
    screen.wait("体温36.6℃，正常")
    screen.answer("（y 是 / n 否）>", "q")
    assert screen.finish() == 0
    [view] = day.gate.open_screenings()
    assert view.readings == 1
    assert view.step == "temperature"


def test_fever_is_re_measured_after_rest_then_refused_with_the_reason(day: Day, tmp_path: Path) -> None:
    """A fever shows the rest time; 'r' re-measures when due; still feverish after the re-measures → refused."""
    preset = (Path(__file__).resolve().parents[2] / "tenderguard" / "presets" / "miyun-2020.toml").read_text("utf-8")
    policy = tmp_path / "no-rest.toml"
    policy.write_text(preset.replace("rest_minutes = 5", "rest_minutes = 0"), encoding="utf-8")
    screen = Screen(day, "--policy", str(policy))
    _arrive(screen)
    _steps_to_temperature(screen)
    screen.answer("（℃，如 36.5）>", "38.5")
    assert "体温38.5℃偏高" in screen.wait("后复测")
    for reading in ("38.4", "38.6"):
        screen.answer("p 暂不复测>", "r")
        screen.answer("（℃，如 36.5）>", reading)
    shown = screen.wait("回车登记下一位")
    assert "不予进入" in shown
    assert "发热" in shown
    assert reason_tell("fever") in shown
    screen.quit()
    [view] = day.gate.outcomes()["refused"]
    assert view.reason == "fever"


def test_re_measure_before_the_rest_is_over_is_refused_at_the_prompt(day: Day) -> None:
    """With the usual 5-minute rest, 'r' right away says the re-measure is not due and shows the time."""
    screen = Screen(day)
    _arrive(screen)
    _steps_to_temperature(screen)
    screen.answer("（℃，如 36.5）>", "38.5")
    until = re.search(r"(\d\d:\d\d:\d\d)后复测", screen.wait("后复测"))
    assert until is not None
    screen.answer("到时输入 r 复测", "r")
    assert f"还未到复测时间（{until[1]}）" in screen.wait("到时输入 r 复测")
    screen.child.sendline("a")
    assert "未完成检查即离开" in screen.wait("回车登记下一位")
    screen.quit()
    assert [v.reason for v in day.gate.outcomes()["abandoned"]] == ["abandoned"]


def test_english_mode_shows_english_prompts(day: Day) -> None:
    """--lang en: the prompts and the outcome are in English."""
    screen = Screen(day, "--lang", "en")
    screen.answer("Name>", NAME)
    screen.answer("ID number>", resident_id(1))
    screen.answer("Choose (number)>", "5")  # expert: no company asked
    screen.answer("Mobile phone (Enter to skip)>", "")
    screen.answer("(y yes / n no)>", "n")
    screen.answer("Choose (number)>", "2")  # mask replaced at the desk
    screen.answer("done? (Enter to confirm", "")
    screen.answer("done? (Enter to confirm", "")
    screen.answer("Temperature reading", "36.4")
    for _ in range(3):
        screen.answer("(y yes / n no)>", "n")
    screen.answer("Choose (number)>", "1")
    screen.answer("done? (Enter to confirm", "")
    shown = screen.wait("Enter for the next arrival")
    assert "ADMITTED" in shown
    assert SERIAL.search(shown)
    screen.quit()
    assert "Desk closed" in screen.text
    assert "姓名" not in screen.text


def test_interrupted_screening_is_resumed_after_a_kill(day: Day) -> None:
    """Killed mid-screening with SIGKILL, the desk lists the open screening masked, resumes it and admits."""
    first = Screen(day)
    _arrive(first)
    first.answer("请选择（序号）>", "1")
    first.answer("脚踩84消毒垫：已完成？", "")
    first.wait("手喷酒精：已完成？")
    first.child.kill(signal.SIGKILL)
    first.child.close()
    second = Screen(day)
    listed = second.wait("回车登记新到人员")
    assert "张*" in listed
    assert NAME not in listed
    assert "手喷酒精" in listed
    second.child.sendline("1")
    second.answer("手喷酒精：已完成？", "")
    second.answer("（℃，如 36.5）>", "36.5")
    shown = _rest_of_steps(second)
    assert "准予进入" in shown
    second.quit()
    assert len(day.gate.outcomes()["admitted"]) == 1
    assert day.gate.open_screenings() == []


def test_previous_person_is_not_on_screen_for_the_next_arrival(day: Day) -> None:
    """After the outcome the screen is cleared: the next arrival never sees the last name, ID or company."""
    screen = Screen(day)
    _arrive(screen)
    after_registration = screen.wait("佩戴口罩")
    assert NAME not in after_registration
    assert resident_id(1) not in after_registration
    _steps_to_temperature(screen)
    screen.answer("（℃，如 36.5）>", "36.5")
    _rest_of_steps(screen)
    screen.child.sendline("")
    screen.wait("姓名>")
    on_screen = screen.since_last_clear()
    for secret in (NAME, "张*", resident_id(1), "北京某某建设工程有限公司1", credit_code(1), "13800138000"):
        assert secret not in on_screen
    screen.child.sendline(OTHER_NAME)
    screen.answer("证件号>", "q")
    assert screen.finish() == 0


def test_plain_terminal_fallback_screens_an_arrival(day: Day) -> None:
    """With TERM=dumb the plain line prompts are used and an arrival can be admitted."""
    screen = Screen(day, term="dumb")
    _arrive(screen)
    _steps_to_temperature(screen)
    screen.answer("（℃，如 36.5）>", "36.5")
    assert "准予进入" in _rest_of_steps(screen)
    screen.quit()


def test_abandon_with_a_records_that_the_person_left(day: Day) -> None:
    """'a' during a step abandons the screening: recorded as abandoned, not left open."""
    screen = Screen(day)
    _arrive(screen)
    screen.answer("请选择（序号）>", "a")
    assert "未完成检查即离开" in screen.wait("回车登记下一位")
    screen.quit()
    assert len(day.gate.outcomes()["abandoned"]) == 1
    assert day.gate.open_screenings() == []


def test_run_desk_without_a_terminal_waits_out_the_rest_on_an_injected_clock(day: Day) -> None:
    """run_desk with injected prompts: Enter waits the 5-minute rest (the sleep moves the clock), then re-measures."""
    clock = ManualClock(dt.datetime.now(SHANGHAI))
    gate = Gate(policy=day.gate.policy, centre=CENTRE, uow_factory=day.store.unit_of_work, clock=clock,
                secret=day.gate.secret)
    typed = iter([NAME, resident_id(2), "1", "北京某某建设工程有限公司2", credit_code(2), "", "n",
                  "1", "", "", "38.0", "", "36.8", "n", "n", "n", "1", "", "", "q"])
    shown: list[str] = []
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.set(clock.now() + dt.timedelta(seconds=seconds))

    def prompt(text: str) -> str:
        shown.append(text)
        return next(typed)

    tally = run_desk(gate, session="S1", desk="B", operator="王芳", prompt_fn=prompt, output=shown.append, sleep=sleep)
    assert tally == {"admitted": 1}
    assert sum(slept) == pytest.approx(300)
    assert any("等待复测" in line for line in shown)
    [view] = gate.outcomes()["admitted"]
    assert view.readings == 2


def test_a_fever_is_parked_while_the_desk_screens_the_next_person(day: Day) -> None:
    """'p' during the rest parks the person; the next one is screened; the parked one is resumed and admitted."""
    clock = ManualClock(dt.datetime.now(SHANGHAI))
    gate = Gate(policy=day.gate.policy, centre=CENTRE, uow_factory=day.store.unit_of_work, clock=clock,
                secret=day.gate.secret)

    def person(n: int) -> list[str]:
        return [NAME, resident_id(n), "1", f"北京某某建设工程有限公司{n}", credit_code(n), "", "n"]

    steps_after_reading = ["n", "n", "n", "1", ""]
    typed = iter([*person(3), "1", "", "", "38.0", "p",  # a fever: parked
                  "", "", *person(4), "1", "", "", "36.5", *steps_after_reading,  # the next person, admitted
                  "", "1", "", "36.8", *steps_after_reading,  # the parked one, resumed once the rest is over
                  "", "q"])
    shown: list[str] = []

    def prompt(text: str) -> str:
        shown.append(text)
        if "输入序号继续" in text and sum("输入序号继续" in line for line in shown) == 2:
            clock.set(clock.now() + dt.timedelta(minutes=6))  # the rest is over by the second listing
        return next(typed)

    tally = run_desk(gate, session="S1", desk="B", operator="王芳", prompt_fn=prompt, output=shown.append,
                     sleep=lambda _seconds: pytest.fail("the desk waited instead of going on"))
    assert tally == {"parked": 1, "admitted": 2}
    assert any("正在休息" in line for line in shown)
    assert any("休息中" in line for line in shown)  # the parked person listed with the re-measure time
    admitted = gate.outcomes()["admitted"]
    assert sorted(v.readings for v in admitted) == [1, 2]


def test_unregistered_session_exits_with_one_line(day: Day) -> None:
    """A session not registered today stops the desk before the first prompt: exit 1 and one clear line."""
    screen = Screen(day, "--session", "NOPE")
    status = screen.finish()
    assert status == 1
    assert "NOPE" in screen.text
    assert "Traceback" not in screen.text
