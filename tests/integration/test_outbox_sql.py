"""The outbox on SQLite and PostgreSQL: two senders at once send each notice exactly once."""

from __future__ import annotations

import datetime as dt
import threading

from sqlkit import AT, CENTRE, gate_on

from tenderguard import Agency, BidSession, ManualClock
from tenderguard.domain.outbox import OutboxItem, OutboxStatus
from tenderguard.domain.reminders import AgencyDay
from tenderguard.store.sql import SqlStore


def test_two_senders_racing_send_each_notice_once(db_url: str) -> None:
    """Ten agencies' notices, two sender threads with their own stores: ten sends in all, all marked sent."""
    store = SqlStore(db_url, CENTRE)
    gate = gate_on(store, ManualClock(AT))
    for n in range(10):
        gate.register_agency(Agency(code=f"AG{n}", name=f"北京第{n}招标代理有限公司", email=f"bid{n}@agency.example"))
        gate.register_session(BidSession(code=f"S{n}", project_name="道路工程", opens_at=AT + dt.timedelta(days=1),
                                         hall="第一开标室", agency=f"AG{n}"))
    queued, _ = gate.queue_notices(2)
    assert len(queued) == 10
    sent: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    def send(item: OutboxItem, group: AgencyDay) -> None:
        with lock:
            sent.append(item.key)

    def sender() -> None:
        own = SqlStore(db_url, CENTRE)
        try:
            barrier.wait()
            gate_on(own, ManualClock(AT)).send_notices(send)
        finally:
            own.dispose()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == sorted(i.key for i in queued)
    assert {i.status for i in gate.outbox()} == {OutboxStatus.SENT}
    store.dispose()
