"""The repositories of the webhooks on SQL: the subscriptions and the deliveries queued for them.

A sender claims a delivery with a conditional ``UPDATE … WHERE status = 'pending'`` committed before it POSTs:
of two senders racing for one delivery, exactly one sees a row updated (PostgreSQL's second UPDATE waits for the
first transaction and then finds the row no longer pending; SQLite's writers take turns anyway).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import RowMapping, insert, select, update

from tenderguard.domain.webhooks import DeliveryStatus, Webhook, WebhookDelivery
from tenderguard.store.sql.repositories import Repo
from tenderguard.store.tables import webhook_deliveries, webhooks

__all__ = ["WebhookDeliveries", "Webhooks"]

_ACTIVE = select(webhooks).where(webhooks.c.disabled.is_(False)).order_by(webhooks.c.id)


class Webhooks(Repo):
    """Webhook subscriptions, by id."""

    def _of(self, row: RowMapping) -> Webhook:
        return Webhook(url=row["url"], events=tuple(row["events"]), secret=row["secret"],
                       created_at=self._local(row["created_at"]), disabled=bool(row["disabled"]), id=row["id"])

    def add(self, webhook: Webhook) -> int:
        done = self.uow.execute(insert(webhooks), {
            "url": webhook.url, "events": list(webhook.events), "secret": webhook.secret,
            "created_at": webhook.created_at, "disabled": webhook.disabled})
        key = done.inserted_primary_key
        assert key is not None  # noqa: S101 - an INSERT of one row reports its key
        webhook.id = int(key[0])
        return webhook.id

    def get(self, webhook_id: int) -> Webhook | None:
        row = self.uow.execute(select(webhooks).where(webhooks.c.id == webhook_id)).mappings().first()
        return None if row is None else self._of(row)

    def active(self) -> list[Webhook]:
        return [self._of(row) for row in self.uow.execute(_ACTIVE).mappings()]

    def all(self) -> list[Webhook]:
        return [self._of(row) for row in self.uow.execute(select(webhooks).order_by(webhooks.c.id)).mappings()]

    def save(self, webhook: Webhook) -> None:
        self.uow.execute(update(webhooks).where(webhooks.c.id == webhook.id).values(
            url=webhook.url, events=list(webhook.events), disabled=webhook.disabled))


class WebhookDeliveries(Repo):
    """Webhook deliveries, by id (ids sort in the order they were made)."""

    def _of(self, row: RowMapping) -> WebhookDelivery:
        return WebhookDelivery(
            id=row["id"], webhook=row["webhook"], kind=row["kind"], payload=dict(row["payload"]),
            created_at=self._local(row["created_at"]), status=DeliveryStatus(row["status"]),
            attempts=row["attempts"], next_attempt_at=self._local(row["next_attempt_at"]),
            claimed_at=self._opt_local(row["claimed_at"]), sent_at=self._opt_local(row["sent_at"]),
            last_error=row["last_error"])

    @staticmethod
    def _row(delivery: WebhookDelivery) -> dict[str, Any]:
        return {"id": delivery.id, "webhook": delivery.webhook, "kind": delivery.kind, "payload": delivery.payload,
                "created_at": delivery.created_at, "status": str(delivery.status), "attempts": delivery.attempts,
                "next_attempt_at": delivery.next_attempt_at or delivery.created_at,
                "claimed_at": delivery.claimed_at, "sent_at": delivery.sent_at, "last_error": delivery.last_error}

    def add(self, delivery: WebhookDelivery) -> None:
        self.uow.execute(insert(webhook_deliveries), self._row(delivery))

    def get(self, delivery_id: str) -> WebhookDelivery | None:
        row = self.uow.execute(select(webhook_deliveries).where(
            webhook_deliveries.c.id == delivery_id)).mappings().first()
        return None if row is None else self._of(row)

    def due(self, at: dt.datetime, limit: int) -> list[WebhookDelivery]:
        query = (select(webhook_deliveries)
                 .where(webhook_deliveries.c.status == str(DeliveryStatus.PENDING),
                        webhook_deliveries.c.next_attempt_at <= at)
                 .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id).limit(limit))
        return [self._of(row) for row in self.uow.execute(query).mappings()]

    def items(self, statuses: Iterable[DeliveryStatus] | None = None, limit: int | None = None
              ) -> list[WebhookDelivery]:
        query = select(webhook_deliveries).order_by(webhook_deliveries.c.created_at.desc(),
                                                    webhook_deliveries.c.id.desc())
        if statuses is not None:
            query = query.where(webhook_deliveries.c.status.in_([str(s) for s in statuses]))
        if limit is not None:
            query = query.limit(limit)
        return [self._of(row) for row in self.uow.execute(query).mappings()]

    def claim(self, delivery: WebhookDelivery, at: dt.datetime) -> bool:
        done = self.uow.execute(
            update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery.id,
                   webhook_deliveries.c.status == str(DeliveryStatus.PENDING))
            .values(status=str(DeliveryStatus.SENDING), claimed_at=at, attempts=webhook_deliveries.c.attempts + 1)
            .returning(webhook_deliveries.c.attempts))
        attempts = done.scalar()
        if attempts is None:
            return False
        delivery.status, delivery.claimed_at, delivery.attempts = DeliveryStatus.SENDING, at, int(attempts)
        return True

    def save(self, delivery: WebhookDelivery) -> None:
        row = self._row(delivery)
        del row["id"], row["payload"]
        self.uow.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery.id).values(row))

    def fail_pending(self, webhook_id: int, reason: str) -> int:
        done = self.uow.execute(update(webhook_deliveries).where(
            webhook_deliveries.c.webhook == webhook_id,
            webhook_deliveries.c.status == str(DeliveryStatus.PENDING)).values(
            status=str(DeliveryStatus.FAILED), last_error=reason))
        return int(done.rowcount)
