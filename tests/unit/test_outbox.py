"""The notice outbox: queued once, sent once, retried after transient failures, never silently dropped."""

from __future__ import annotations

import datetime as dt

import pytest
from gatekit import MORNING, Harness

from tenderguard.domain.model import Agency, BidSession
from tenderguard.domain.outbox import MAX_ATTEMPTS, OutboxItem, OutboxStatus, retry_delay
from tenderguard.domain.reminders import AgencyDay
from tenderguard.errors import OverrideError, TenderGuardError

TOMORROW = MORNING + dt.timedelta(days=1)


class Busy(TenderGuardError):
    """A transient failure, as the SMTP layer raises for a 451 or a refused connection."""

    transient = True


class Sender:
    """Records what it sends; fails the way it is told to."""

    def __init__(self) -> None:
        """No failures planned."""
        self.sent: list[tuple[str, str]] = []
        self.failures: list[Exception] = []

    def __call__(self, item: OutboxItem, group: AgencyDay) -> None:
        """Send, or raise the next planned failure."""
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((item.message_id, group.agency.code))


@pytest.fixture
def day(miyun: Harness) -> Harness:
    """An agency with an address and a session tomorrow; another without an address."""
    gate = miyun.gate
    gate.register_agency(Agency(code="ZX", name="北京正信招标代理有限公司", email="bid@zhengxin.example"))
    gate.register_agency(Agency(code="HY", name="北京华宇工程咨询有限公司"))
    for code, agency in (("T1", "ZX"), ("T3", "HY")):
        gate.register_session(BidSession(code=code, project_name="道路工程", opens_at=TOMORROW, hall="第一开标室",
                                         agency=agency))
    return miyun


def test_a_notice_is_queued_once_and_agencies_without_address_are_listed(day: Harness) -> None:
    """Queueing twice queues once; the agency without an email address is returned to be called instead."""
    queued, no_address = day.gate.queue_notices(2)
    assert [i.key for i in queued] == ["notice:ZX:2026-11-24"]
    assert [g.agency.code for g in no_address] == ["HY"]
    again, _ = day.gate.queue_notices(2)
    assert again == []
    assert len(day.gate.outbox()) == 1


def test_sent_once_even_when_sending_runs_twice(day: Harness) -> None:
    """A sent notice is not sent again by a later run."""
    day.gate.queue_notices(2)
    sender = Sender()
    assert day.gate.send_notices(sender) == {"sent": 1, "retry": 0, "failed": 0}
    assert day.gate.send_notices(sender) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(sender.sent) == 1
    [item] = day.gate.outbox()
    assert (item.status, item.attempts, item.sent_at) == (OutboxStatus.SENT, 1, MORNING)
    assert sender.sent[0][0] == item.message_id


def test_a_transient_failure_is_retried_later_with_the_same_message_id(day: Harness) -> None:
    """A busy server schedules a retry after the backoff; the retry sends the same Message-ID."""
    day.gate.queue_notices(2)
    sender = Sender()
    sender.failures.append(Busy("451 try again later"))
    assert day.gate.send_notices(sender)["retry"] == 1
    [item] = day.gate.outbox()
    assert (item.status, item.last_error, item.next_attempt_at) == (
        OutboxStatus.RETRY, "451 try again later", MORNING + retry_delay(1))
    assert day.gate.send_notices(sender)["sent"] == 0  # not yet time
    day.clock.advance(minutes=2)
    assert day.gate.send_notices(sender)["sent"] == 1
    assert sender.sent[0][0] == item.message_id


def test_a_permanent_failure_or_too_many_retries_fail_visibly(day: Harness) -> None:
    """A refused address fails at once; a server busy MAX_ATTEMPTS times is given up; both stay listed."""
    day.gate.queue_notices(2)
    sender = Sender()
    sender.failures.append(TenderGuardError("550 mailbox unavailable"))
    assert day.gate.send_notices(sender)["failed"] == 1
    [item] = day.gate.outbox()
    assert (item.status, item.last_error) == (OutboxStatus.FAILED, "550 mailbox unavailable")
    day.gate.requeue_notice(item.key, operator="王芳")
    sender.failures.extend(Busy("421 busy") for _ in range(MAX_ATTEMPTS))
    for _ in range(MAX_ATTEMPTS):
        day.clock.advance(hours=2)
        day.gate.send_notices(sender)
    [item] = day.gate.outbox()
    assert (item.status, item.attempts) == (OutboxStatus.FAILED, MAX_ATTEMPTS)
    assert sender.sent == []


def test_a_notice_stuck_in_sending_is_not_resent_until_requeued(day: Harness) -> None:
    """After a crash mid-send the item stays 'sending' and is skipped; requeueing (audited) sends it."""
    day.gate.queue_notices(2)
    [item] = day.gate.outbox()
    with day.uow() as uow:
        assert uow.outbox.claim(item, MORNING)
        uow.commit()
    sender = Sender()
    assert day.gate.send_notices(sender)["sent"] == 0
    assert day.gate.outbox()[0].status is OutboxStatus.SENDING
    day.gate.requeue_notice(item.key, operator="王芳")
    assert day.gate.send_notices(sender)["sent"] == 1
    assert [e.kind for e in day.audit() if e.kind.startswith("notice_")] == ["notice_requeued", "notice_sent"]
    with pytest.raises(OverrideError, match="不会重复发送"):
        day.gate.requeue_notice(item.key, operator="王芳")
