"""Webhooks on SQLite and PostgreSQL, POSTed to a real local HTTP server, signed, each delivered once.

Deliveries are queued in the step's own transaction, retried after a 5xx, given up after a 4xx, and sent once by
two senders racing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import httpx
import pytest
from hookkit import Receiver, receiver
from sqlalchemy import func, select
from sqlkit import AT, CENTRE, arrival, screen_fully, set_up_day

from tenderguard import Gate, ManualClock
from tenderguard.domain import events
from tenderguard.domain.webhooks import DeliveryStatus
from tenderguard.notices.webhooks import webhook_poster
from tenderguard.store.sql import SqlStore
from tenderguard.store.tables import webhook_deliveries

SECRET = "receiver-shared-secret-of-the-centre"  # noqa: S105 - a test receiver's secret


@pytest.fixture
def hooks() -> Iterator[Receiver]:
    """A receiver listening on a local port."""
    with receiver() as found:
        yield found


def _client() -> httpx.Client:
    return httpx.Client(timeout=10, trust_env=False)


def _count(store: SqlStore) -> int:
    with store.engine.connect() as conn:
        found: int = conn.execute(select(func.count()).select_from(webhook_deliveries)).scalar_one()
    return found


def test_a_committed_step_has_its_deliveries_and_a_rolled_back_one_none(store: SqlStore) -> None:
    """Deliveries are written with the step's own commit; queued in a transaction rolled back, they are gone."""
    gate = set_up_day(store)
    hook = gate.add_webhook("https://host.example/hook", "screening_started,admitted,refused")
    desk = gate.desk("A", "王芳")
    view = screen_fully(desk, desk.arrive(arrival(1)))
    found = sorted(gate.webhook_log(), key=lambda d: d.id)
    assert [d.kind for d in found] == ["screening_started", "admitted"]
    assert {(d.webhook, d.status) for d in found} == {(hook.id, DeliveryStatus.PENDING)}
    assert found[1].payload == {"event": "admitted", "id": found[1].id, "centre": "MY", "at": found[1].payload["at"],
                                "screening_id": view.id, "session": "S1", "hall": "第一开标室",
                                "badge": view.badge, "reentry": False}
    before = _count(store)
    with store.unit_of_work() as uow:
        uow.events.append(events.Refused(at=AT, screening_id=view.id, session="S1", reason="fever"))
        assert uow.queue_webhook_deliveries(CENTRE.code) == 1
        assert uow.webhook_deliveries.items(limit=1)[0].kind == "refused"  # in the transaction
    assert _count(store) == before


def test_a_delivery_is_signed_and_carries_its_id(store: SqlStore, hooks: Receiver) -> None:
    """The receiver verifies the HMAC of ``timestamp.body`` and finds the event, the delivery id and the payload."""
    gate = set_up_day(store)
    gate.add_webhook(hooks.url, ["admitted"], secret=SECRET)
    desk = gate.desk("A", "王芳")
    view = screen_fully(desk, desk.arrive(arrival(1)))
    with _client() as client:
        assert gate.deliver_webhooks(webhook_poster(client)) == {"sent": 1, "retry": 0, "failed": 0}
    [got] = hooks.received
    assert got.signed_with(SECRET)
    assert not got.signed_with(SECRET + "x")
    assert got.headers["tenderguard-event"] == "admitted"
    assert got.headers["content-type"].startswith("application/json")
    assert got.payload["id"] == got.headers["tenderguard-delivery"]
    assert (got.payload["badge"], got.payload["centre"]) == (view.badge, "MY")
    [delivery] = gate.webhook_log()
    assert (delivery.status, delivery.attempts, delivery.sent_at) == (DeliveryStatus.SENT, 1, AT)


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_a_transient_answer_is_retried_later_with_the_same_id(store: SqlStore, hooks: Receiver, status: int) -> None:
    """After a 5xx (or 408/429) the delivery waits a minute, then goes again with the same delivery id."""
    clock = ManualClock(AT)
    gate = Gate(policy=set_up_day(store).policy, centre=CENTRE, uow_factory=store.unit_of_work, clock=clock)
    gate.add_webhook(hooks.url, ["badge_revoked"], secret=SECRET)
    with store.unit_of_work() as uow:
        uow.events.append(events.BadgeRevoked(at=AT, serial="MY-20261123-0001", reason="遗失"))
        uow.commit()
    hooks.statuses = [status]
    with _client() as client:
        post = webhook_poster(client)
        assert gate.deliver_webhooks(post) == {"sent": 0, "retry": 1, "failed": 0}
        [waiting] = gate.webhook_log()
        assert (waiting.status, waiting.next_attempt_at) == (DeliveryStatus.PENDING, AT + dt.timedelta(minutes=1))
        assert str(status) in (waiting.last_error or "")
        assert gate.deliver_webhooks(post) == {"sent": 0, "retry": 0, "failed": 0}
        clock.advance(minutes=1)
        assert gate.deliver_webhooks(post) == {"sent": 1, "retry": 0, "failed": 0}
    assert len(set(hooks.delivery_ids())) == 1
    assert len(hooks.received) == 2
    assert all(r.signed_with(SECRET) for r in hooks.received)


def test_a_refusal_is_not_retried(store: SqlStore, hooks: Receiver) -> None:
    """A 400 fails the delivery at once; later passes do not post it again."""
    clock = ManualClock(AT)
    gate = Gate(policy=set_up_day(store).policy, centre=CENTRE, uow_factory=store.unit_of_work, clock=clock)
    gate.add_webhook(hooks.url, "all", secret=SECRET)
    with store.unit_of_work() as uow:
        uow.events.append(events.Abandoned(at=AT, screening_id="S-1", session="S1"))
        uow.commit()
    hooks.statuses = [400]
    with _client() as client:
        assert gate.deliver_webhooks(webhook_poster(client)) == {"sent": 0, "retry": 0, "failed": 1}
        clock.advance(hours=2)
        assert gate.deliver_webhooks(webhook_poster(client)) == {"sent": 0, "retry": 0, "failed": 0}
    assert len(hooks.received) == 1
    [failed] = gate.webhook_log(failed_only=True)
    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert "400" in (failed.last_error or "")


def test_an_unreachable_receiver_is_a_transient_failure(store: SqlStore) -> None:
    """A refused connection puts the delivery back for a later attempt."""
    gate = set_up_day(store)
    with receiver() as gone:
        url = gone.url
    gate.add_webhook(url, "all", secret=SECRET)
    with store.unit_of_work() as uow:
        uow.events.append(events.Abandoned(at=AT, screening_id="S-1", session="S1"))
        uow.commit()
    with _client() as client:
        assert gate.deliver_webhooks(webhook_poster(client)) == {"sent": 0, "retry": 1, "failed": 0}
    [waiting] = gate.webhook_log()
    assert "无法连接" in (waiting.last_error or "")


def test_two_senders_racing_deliver_each_event_once(store: SqlStore, hooks: Receiver, db_url: str) -> None:
    """Twenty deliveries, two sender threads each with its own store and client: twenty POSTs, all marked sent."""
    gate = set_up_day(store)
    gate.add_webhook(hooks.url, "all", secret=SECRET)
    with store.unit_of_work() as uow:
        for n in range(20):
            uow.events.append(events.Abandoned(at=AT, screening_id=f"S-{n}", session="S1"))
        uow.commit()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sender() -> None:
        own = SqlStore(db_url, CENTRE)
        try:
            barrier.wait()
            with _client() as client:
                Gate(policy=gate.policy, centre=CENTRE, uow_factory=own.unit_of_work,
                     clock=ManualClock(AT)).deliver_webhooks(webhook_poster(client))
        except BaseException as exc:  # re-raised by the test's thread
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = hooks.delivery_ids()
    assert len(ids) == len(set(ids)) == 20
    assert {d.status for d in gate.webhook_log()} == {DeliveryStatus.SENT}
    assert sorted(r.payload["screening_id"] for r in hooks.received) == sorted(f"S-{n}" for n in range(20))
