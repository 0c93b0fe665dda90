"""The in-memory repositories of the webhooks: subscriptions by id, their deliveries by id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import attrs

from tenderguard.domain.webhooks import DeliveryStatus, Webhook, WebhookDelivery
from tenderguard.store.memory.repositories import Repo

__all__ = ["WebhookDeliveries", "Webhooks"]


class Webhooks(Repo):
    """Webhook subscriptions, by id."""

    table = "webhooks"

    def add(self, webhook: Webhook) -> int:
        taken = [*self.store.webhooks, *self.uow.changes.get(self.table, {})]
        webhook.id = max(taken, default=0) + 1
        self._put(webhook.id, webhook)
        return webhook.id

    def get(self, webhook_id: int) -> Webhook | None:
        found: Webhook | None = self._get(webhook_id)
        return found

    def active(self) -> list[Webhook]:
        return sorted(self._select(lambda w: not w.disabled), key=lambda w: w.id)

    def all(self) -> list[Webhook]:
        return sorted(self._select(lambda _w: True), key=lambda w: w.id)

    def save(self, webhook: Webhook) -> None:
        self._put(webhook.id, webhook)


class WebhookDeliveries(Repo):
    """Webhook deliveries, by id (ids sort in the order they were made)."""

    table = "webhook_deliveries"

    def add(self, delivery: WebhookDelivery) -> None:
        self._put(delivery.id, delivery)

    def get(self, delivery_id: str) -> WebhookDelivery | None:
        found: WebhookDelivery | None = self._get(delivery_id)
        return found

    def due(self, at: dt.datetime, limit: int) -> list[WebhookDelivery]:
        found = self._select(lambda d: d.status is DeliveryStatus.PENDING
                             and (d.next_attempt_at is None or d.next_attempt_at <= at))
        return sorted(found, key=lambda d: (d.next_attempt_at or d.created_at, d.id))[:limit]

    def items(self, statuses: Iterable[DeliveryStatus] | None = None, limit: int | None = None
              ) -> list[WebhookDelivery]:
        wanted = set(statuses) if statuses is not None else None
        found = self._select(lambda d: wanted is None or d.status in wanted)
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)[:limit]

    def claim(self, delivery: WebhookDelivery, at: dt.datetime) -> bool:
        stored: WebhookDelivery | None = self._get(delivery.id)
        if stored is None or stored.status is not DeliveryStatus.PENDING:
            return False
        delivery.status, delivery.claimed_at = DeliveryStatus.SENDING, at
        delivery.attempts = stored.attempts + 1
        self._put(delivery.id, delivery)
        return True

    def save(self, delivery: WebhookDelivery) -> None:
        self._put(delivery.id, delivery)

    def fail_pending(self, webhook_id: int, reason: str) -> int:
        waiting: list[WebhookDelivery] = self._select(
            lambda d: d.webhook == webhook_id and d.status is DeliveryStatus.PENDING)
        for delivery in waiting:
            self._put(delivery.id, attrs.evolve(delivery, status=DeliveryStatus.FAILED, last_error=reason))
        return len(waiting)
