"""The bidder sign-in sheet: its rows, their order and masking, substitutes, the refusal before the opening, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from gatekit import COMPANIES, HALL_1, PEOPLE, SESSION, SESSION_PM, Harness

from tenderguard.domain.model import SHANGHAI, Agency, BidSession
from tenderguard.errors import InvalidInputError, NotFoundError, TenderGuardError, TooEarlyError
from tenderguard.identity import mask_name
from tenderguard.policy import Role

ZHANG, LI, LIU, CHEN = PEOPLE[:4]
BUILDER, BRIDGES, CIVIL, AGENT = COMPANIES[:4]
OPENING = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)


def _after_opening(h: Harness) -> None:
    h.clock.set(OPENING + dt.timedelta(minutes=5))


def test_one_row_per_bidder_company_by_admission_time(miyun: Harness) -> None:
    """Companies admitted for the session are listed by admission time: name, credit code, masked name, serial."""
    second = miyun.admit(LI, BRIDGES)
    miyun.clock.advance(minutes=7)
    first_later = miyun.admit(ZHANG, BUILDER)
    miyun.clock.advance(minutes=3)
    third = miyun.admit(LIU, CIVIL)
    _after_opening(miyun)
    sheet = miyun.gate.signin_sheet(SESSION, operator="王芳")
    assert [r.badge for r in sheet.rows] == [second.badge, first_later.badge, third.badge]
    assert [r.company for r in sheet.rows] == [BRIDGES.name, BUILDER.name, CIVIL.name]
    assert [r.credit_code for r in sheet.rows] == [BRIDGES.credit_code, BUILDER.credit_code, CIVIL.credit_code]
    assert [r.representative for r in sheet.rows] == ["李*", "张*", "刘*"]
    assert [r.representative for r in sheet.rows] == [mask_name(p.name) for p in (LI, ZHANG, LIU)]
    times = [r.arrived_at for r in sheet.rows]
    assert times == sorted(times)
    assert all(r.note is None for r in sheet.rows)
    assert sheet.session.code == SESSION
    assert sheet.session.hall == HALL_1
    assert sheet.session.opens_at == OPENING
    assert sheet.centre == miyun.centre
    assert sheet.made_at == miyun.clock.now()


def test_the_session_shows_its_agency(miyun: Harness) -> None:
    """A session registered with an agency carries the agency's name and code."""
    miyun.gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司"))
    miyun.gate.register_session(BidSession(code="MY-2026-130", project_name="密云区中医医院医疗设备采购",
                                           opens_at=OPENING, hall=HALL_1, agency="ZX"))
    _after_opening(miyun)
    sheet = miyun.gate.signin_sheet("MY-2026-130")
    assert (sheet.session.agency, sheet.session.agency_code) == ("北京正信招标代理有限公司", "ZX")
    assert sheet.session.project == "密云区中医医院医疗设备采购"
    assert sheet.rows == ()


def test_other_roles_sessions_and_outcomes_are_left_out(badge_only: Harness) -> None:
    """Agencies, other sessions, refused and unfinished arrivals are not on the bidders' sheet."""
    h = badge_only
    admitted = h.admit(ZHANG, BUILDER)
    h.admit(LI, AGENT, role=Role.AGENCY)
    h.admit(LIU, BRIDGES, session=SESSION_PM)
    h.desk.arrive(h.arrival(CHEN, CIVIL))  # still at the desk
    h.admit(PEOPLE[4], BUILDER)  # a second person of an admitted company: refused
    _after_opening(h)
    assert [r.badge for r in h.gate.signin_sheet(SESSION).rows] == [admitted.badge]


def test_a_substitute_holds_the_place_and_the_substitution_is_noted(badge_only: Harness) -> None:
    """After a substitution the row shows the substitute, with the one replaced (masked) and the old serial."""
    h = badge_only
    first = h.admit(ZHANG, BUILDER)
    other = h.admit(LI, BRIDGES)
    h.clock.advance(minutes=20)
    assert first.badge is not None
    substitute = h.run(h.desk.substitute(h.arrival(LIU, BUILDER), replaces=first.badge, reason="原代表有事离开"))
    _after_opening(h)
    sheet = h.gate.signin_sheet(SESSION)
    assert [r.badge for r in sheet.rows] == [other.badge, substitute.badge]
    row = sheet.rows[1]
    assert row.representative == "刘*"
    assert row.company == BUILDER.name
    assert [(r.badge, r.representative) for r in row.replaced] == [(first.badge, "张*")]
    assert row.note == f"换人：接替 张*({first.badge})"
    assert "有事" not in (row.note or "")  # the reason typed at the desk stays in the audit trail
    assert sheet.substitutions == 1


def test_a_substitute_of_a_substitute_lists_both(badge_only: Harness) -> None:
    """Two substitutions in a row: the row names the latest holder and both it replaced, latest first."""
    h = badge_only
    first = h.admit(ZHANG, BUILDER)
    assert first.badge is not None
    second = h.run(h.desk.substitute(h.arrival(LI, BUILDER), replaces=first.badge, reason="换人"))
    assert second.badge is not None
    third = h.run(h.desk.substitute(h.arrival(LIU, BUILDER), replaces=second.badge, reason="再换人"))
    _after_opening(h)
    [row] = h.gate.signin_sheet(SESSION).rows
    assert row.badge == third.badge
    assert [r.badge for r in row.replaced] == [second.badge, first.badge]


def test_a_revoked_place_leaves_the_sheet_and_a_re_entry_keeps_one_row(badge_only: Harness) -> None:
    """A company whose badge was revoked (nobody since) has no row; one who went out and back keeps its first time."""
    h = badge_only
    kept = h.admit(ZHANG, BUILDER)
    lost = h.admit(LI, BRIDGES)
    assert kept.badge is not None
    assert lost.badge is not None
    h.gate.revoke_badge(lost.badge, reason="认错人", operator="王芳")
    h.clock.advance(minutes=10)
    h.desk.record_exit(kept.badge)
    h.clock.advance(minutes=10)
    h.admit(ZHANG, BUILDER)  # the same person back in: a re-entry on the same badge
    _after_opening(h)
    [row] = h.gate.signin_sheet(SESSION).rows
    assert row.badge == kept.badge
    assert row.arrived_at < h.clock.now() - dt.timedelta(minutes=20)


def test_before_the_opening_the_sheet_is_refused(miyun: Harness) -> None:
    """Before the opening time: TooEarlyError in Chinese with the opening time, and nothing is audited."""
    miyun.admit(ZHANG, BUILDER)
    miyun.clock.set(OPENING - dt.timedelta(seconds=1))
    with pytest.raises(TooEarlyError) as caught:
        miyun.gate.signin_sheet(SESSION, operator="王芳")
    assert isinstance(caught.value, TenderGuardError)
    assert "开标前不能生成签到表" in str(caught.value)
    assert "2026年11月23日 09:30" in str(caught.value)
    assert (caught.value.session, caught.value.opens_at) == (SESSION, OPENING)
    assert not [e for e in miyun.audit() if e.kind == "signin_sheet"]


def test_at_the_opening_time_the_sheet_is_made(miyun: Harness) -> None:
    """At the opening minute itself the sheet may be made."""
    miyun.admit(ZHANG, BUILDER)
    miyun.clock.set(OPENING)
    assert len(miyun.gate.signin_sheet(SESSION).rows) == 1


def test_each_sheet_made_is_audited(miyun: Harness) -> None:
    """Every sheet made adds a signin_sheet entry about the session, with the operator and the counts."""
    miyun.admit(ZHANG, BUILDER)
    _after_opening(miyun)
    miyun.gate.signin_sheet(SESSION, operator="王芳")
    miyun.gate.signin_sheet(SESSION, operator=" 李强 ")
    entries = [e for e in miyun.audit() if e.kind == "signin_sheet"]
    assert [(e.subject, e.operator) for e in entries] == [(SESSION, "王芳"), (SESSION, "李强")]
    assert dict(entries[0].payload) == {"rows": 1, "substitutions": 0}
    assert entries[0].at == miyun.clock.now()


def test_unknown_or_missing_session_and_operator_are_refused(miyun: Harness) -> None:
    """An unknown session is NotFoundError; an empty session or operator is InvalidInputError naming it."""
    _after_opening(miyun)
    with pytest.raises(NotFoundError):
        miyun.gate.signin_sheet("MY-2026-999")
    with pytest.raises(InvalidInputError) as empty:
        miyun.gate.signin_sheet(" ")
    assert empty.value.field == "session"
    with pytest.raises(InvalidInputError) as wrong:
        miyun.gate.signin_sheet(118)  # type: ignore[arg-type]
    assert wrong.value.field == "session"
    with pytest.raises(InvalidInputError) as nobody:
        miyun.gate.signin_sheet(SESSION, operator="")
    assert nobody.value.field == "operator"
