"""A session's status in the domain: who may be screened when, what can change, which calls still count."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from gatekit import CENTRE, HALL_1

from tenderguard.domain.model import SHANGHAI, Agency, BidSession, SessionStatus
from tenderguard.domain.reminders import ReminderCall, agency_days, due
from tenderguard.domain.session_status import check_changeable, check_screenable
from tenderguard.errors import InvalidInputError, SessionStatusError
from tenderguard.services.sessions import same_registration

OPENS = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
LATER = dt.datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)
SCHEDULED = BidSession(code="MY-2026-118", project_name="道路工程", opens_at=OPENS, hall=HALL_1, agency="ZX")
POSTPONED = attrs.evolve(SCHEDULED, opens_at=LATER, status="postponed", postponed_from=OPENS,
                         status_changed_at=OPENS - dt.timedelta(hours=2), status_reason="专家未到齐")
ZX = Agency(code="ZX", name="北京正信招标代理有限公司")


def test_a_postponed_session_is_screened_on_its_new_day_only() -> None:
    """The old day says where it went (in Chinese, with the reason); the new day screens it."""
    with pytest.raises(SessionStatusError, match="已延期至 2026年11月25日 09:30 开标（专家未到齐）"):
        check_screenable(POSTPONED, OPENS.date(), CENTRE)
    check_screenable(POSTPONED, LATER.date(), CENTRE)
    with pytest.raises(InvalidInputError):
        check_screenable(SCHEDULED, LATER.date(), CENTRE)


def test_a_cancelled_session_is_never_screened_nor_changed() -> None:
    """Refused at the desk on its day; any change is refused with the reason why."""
    cancelled = attrs.evolve(SCHEDULED, status=SessionStatus.CANCELLED)
    with pytest.raises(SessionStatusError, match="已取消"):
        check_screenable(cancelled, OPENS.date(), CENTRE)
    with pytest.raises(SessionStatusError, match="已取消，不能再延期"):
        check_changeable(cancelled, OPENS - dt.timedelta(days=1), "延期", CENTRE)


def test_a_session_that_has_opened_is_not_changed() -> None:
    """Up to the opening it may change; from the opening on it may not."""
    check_changeable(SCHEDULED, OPENS - dt.timedelta(minutes=1), "修改", CENTRE)
    with pytest.raises(SessionStatusError, match="开标后不能修改"):
        check_changeable(SCHEDULED, OPENS, "修改", CENTRE)


def test_a_call_before_the_postponement_no_longer_counts() -> None:
    """Reached before it was postponed: due again; a call after the postponement reaches it."""
    before = ReminderCall(agency="ZX", sessions=("MY-2026-118",), at=OPENS - dt.timedelta(days=1), caller="王芳",
                          outcome="reached", answered_by="李娜")
    [group] = agency_days([POSTPONED], {"ZX": ZX}, [before], CENTRE)
    assert not group.reached
    assert due([group], OPENS) == [group]
    after = attrs.evolve(before, at=OPENS)
    [group] = agency_days([POSTPONED], {"ZX": ZX}, [before, after], CENTRE)
    assert group.reached
    [never_moved] = agency_days([SCHEDULED], {"ZX": ZX}, [before], CENTRE)
    assert never_moved.reached


def test_a_callback_agreed_before_the_postponement_does_not_hold_the_call_back() -> None:
    """A callback time set before the postponement is forgotten: the agency is due now."""
    callback = ReminderCall(agency="ZX", sessions=("MY-2026-118",), at=OPENS - dt.timedelta(days=1), caller="王芳",
                            outcome="callback", callback_at=OPENS + dt.timedelta(hours=6))
    [group] = agency_days([POSTPONED], {"ZX": ZX}, [callback], CENTRE)
    assert group.callback_at is None
    assert due([group], OPENS) == [group]


def test_importing_the_registered_details_again_is_no_clash() -> None:
    """The same details, or a changed session's original ones, are the same registration; others are not."""
    assert same_registration(SCHEDULED, SCHEDULED)
    assert same_registration(POSTPONED, SCHEDULED)
    assert not same_registration(SCHEDULED, attrs.evolve(SCHEDULED, hall="第二开标室"))
    assert not same_registration(POSTPONED, attrs.evolve(SCHEDULED, project_name="另一个工程"))
    assert not same_registration(POSTPONED, attrs.evolve(SCHEDULED, opens_at=OPENS + dt.timedelta(days=9)))
