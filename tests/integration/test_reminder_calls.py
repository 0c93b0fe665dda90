"""The reminder call log on SQLite and PostgreSQL: calls survive a restart and drive the due list."""

from __future__ import annotations

import datetime as dt

from sqlkit import AT, CENTRE, gate_on

from tenderguard import Agency, BidSession, ManualClock
from tenderguard.store.sql import SqlStore


def test_calls_are_stored_and_read_back_from_a_new_store(db_url: str) -> None:
    """A callback and a reached call, logged at one desk, are what another store sees; the due list follows."""
    store = SqlStore(db_url, CENTRE)
    clock = ManualClock(AT)
    gate = gate_on(store, clock)
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", contact="李娜", phone="13811112222"))
    gate.register_agency(Agency(code="HY", name="北京华宇工程咨询有限公司"))
    tomorrow = AT + dt.timedelta(days=1)
    gate.register_session(BidSession(code="T1", project_name="道路工程", opens_at=tomorrow, hall="第一开标室",
                                     agency="ZX"))
    gate.register_session(BidSession(code="T3", project_name="管网工程", opens_at=tomorrow, hall="第二开标室",
                                     agency="HY"))
    gate.log_call(agency="HY", caller="王芳", outcome="callback", callback_at=AT + dt.timedelta(hours=1),
                  note="负责人开会")
    gate.log_call(agency="ZX", caller="王芳", outcome="reached", answered_by="李娜")
    store.dispose()

    other = SqlStore(db_url, CENTRE)
    try:
        later = gate_on(other, ManualClock(AT + dt.timedelta(hours=2)))
        groups = later.reminder_groups(2)
        [hy] = [g for g in groups if g.agency.code == "HY"]
        assert (hy.attempts, hy.callback_at, hy.calls[0].note) == (1, AT + dt.timedelta(hours=1), "负责人开会")
        assert hy.callback_at is not None
        assert hy.callback_at.utcoffset() == dt.timedelta(hours=8)
        assert [g.agency.code for g in later.reminders_due(2)] == ["HY"]
    finally:
        other.dispose()
