"""POSTing a webhook delivery: the event as JSON, signed with the subscription's secret, over httpx.

The receiver gets these headers with the JSON body:

* ``TenderGuard-Event``: the event's kind (``admitted``…);
* ``TenderGuard-Delivery``: the delivery's id, the same on every attempt — a receiver drops one it has seen;
* ``TenderGuard-Timestamp``: when this attempt was signed, in Unix seconds;
* ``TenderGuard-Signature``: ``sha256=`` and the hex HMAC-SHA256, keyed with the secret (its text, UTF-8), of the
  timestamp, a dot and the body as received: recompute it and compare with :func:`hmac.compare_digest`, and refuse
  a timestamp more than a few minutes old.

A 2xx answer is delivered; a 4xx answer other than 408 and 429 is a permanent refusal; anything else — another
status, a timeout (10 s), a refused connection — is transient, and the delivery is tried again later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from tenderguard.domain.webhooks import Webhook, WebhookDelivery
from tenderguard.errors import TenderGuardError
from tenderguard.i18n import _

__all__ = ["TIMEOUT", "WebhookError", "delivery_body", "is_transient", "sign", "webhook_client", "webhook_poster"]

#: Seconds a receiver has to answer (connecting, sending, reading) before the attempt counts as transient failure.
TIMEOUT = 10.0


class WebhookError(TenderGuardError):
    """Raised when a receiver refuses a delivery or cannot be reached; ``transient``: a later attempt may succeed.

    ``status`` is the HTTP status of the receiver's answer when it gave one.
    """

    def __init__(self, message: str, *, transient: bool, status: int | None = None, hint: str | None = None) -> None:
        self.transient = transient
        self.status = status
        super().__init__(message, hint=hint)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``TenderGuard-Signature`` header: ``sha256=`` and the HMAC-SHA256 of ``timestamp.body``."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The body POSTed: the delivery's payload as compact UTF-8 JSON."""
    return json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def is_transient(status: int) -> bool:
    """Whether a non-2xx answer may go away: all but the 4xx statuses, and 408 (timeout) and 429 (slow down)."""
    return not 400 <= status < 500 or status in (408, 429)


def webhook_poster(client: httpx.Client, *, clock: Callable[[], float] = time.time
                   ) -> Callable[[WebhookDelivery, Webhook], None]:
    """A ``post(delivery, webhook)`` for :meth:`Gate.deliver_webhooks`, over ``client`` (its timeout applies).

    Redirects are not followed (a 3xx is retried, and fails after the last attempt): give the receiver's own URL.
    """

    def post(delivery: WebhookDelivery, webhook: Webhook) -> None:
        body = delivery_body(delivery)
        timestamp = str(int(clock()))
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "TenderGuard-Webhook",
                   "TenderGuard-Event": delivery.kind, "TenderGuard-Delivery": delivery.id,
                   "TenderGuard-Timestamp": timestamp, "TenderGuard-Signature": sign(webhook.secret, timestamp, body)}
        try:
            answer = client.post(webhook.url, content=body, headers=headers, follow_redirects=False)
        except httpx.TimeoutException:
            raise WebhookError(_("{url} did not answer in time", url=webhook.url), transient=True) from None
        except httpx.HTTPError as exc:
            raise WebhookError(_("{url} could not be reached: {reason}", url=webhook.url, reason=exc),
                               transient=True) from None
        if not answer.is_success:
            raise WebhookError(_("{url} answered {status}", url=webhook.url,
                                 status=f"{answer.status_code} {answer.reason_phrase}".rstrip()),
                               transient=is_transient(answer.status_code), status=answer.status_code)

    return post


def webhook_client(timeout: float = TIMEOUT) -> httpx.Client:
    """The HTTP client a sender POSTs with (close it when done)."""
    return httpx.Client(timeout=timeout, follow_redirects=False)
