"""Webhooks on the in-memory store: deliveries queued with the operation that raised the events, sent once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import attrs
import pytest
from gatekit import COMPANIES, PEOPLE, Harness

from tenderguard.domain import events
from tenderguard.domain.outbox import retry_delay
from tenderguard.domain.webhooks import (
    EVENT_KINDS,
    MAX_DELIVERY_ATTEMPTS,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    event_kinds,
    event_payload,
)
from tenderguard.errors import InvalidInputError, InvalidTransitionError, NotFoundError
from tenderguard.notices.webhooks import WebhookError

ZHANG, LI = PEOPLE[:2]
BUILDER = COMPANIES[0]
URL = "https://host.example/tenderguard"
#: Every field a payload may carry: identifiers, codes, outcomes, times — nothing about a person but masked data.
SHAREABLE = {"event", "id", "centre", "at", "screening_id", "session", "role", "desk", "reentry", "step", "action",
             "hall", "badge", "reason", "services", "serial", "credit_code", "day", "reprint", "kind", "subject",
             "recorded_on_return", "source", "signal_id", "decision"}


def deliveries(h: Harness) -> list[WebhookDelivery]:
    """Every delivery in the store, in the order they were made."""
    return sorted(h.store.webhook_deliveries.values(), key=lambda d: d.id)


def test_a_step_queues_one_delivery_per_subscribed_event(miyun: Harness) -> None:
    """Admitting a person queues a delivery for the start and the admission; unsubscribed kinds none."""
    hook = miyun.gate.add_webhook(URL, "screening_started,admitted", by="信息科")
    view = miyun.admit(ZHANG, BUILDER)
    found = deliveries(miyun)
    assert [d.kind for d in found] == ["screening_started", "admitted"]
    assert {d.webhook for d in found} == {hook.id}
    assert {d.status for d in found} == {DeliveryStatus.PENDING}
    assert all(d.payload["screening_id"] == view.id and d.payload["centre"] == "MY" for d in found)
    assert [d.payload["id"] for d in found] == [d.id for d in found]
    assert found[1].payload["badge"] == view.badge


def test_every_kind_for_all_and_each_subscription_its_own(miyun: Harness) -> None:
    """``all`` gets a delivery of every published event; a second subscription only its kinds."""
    everything = miyun.gate.add_webhook(URL, "all")
    refusals = miyun.gate.add_webhook("http://10.0.0.7:8080/gate", ["refused"])
    miyun.admit(ZHANG, BUILDER)
    published = list(miyun.published)
    found = deliveries(miyun)
    assert [d.kind for d in found if d.webhook == everything.id] == [
        {cls: k for k, cls in EVENT_KINDS.items()}[type(e)] for e in published]
    assert [d for d in found if d.webhook == refusals.id] == []


def test_a_rolled_back_operation_queues_nothing(miyun: Harness) -> None:
    """A step refused out of order, and a unit of work left without commit, leave no delivery behind."""
    miyun.gate.add_webhook(URL, "all")
    view = miyun.desk.arrive(miyun.arrival(ZHANG, BUILDER))
    before = len(miyun.store.webhook_deliveries)
    with pytest.raises(InvalidTransitionError):
        miyun.desk.declare(view.id, "complete")
    with miyun.uow() as uow:
        uow.events.append(events.Abandoned(at=miyun.clock.now(), screening_id=view.id, session="S1"))
        assert uow.queue_webhook_deliveries("MY") == 1
    assert len(miyun.store.webhook_deliveries) == before


def test_a_second_commit_queues_only_the_new_events(miyun: Harness) -> None:
    """A unit of work committed twice queues each of its events once."""
    miyun.gate.add_webhook(URL, ["abandoned"])
    at = miyun.clock.now()
    with miyun.uow() as uow:
        uow.events.append(events.Abandoned(at=at, screening_id="X1", session="S1"))
        uow.commit()
        uow.events.append(events.Abandoned(at=at, screening_id="X2", session="S1"))
        uow.commit()
    assert [d.payload["screening_id"] for d in deliveries(miyun)] == ["X1", "X2"]


def test_no_subscription_no_delivery(miyun: Harness) -> None:
    """Without subscriptions a day runs as before: nothing is queued."""
    miyun.admit(ZHANG, BUILDER)
    assert miyun.store.webhook_deliveries == {}


def test_payloads_carry_no_personal_data(miyun: Harness) -> None:
    """Names, ID numbers, phones, operators' names and typed reasons stay out; codes and ids go out."""
    miyun.gate.add_webhook(URL, "all")
    first = miyun.admit(ZHANG, BUILDER, phone="13812345678")
    assert first.badge is not None
    view = miyun.desk.substitute(miyun.arrival(LI, BUILDER), replaces=first.badge, reason="张伟临时有事,李娜替换")
    done = miyun.run(view)
    assert done.badge is not None
    miyun.gate.reprint_badge(done.badge, reason="李娜的卡片打印模糊", operator="赵主任")
    miyun.gate.revoke_badge(done.badge, reason="李娜的证件遗失", operator="赵主任")
    text = json.dumps([d.payload for d in deliveries(miyun)], ensure_ascii=False)
    for secret in (ZHANG.name, LI.name, ZHANG.id_number, LI.id_number, "13812345678", "王芳", "临时有事", "赵主任",
                   "遗失", "模糊"):
        assert secret not in text
    kinds = {d.kind for d in deliveries(miyun)}
    assert {"override_applied", "badge_revoked", "badge_reprinted", "admitted", "badge_issued"} <= kinds
    for d in deliveries(miyun):
        assert set(d.payload) <= SHAREABLE, d.kind


def test_every_event_class_has_a_kind_and_a_payload_of_shareable_fields() -> None:
    """Each event class's payload keeps only reviewed fields (a new field must be reviewed here first)."""
    at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    for kind, cls in EVENT_KINDS.items():
        values: dict[str, Any] = {f.name: (at if f.name == "at" else dt.date(2026, 11, 23) if f.name == "day"
                                           else "x") for f in attrs.fields(cls)}
        payload = event_payload(cls(**values), centre="MY", delivery_id="d1")
        assert payload["event"] == kind
        assert set(payload) <= SHAREABLE, kind
        json.dumps(payload)


def test_a_removed_subscription_gets_nothing_more(miyun: Harness) -> None:
    """Removing a subscription fails its pending deliveries and queues no new ones; unknown ids are refused."""
    hook = miyun.gate.add_webhook(URL, "all")
    miyun.admit(ZHANG, BUILDER)
    assert hook.id is not None
    dropped = miyun.gate.remove_webhook(hook.id, by="信息科")
    assert dropped == len(miyun.store.webhook_deliveries) > 0
    assert {d.status for d in deliveries(miyun)} == {DeliveryStatus.FAILED}
    assert miyun.gate.webhooks() == []
    miyun.admit(LI, COMPANIES[1])
    assert len(miyun.store.webhook_deliveries) == dropped
    with pytest.raises(NotFoundError):
        miyun.gate.remove_webhook(hook.id)
    kinds = [e.kind for e in miyun.audit() if e.kind.startswith("webhook_")]
    assert kinds == ["webhook_added", "webhook_removed"]


class Poster:
    """Records what it POSTs; fails the way it is told to."""

    def __init__(self) -> None:
        """No failures planned."""
        self.sent: list[str] = []
        self.failures: list[Exception] = []

    def __call__(self, delivery: WebhookDelivery, webhook: Webhook) -> None:
        """Post, or raise the next planned failure."""
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(delivery.id)


def test_a_transient_failure_is_retried_with_backoff_until_the_tenth_attempt(miyun: Harness) -> None:
    """A 5xx-like failure puts the delivery back, due after the outbox's delay; the tenth failure gives up."""
    miyun.gate.add_webhook(URL, ["admitted"])
    miyun.admit(ZHANG, BUILDER)
    post = Poster()
    post.failures = [WebhookError("503", transient=True) for _ in range(MAX_DELIVERY_ATTEMPTS)]
    assert miyun.gate.deliver_webhooks(post) == {"sent": 0, "retry": 1, "failed": 0}
    [delivery] = deliveries(miyun)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.next_attempt_at == miyun.clock.now() + retry_delay(1)
    assert miyun.gate.deliver_webhooks(post) == {"sent": 0, "retry": 0, "failed": 0}  # not due yet
    for _ in range(MAX_DELIVERY_ATTEMPTS - 1):
        miyun.clock.advance(minutes=60)
        miyun.gate.deliver_webhooks(post)
    [delivery] = deliveries(miyun)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.FAILED, 10, "503")
    assert post.sent == []


def test_a_permanent_failure_is_not_retried_and_a_sent_delivery_not_sent_again(miyun: Harness) -> None:
    """A refusal fails the delivery at once; a delivered one is marked sent and never posted again."""
    miyun.gate.add_webhook(URL, ["screening_started", "admitted"])
    miyun.admit(ZHANG, BUILDER)
    post = Poster()
    post.failures = [WebhookError("400 Bad Request", transient=False)]
    assert miyun.gate.deliver_webhooks(post) == {"sent": 1, "retry": 0, "failed": 1}
    miyun.clock.advance(minutes=120)
    assert miyun.gate.deliver_webhooks(post) == {"sent": 0, "retry": 0, "failed": 0}
    assert [d.status for d in deliveries(miyun)] == [DeliveryStatus.FAILED, DeliveryStatus.SENT]
    assert [d.id for d in miyun.gate.webhook_log(failed_only=True)] == [deliveries(miyun)[0].id]
    assert len(post.sent) == 1


@pytest.mark.parametrize("url", ["ftp://host.example/x", "file:///etc/passwd", "javascript:alert(1)", "https://",
                                 "host.example/hook", "https://host.example/a b"])
def test_only_http_urls_with_a_host_are_subscribed(miyun: Harness, url: str) -> None:
    """Other schemes, a missing host or spaces are refused on ``url``."""
    with pytest.raises(InvalidInputError) as info:
        miyun.gate.add_webhook(url, "all")
    assert info.value.field == "url"


def test_event_kinds_are_checked() -> None:
    """Kinds are the event classes' snake_case names; ``all`` stands alone; unknown ones are refused."""
    assert event_kinds(" Admitted, refused ") == ("admitted", "refused")
    assert event_kinds("admitted,all") == ("all",)
    assert "screening_started" in EVENT_KINDS
    with pytest.raises(InvalidInputError, match="admited"):
        event_kinds("admited")
    with pytest.raises(InvalidInputError):
        event_kinds(" , ")


def test_a_given_secret_is_kept_and_a_short_one_refused(miyun: Harness) -> None:
    """A secret given is used as it is; one under 16 characters is refused; a made one is 64 hex digits."""
    given = "centre-host-secret-2026"
    assert miyun.gate.add_webhook(URL, "all", secret=given).secret == given
    assert len(miyun.gate.add_webhook(URL, "all").secret) == 64
    with pytest.raises(InvalidInputError, match="secret"):
        miyun.gate.add_webhook(URL, "all", secret=given[:5])
