"""Sessions that change after registration, on each store (memory, SQLite, PostgreSQL): postpone, cancel, edit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from gatekit import CENTRE, COMPANIES, DAY, HALL_1, HALL_2, PEOPLE, SESSION, Harness, HarnessFactory

from tenderguard import Agency, BidSession, InMemoryStore, SessionStatus
from tenderguard.domain.model import SHANGHAI, AdmissionStatus, BadgeStatus, Outcome
from tenderguard.domain.outbox import OutboxStatus
from tenderguard.domain.reminders import due
from tenderguard.errors import InvalidInputError, NotFoundError, SessionStatusError
from tenderguard.notices.documents import build_notice

CODE = "MY-2026-130"
OPENS = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
LATER = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
ZX = Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222",
            email="bid@zhengxin.example")


def _day(make: HarnessFactory, *, second: bool = False) -> Harness:
    """The morning of 2026-11-23 with 正信's session MY-2026-130 at 10:00 (and MY-2026-131 at 15:00 if asked)."""
    h = make()
    h.gate.register_agency(ZX)
    h.gate.register_session(BidSession(code=CODE, project_name="密云区溪翁庄镇污水管网工程", opens_at=OPENS,
                                       hall=HALL_1, agency="ZX"))
    if second:
        h.gate.register_session(BidSession(code="MY-2026-131", project_name="密云区河道治理工程",
                                           opens_at=OPENS.replace(hour=15), hall=HALL_2, agency="ZX"))
    return h


def test_a_postponed_session_moves_to_its_new_day_with_its_badges_notices_and_reminders(
        make: HarnessFactory) -> None:
    """Postponed to 11-25: old-day badge revoked, notice superseded and queued anew, agency due, desk follows."""
    h = _day(make)
    admitted = h.admit(PEOPLE[0], COMPANIES[0], session=CODE)
    h.gate.log_call(agency="ZX", caller="王芳", outcome="will_relay", answered_by="李娜", sessions=[CODE])
    queued, _ = h.gate.queue_notices(1)
    assert [i.key for i in queued] == ["notice:ZX:2026-11-23"]
    assert [g.reached for g in h.gate.reminder_groups(3)] == [True]
    h.clock.advance(minutes=10)

    done = h.gate.postpone_session(CODE, LATER, operator="王芳", reason="评标专家未到齐")

    s = h.gate.session(CODE)
    assert (s.status, s.opens_at, s.postponed_from, s.status_reason) == (
        SessionStatus.POSTPONED, LATER, OPENS, "评标专家未到齐")
    assert s.day(h.centre) == dt.date(2026, 11, 25)
    badge = h.gate.badge(str(admitted.badge))
    assert badge.status is BadgeStatus.REVOKED
    assert badge.revoked_reason == "场次 MY-2026-130 延期至 2026年11月25日 09:30：评标专家未到齐"
    assert done.revoked == (admitted.badge,)
    assert h.gate.revocations(DAY).revoked == {admitted.badge: badge.revoked_reason}
    with h.uow() as uow:
        [admission] = uow.attendance.for_day(DAY)
        outbox = {i.key: i for i in uow.outbox.items()}
    assert admission.status is AdmissionStatus.REVOKED
    assert outbox["notice:ZX:2026-11-23"].status is OutboxStatus.SUPERSEDED
    assert outbox["notice:ZX:2026-11-25"].status is OutboxStatus.PENDING
    assert done.superseded == ("notice:ZX:2026-11-23",)
    assert done.queued == ("notice:ZX:2026-11-25",)
    assert h.gate.queue_notices(5)[0] == []  # `remind send` does not queue the new day twice
    [group] = h.gate.reminder_groups(5)
    assert (group.day, [x.code for x in group.sessions], group.reached) == (dt.date(2026, 11, 25), [CODE], False)
    assert due([group], h.clock.now()) == [group]
    notice = build_notice(group, policy=h.policy, centre=h.centre)
    assert "2026年11月25日" in notice.subject
    assert "09:30" in notice.text
    assert "10:00" not in notice.text

    with pytest.raises(SessionStatusError, match="已延期至 2026年11月25日 09:30"):
        h.desk.arrive(h.arrival(PEOPLE[1], COMPANIES[1], session=CODE))
    h.gate.log_call(agency="ZX", caller="王芳", outcome="reached", answered_by="李娜", sessions=[CODE])
    assert h.gate.reminder_groups(5)[0].reached

    h.clock.set(dt.datetime(2026, 11, 25, 8, 40, tzinfo=SHANGHAI))
    again = h.admit(PEOPLE[0], COMPANIES[0], session=CODE)
    assert again.outcome == Outcome.ADMITTED
    assert again.badge != admitted.badge

    with h.uow() as uow:
        [entry] = [e for e in uow.audit.about(CODE) if e.kind == "session_postponed"]
        revoked = uow.audit.about(admitted.badge, "badge_revoked")
    assert (entry.operator, entry.payload["reason"], entry.payload["badges_revoked"]) == (
        "王芳", "评标专家未到齐", [admitted.badge])
    assert [e.operator for e in revoked] == ["王芳"]
    assert h.gate.verify_audit().ok


def test_a_postponement_within_the_day_keeps_the_badges(make: HarnessFactory) -> None:
    """Moved from 10:00 to 14:30 the same day: the badge stays valid, the desk still screens for it today."""
    h = _day(make)
    admitted = h.admit(PEOPLE[0], COMPANIES[0], session=CODE)
    done = h.gate.postpone_session(CODE, OPENS.replace(hour=14, minute=30), operator="王芳")
    assert done.revoked == ()
    assert h.gate.badge(str(admitted.badge)).status is BadgeStatus.ACTIVE
    assert h.admit(PEOPLE[1], COMPANIES[1], session=CODE).outcome == Outcome.ADMITTED


def test_a_postponement_to_the_past_or_earlier_is_refused(make: HarnessFactory) -> None:
    """The new opening must be in the future and later than the current one; nothing changes otherwise."""
    h = _day(make)
    with pytest.raises(InvalidInputError, match="已经过去"):
        h.gate.postpone_session(CODE, h.clock.now() - dt.timedelta(minutes=5), operator="王芳")
    with pytest.raises(InvalidInputError, match="不晚于原定"):
        h.gate.postpone_session(CODE, OPENS - dt.timedelta(minutes=30), operator="王芳")
    with pytest.raises(InvalidInputError, match="operator"):
        h.gate.postpone_session(CODE, LATER, operator=" ")
    with pytest.raises(NotFoundError, match="没有编号为 MY-0000 的场次"):
        h.gate.postpone_session("MY-0000", LATER, operator="王芳")
    assert h.gate.session(CODE).status is SessionStatus.SCHEDULED


def test_a_cancelled_session_is_refused_at_the_desk_and_leaves_the_reminders(make: HarnessFactory) -> None:
    """Cancelled: badge revoked, desk refuses, the day's notice replaced by one without it, nothing more to call."""
    h = _day(make, second=True)
    admitted = h.admit(PEOPLE[0], COMPANIES[0], session=CODE)
    halfway = h.desk.arrive(h.arrival(PEOPLE[1], COMPANIES[1], session=CODE))
    h.gate.queue_notices(1)

    done = h.gate.cancel_session(CODE, operator="李强", reason="招标人撤回")
    assert done.ended == (halfway.id,)
    with h.uow() as uow:
        ended = uow.screenings.get(halfway.id)
        assert ended is not None
        last_operator = ended.records[-1].operator  # step records are read in the unit of work that loaded them
    assert (ended.outcome, ended.reason, last_operator) == (Outcome.REFUSED, "session_closed", "李强")

    assert h.gate.session(CODE).status is SessionStatus.CANCELLED
    assert h.gate.badge(str(admitted.badge)).revoked_reason == "场次 MY-2026-130 已取消：招标人撤回"
    assert done.superseded == ("notice:ZX:2026-11-23",)
    assert done.queued == ("notice:ZX:2026-11-23:2",)
    refused = "场次 MY-2026-130 已取消（招标人撤回），不能为该场次办理入场"
    with pytest.raises(SessionStatusError, match=re.escape(refused)):
        h.desk.arrive(h.arrival(PEOPLE[1], COMPANIES[1], session=CODE))
    [group] = h.gate.reminder_groups(2)
    assert [s.code for s in group.sessions] == ["MY-2026-131"]
    assert CODE not in build_notice(group, policy=h.policy, centre=h.centre).text
    changes: list[Callable[[], object]] = [
        lambda: h.gate.cancel_session(CODE, operator="李强"),
        lambda: h.gate.postpone_session(CODE, LATER, operator="李强"),
        lambda: h.gate.edit_session(CODE, operator="李强", project_name="新名称"),
    ]
    for change in changes:
        with pytest.raises(SessionStatusError, match="已取消，不能再"):
            change()
    assert [c.kind for c in h.gate.session_record(CODE).history] == ["cancelled"]


def test_edits_check_the_hall_and_stop_where_records_would_be_falsified(make: HarnessFactory) -> None:
    """Project, hall and agency change before anyone is admitted; the hall not after; nothing after the opening."""
    h = _day(make)
    h.gate.register_agency(Agency(code="HY", name="北京华宇工程咨询有限公司"))
    with pytest.raises(InvalidInputError, match="不在本中心政策的开标室名单中"):
        h.gate.edit_session(CODE, operator="王芳", hall="第九开标室")
    with pytest.raises(NotFoundError, match="代理机构 XX 未登记"):
        h.gate.edit_session(CODE, operator="王芳", agency="XX")
    with pytest.raises(InvalidInputError, match="没有修改"):
        h.gate.edit_session(CODE, operator="王芳", hall=HALL_1)
    h.gate.queue_notices(1)
    h.gate.edit_session(CODE, operator="王芳", hall=HALL_2)
    with h.uow() as uow:
        assert {i.key: str(i.status) for i in uow.outbox.items()} == {
            "notice:ZX:2026-11-23": "superseded", "notice:ZX:2026-11-23:2": "pending"}  # the new hall's notice
    h.gate.edit_session(CODE, operator="王芳", agency="HY", project_name="密云区污水管网改造工程")
    s = h.gate.session(CODE)
    assert (s.hall, s.agency, s.project_name) == (HALL_2, "HY", "密云区污水管网改造工程")
    inside = h.admit(PEOPLE[0], COMPANIES[0], session=CODE)
    with pytest.raises(SessionStatusError, match=r"已有 1 人入场.*不能再改开标室"):
        h.gate.edit_session(CODE, operator="王芳", hall=HALL_1)
    assert inside.badge is not None
    h.gate.revoke_badge(inside.badge, reason="认错人", operator="王芳")
    h.gate.edit_session(CODE, operator="王芳", hall=HALL_1)  # no place held in the old hall any more
    h.admit(PEOPLE[1], COMPANIES[1], session=CODE)
    with pytest.raises(SessionStatusError, match=r"已有 1 人入场.*不能再改开标室"):
        h.gate.edit_session(CODE, operator="王芳", hall=HALL_2)
    h.gate.edit_session(CODE, operator="王芳", project_name="密云区污水管网改造工程(二期)")
    h.clock.set(OPENS + dt.timedelta(minutes=1))
    with pytest.raises(SessionStatusError, match="开标后不能修改"):
        h.gate.edit_session(CODE, operator="王芳", project_name="又一个名称")
    with pytest.raises(SessionStatusError, match="开标后不能延期"):
        h.gate.postpone_session(CODE, LATER, operator="王芳")
    history = h.gate.session_record(CODE).history
    assert [(c.kind, c.operator) for c in history] == [("edited", "王芳")] * 4
    assert history[0].details["changes"]["hall"] == [HALL_1, HALL_2]


def test_list_and_show_give_the_status_counts_and_history(make: HarnessFactory) -> None:
    """A period's sessions in opening order (one postponed away, apart); one session's counts and its history."""
    h = _day(make)
    h.admit(PEOPLE[0], COMPANIES[0], session=CODE)
    h.desk.arrive(h.arrival(PEOPLE[1], COMPANIES[0], session=CODE))  # a second person of the company: refused
    h.gate.postpone_session(CODE, LATER, operator="王芳", reason="场地检修")
    listed = h.gate.sessions_between(DAY, dt.date(2026, 11, 30))
    assert [s.code for s in listed] == [SESSION, "MY-2026-121", CODE]
    assert [s.code for s in h.gate.sessions_between(dt.date(2026, 11, 24), dt.date(2026, 11, 25))] == [CODE]
    assert [(was, s.code) for was, s in h.gate.sessions_moved_from(DAY, DAY)] == [(OPENS, CODE)]
    assert h.gate.sessions_moved_from(DAY, dt.date(2026, 11, 25)) == []  # listed at its new opening instead
    with pytest.raises(InvalidInputError, match="早于开始日期"):
        h.gate.sessions_between(dt.date(2026, 11, 25), DAY)
    record = h.gate.session_record(CODE)
    c = record.counts
    assert (c.screenings, c.admitted, c.refused, c.badges, c.revoked) == (2, 1, 1, 1, 1)
    assert record.agency == ZX
    [change] = record.history
    assert (change.kind, change.operator, change.details["reason"]) == ("postponed", "王芳", "场地检修")
    assert change.at == h.clock.now()


def test_importing_the_original_day_again_leaves_a_postponed_session_as_it_is(make: HarnessFactory) -> None:
    """The day's file imported again after a postponement is no clash; other details still are, pointing at edit."""
    h = _day(make)
    original = BidSession(code=CODE, project_name="密云区溪翁庄镇污水管网工程", opens_at=OPENS, hall=HALL_1,
                          agency="ZX")
    h.gate.postpone_session(CODE, LATER, operator="王芳")
    assert h.gate.register_day([ZX], [original]) == (1, 0)
    assert h.gate.session(CODE).opens_at == LATER
    moved = BidSession(code=CODE, project_name="密云区溪翁庄镇污水管网工程", opens_at=LATER.replace(day=28),
                       hall=HALL_1, agency="ZX")
    with pytest.raises(InvalidInputError, match="session postpone"):
        h.gate.register_day([ZX], [moved])


def test_the_memory_store_keeps_the_status_across_units_of_work() -> None:
    """The in-memory store saves a changed session like the SQL stores do (only on commit)."""
    store = InMemoryStore(CENTRE)
    session = BidSession(code=CODE, project_name="道路工程", opens_at=OPENS, hall=HALL_1)
    with store.unit_of_work() as uow:
        uow.sessions.add(session)
        uow.commit()
    with store.unit_of_work() as uow:
        uow.sessions.save(BidSession(code=CODE, project_name="道路工程", opens_at=LATER, hall=HALL_1,
                                     status="postponed", postponed_from=OPENS))
    with store.unit_of_work() as uow:  # not committed: unchanged
        assert uow.sessions.get(CODE) == session
        assert [s.code for s in uow.sessions.all(LATER.date())] == []
