"""Webhooks: subscriptions of a centre's host system to the gate's events, and the sender of their deliveries.

Deliveries are queued by the unit of work itself, in the transaction of the operation that raised the events
(see :class:`~tenderguard.store.webhook_repositories.WebhookQueue`); :meth:`WebhookUseCases.deliver_webhooks`
sends them, in whichever process runs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from tenderguard.domain.outbox import retry_delay
from tenderguard.domain.webhooks import (
    MAX_DELIVERY_ATTEMPTS,
    DeliveryStatus,
    Webhook,
    WebhookDelivery,
    new_secret,
)
from tenderguard.errors import InvalidInputError, NotFoundError
from tenderguard.i18n import _
from tenderguard.records.audit import AuditDraft
from tenderguard.services.base import GateParts

__all__ = ["PostDelivery", "WebhookUseCases"]

log = logging.getLogger(__name__)

#: POSTs one delivery to its subscription's URL, or raises (``transient = True``: try again later).
PostDelivery = Callable[[WebhookDelivery, Webhook], None]


class WebhookUseCases(GateParts):
    """Webhook subscriptions (added and removed, audited) and the sender of their deliveries."""

    def add_webhook(self, url: str, events: Iterable[str] | str, *, secret: str | None = None,
                    by: str = "system") -> Webhook:
        """Subscribe a URL to some kinds of events (or ``all``); without ``secret`` a random one is made.

        The subscription hears of events committed from now on, by every desk on the database.
        """
        webhook = Webhook(url=url, events=events, secret=new_secret() if secret is None else secret,
                          created_at=self.clock.now())
        with self.uow_factory() as uow:
            uow.webhooks.add(webhook)
            uow.audit.record(AuditDraft(at=webhook.created_at, kind="webhook_added", subject=f"webhook {webhook.id}",
                                        operator=by, payload={"url": webhook.url, "events": list(webhook.events)}))
            uow.commit()
        return webhook

    def webhooks(self) -> list[Webhook]:
        """The subscriptions not removed, by id."""
        with self.uow_factory() as uow:
            return uow.webhooks.active()

    def remove_webhook(self, webhook_id: int, *, by: str = "system") -> int:
        """Remove a subscription (audited); its deliveries not sent yet are marked failed. Returns how many."""
        if not isinstance(webhook_id, int) or isinstance(webhook_id, bool):
            raise InvalidInputError(
                "id", _("{webhook_id!r} is not a subscription id", webhook_id=webhook_id), hint=_("see `webhook list`")
            )
        with self.uow_factory() as uow:
            webhook = uow.webhooks.get(webhook_id)
            if webhook is None or webhook.disabled:
                raise NotFoundError(
                    _("no webhook {webhook_id}", webhook_id=webhook_id), hint=_("see `tenderguard webhook list`")
                )
            webhook.disabled = True
            uow.webhooks.save(webhook)
            dropped = uow.webhook_deliveries.fail_pending(webhook_id, "the subscription was removed")
            uow.audit.record(AuditDraft(at=self.clock.now(), kind="webhook_removed", subject=f"webhook {webhook_id}",
                                        operator=by, payload={"url": webhook.url, "dropped": dropped}))
            uow.commit()
        return dropped

    def webhook_log(self, *, failed_only: bool = False, limit: int = 50) -> list[WebhookDelivery]:
        """The newest deliveries first (only the failed ones with ``failed_only``)."""
        statuses = [DeliveryStatus.FAILED] if failed_only else None
        with self.uow_factory() as uow:
            return uow.webhook_deliveries.items(statuses, limit)

    def deliver_webhooks(self, post: PostDelivery, *, limit: int = 100) -> dict[str, int]:
        """POST the deliveries whose time has come (up to ``limit``); returns how many were sent, retried, failed.

        Each delivery is claimed in a committed transaction first, so two senders never POST the same one, and a
        crash mid-send leaves it visibly ``sending``. An exception with ``transient = True`` from ``post`` puts it
        back with a growing delay, until its tenth attempt; any other failure marks it failed.
        """
        now = self.clock.now()
        counts = {"sent": 0, "retry": 0, "failed": 0}
        with self.uow_factory() as uow:
            due = uow.webhook_deliveries.due(now, limit)
            subscriptions = {w.id: w for w in uow.webhooks.all()} if due else {}
        for delivery in due:
            with self.uow_factory() as uow:
                if not uow.webhook_deliveries.claim(delivery, now):
                    continue  # another sender took it
                uow.commit()
            counts[self._post_one(delivery, subscriptions.get(delivery.webhook), post)] += 1
        return counts

    def _post_one(self, delivery: WebhookDelivery, webhook: Webhook | None, post: PostDelivery) -> str:
        outcome = "failed"
        if webhook is None or webhook.disabled:
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, "the subscription was removed"
        else:
            try:
                post(delivery, webhook)
            except Exception as exc:  # whatever went wrong, the delivery's row says so
                log.info("webhook delivery %s to %s failed: %s", delivery.id, webhook.url, exc)
                delivery.last_error = str(exc)[:500]
                if getattr(exc, "transient", False) and delivery.attempts < MAX_DELIVERY_ATTEMPTS:
                    delivery.status, outcome = DeliveryStatus.PENDING, "retry"
                    delivery.next_attempt_at = self.clock.now() + retry_delay(delivery.attempts)
                else:
                    delivery.status = DeliveryStatus.FAILED
            else:
                delivery.status, delivery.sent_at, delivery.last_error = DeliveryStatus.SENT, self.clock.now(), None
                outcome = "sent"
        with self.uow_factory() as uow:
            uow.webhook_deliveries.save(delivery)
            uow.commit()
        return outcome
