"""The repository interfaces of the webhooks: the subscriptions and the deliveries queued for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Protocol

from tenderguard.domain.events import BY_TIME, DomainEvent
from tenderguard.domain.screening import Screening
from tenderguard.domain.webhooks import DeliveryStatus, Webhook, WebhookDelivery, event_kind

__all__ = ["WebhookDeliveryRepository", "WebhookQueue", "WebhookRepository", "queue_deliveries"]


class WebhookRepository(Protocol):
    """The webhook subscriptions, by id."""

    def add(self, webhook: Webhook) -> int:
        """Store a new subscription; returns its id (also set on ``webhook``)."""

    def get(self, webhook_id: int) -> Webhook | None:
        """The subscription with this id (removed ones too), or None."""

    def active(self) -> list[Webhook]:
        """The subscriptions not removed, by id (asked once per committing unit of work that raised events)."""

    def all(self) -> list[Webhook]:
        """Every subscription, removed ones too, by id."""

    def save(self, webhook: Webhook) -> None:
        """Persist a change to a subscription (its removal)."""


class WebhookDeliveryRepository(Protocol):
    """The deliveries of events to subscriptions, and what became of them."""

    def add(self, delivery: WebhookDelivery) -> None:
        """Queue a delivery."""

    def get(self, delivery_id: str) -> WebhookDelivery | None:
        """The delivery with this id, or None."""

    def due(self, at: dt.datetime, limit: int) -> list[WebhookDelivery]:
        """Up to ``limit`` pending deliveries whose time has come at ``at``, oldest first."""

    def items(self, statuses: Iterable[DeliveryStatus] | None = None, limit: int | None = None
              ) -> list[WebhookDelivery]:
        """The newest deliveries (of some statuses), newest first."""

    def claim(self, delivery: WebhookDelivery, at: dt.datetime) -> bool:
        """Mark a pending delivery ``sending`` (one more attempt) unless another sender claimed it first."""

    def save(self, delivery: WebhookDelivery) -> None:
        """Write a delivery's new status."""

    def fail_pending(self, webhook_id: int, reason: str) -> int:
        """Mark a subscription's pending deliveries failed with ``reason`` (it was removed); returns how many."""


def queue_deliveries(webhooks: WebhookRepository, deliveries: WebhookDeliveryRepository,
                     new_events: Iterable[DomainEvent], centre: str) -> int:
    """Queue one delivery per event and active subscription wanting its kind; returns how many were queued."""
    subscriptions = webhooks.active()
    queued = 0
    for event in new_events if subscriptions else ():
        kind = event_kind(event)
        for webhook in subscriptions:
            if webhook.wants(kind):
                deliveries.add(WebhookDelivery.of(webhook, event, centre))
                queued += 1
    return queued


class WebhookQueue:
    """The part of a unit of work that queues webhook deliveries of its events in its own transaction.

    :meth:`queue_webhook_deliveries` runs in ``commit`` before the transaction commits, so that a committed
    operation always has its deliveries and a rolled-back one none; an operation that raised no event asks
    nothing, one that did asks for the subscriptions once.
    """

    webhooks: WebhookRepository
    webhook_deliveries: WebhookDeliveryRepository
    events: list[DomainEvent]

    def touched_screenings(self) -> Iterator[Screening]:
        """Screenings loaded or added in this operation (their events are queued too)."""
        raise NotImplementedError

    def forget_webhook_queue(self) -> None:
        """Begin with no event queued (a new operation)."""
        #: Events whose deliveries are queued: in the open transaction, and by an earlier commit; the events are
        #: kept, so that their ids stay theirs.
        self._hooks_queued: dict[int, DomainEvent] = {}
        self._hooks_committed: dict[int, DomainEvent] = {}

    def queue_webhook_deliveries(self, centre: str) -> int:
        """Queue a delivery of each event not queued yet, for each subscription wanting it; returns how many."""
        done = self._hooks_queued | self._hooks_committed
        fresh = [e for s in self.touched_screenings() for e in s.events if id(e) not in done]
        fresh += [e for e in self.events if id(e) not in done]
        if not fresh:
            return 0
        self._hooks_queued |= {id(e): e for e in fresh}
        return queue_deliveries(self.webhooks, self.webhook_deliveries, sorted(fresh, key=BY_TIME), centre)

    def webhook_queue_settled(self, *, committed: bool) -> None:
        """After a commit (``committed``) or a rollback: the deliveries queued in the transaction stay or are gone."""
        if committed:
            self._hooks_committed |= self._hooks_queued
        self._hooks_queued = {}
