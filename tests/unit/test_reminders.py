"""Pre-bid reminder calls: grouping by agency and day, the call log's rules, and the due list."""

from __future__ import annotations

import datetime as dt

import pytest
from gatekit import COMPANIES, MORNING, PEOPLE, Harness

from tenderguard.domain.model import Agency, BidSession
from tenderguard.domain.reminders import CallOutcome, ReminderCall
from tenderguard.errors import InvalidInputError, NotFoundError

TOMORROW = MORNING + dt.timedelta(days=1)


@pytest.fixture
def day(miyun: Harness) -> Harness:
    """Two agencies: 正信 with two sessions tomorrow and one the day after, 华宇 with one tomorrow."""
    gate = miyun.gate
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222"))
    gate.register_agency(Agency(code="HY", name="北京华宇工程咨询有限公司", contact="王强", phone="13933334444"))
    for code, agency, at in (("T1", "ZX", TOMORROW + dt.timedelta(hours=1)),
                             ("T2", "ZX", TOMORROW + dt.timedelta(hours=5)),
                             ("T3", "HY", TOMORROW + dt.timedelta(hours=2)),
                             ("D2", "ZX", TOMORROW + dt.timedelta(days=1, hours=1))):
        gate.register_session(BidSession(code=code, project_name="密云区道路工程", opens_at=at, hall="第一开标室",
                                         agency=agency))
    return miyun


def test_one_call_per_agency_and_day(day: Harness) -> None:
    """正信's two sessions tomorrow are one call; its session the day after is another; 华宇 has its own."""
    groups = day.gate.reminder_groups(3)
    assert [(g.day.isoformat(), g.agency.code, [s.code for s in g.sessions]) for g in groups] == [
        ("2026-11-24", "ZX", ["T1", "T2"]), ("2026-11-24", "HY", ["T3"]), ("2026-11-25", "ZX", ["D2"])]
    assert all(not g.reached for g in groups)
    assert [g.agency.code for g in day.gate.reminder_groups(1)] == []  # today has no agency sessions


def test_a_reached_call_takes_the_agency_off_the_due_list(day: Harness) -> None:
    """Reaching 正信 about its next day's sessions (the default) leaves 华宇 and 正信's later day due."""
    call = day.gate.log_call(agency="ZX", caller="王芳", outcome="will_relay", answered_by="李娜")
    assert call.sessions == ("T1", "T2")
    due = day.gate.reminders_due(3)
    assert [(g.agency.code, g.day.isoformat()) for g in due] == [("HY", "2026-11-24"), ("ZX", "2026-11-25")]
    [entry] = [e for e in day.audit() if e.kind == "reminder_call"]
    assert (entry.subject, entry.payload["outcome"]) == ("ZX", "will_relay")


def test_no_answer_stays_due_and_a_callback_waits_for_its_time(day: Harness) -> None:
    """An unanswered call keeps the agency due; a callback hides it until the agreed time."""
    day.gate.log_call(agency="HY", caller="王芳", outcome="no_answer")
    assert "HY" in {g.agency.code for g in day.gate.reminders_due(1 + 1)}
    later = day.clock.now() + dt.timedelta(hours=2)
    day.gate.log_call(agency="HY", caller="王芳", outcome="callback", callback_at=later)
    assert "HY" not in {g.agency.code for g in day.gate.reminders_due(2)}
    day.clock.advance(minutes=121)
    [hy] = [g for g in day.gate.reminders_due(2) if g.agency.code == "HY"]
    assert (hy.attempts, hy.callback_at) == (2, later)


def test_a_call_covering_only_part_of_a_day_leaves_the_day_due(day: Harness) -> None:
    """Reaching 正信 about T1 only does not cover T2: the agency-day stays due."""
    day.gate.log_call(agency="ZX", caller="王芳", outcome="reached", answered_by="李娜", sessions=["T1"])
    [zx] = [g for g in day.gate.reminders_due(2) if g.agency.code == "ZX"]
    assert not zx.reached


def test_call_rules_are_checked(day: Harness) -> None:
    """Unknown agency, another agency's session, a callback without time, reached without who answered."""
    with pytest.raises(NotFoundError):
        day.gate.log_call(agency="XX", caller="王芳", outcome="reached", answered_by="李娜")
    with pytest.raises(InvalidInputError, match="不是代理机构ZX的场次"):
        day.gate.log_call(agency="ZX", caller="王芳", outcome="reached", answered_by="李娜", sessions=["T3"])
    with pytest.raises(InvalidInputError, match="约定回拨需要填写约定的时间"):
        day.gate.log_call(agency="ZX", caller="王芳", outcome="callback")
    with pytest.raises(InvalidInputError, match="写明接听人"):
        day.gate.log_call(agency="ZX", caller="王芳", outcome="reached")
    with pytest.raises(InvalidInputError, match="不是通话结果"):
        day.gate.log_call(agency="ZX", caller="王芳", outcome="maybe")
    with pytest.raises(InvalidInputError):
        day.gate.reminder_groups(0)
    assert day.store.calls == {}


def test_outcomes_that_count_as_reached() -> None:
    """Only reached and will_relay count; a call's callback time must follow the call."""
    assert {o for o in CallOutcome if o.reached} == {CallOutcome.REACHED, CallOutcome.WILL_RELAY}
    with pytest.raises(InvalidInputError, match="不在通话之后"):
        ReminderCall(agency="ZX", sessions=("T1",), at=MORNING, caller="王芳", outcome="callback",
                     callback_at=MORNING - dt.timedelta(minutes=5))


def test_desk_throughput_is_measured_from_a_days_records(miyun: Harness) -> None:
    """Twelve screenings finished a minute apart at one desk: 12 people over 11 busy minutes."""
    for i in range(12):  # later arrivals of a company are refused at once: finished screenings all the same
        assert miyun.admit(PEOPLE[i % len(PEOPLE)], COMPANIES[i % len(COMPANIES)]).closed
        miyun.clock.advance(minutes=1)
    measured = miyun.gate.measured_throughput(miyun.clock.now().date())
    assert measured == pytest.approx(12 / 11)
    assert Harness().gate.measured_throughput(MORNING.date()) is None  # nobody screened: nothing to measure
