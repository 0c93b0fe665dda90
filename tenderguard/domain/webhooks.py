"""Webhooks: the gate's domain events POSTed to a centre's host system, so it hears every desk of every process.

A :class:`Webhook` is a subscription: a URL, the event kinds it wants (``admitted``, ``refused``… or ``all``) and
the secret its deliveries are signed with. Each committed event a subscription wants becomes one
:class:`WebhookDelivery`, queued in the transaction that committed the event; a sender claims it, POSTs it and
records what became of it: ``pending`` → ``sending`` (claimed in its own committed transaction) → ``sent``, back to
``pending`` with a growing delay after a transient failure, or ``failed``. A delivery found still ``sending`` after
a crash is not sent again on its own (the receiver may have it): it shows in ``webhook log``.

The payload is the event's own fields — identifiers, codes and outcomes, never a name, an ID number or a phone —
less the free text and the operators' names some events carry (see :data:`WITHHELD`).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from tenderguard.domain import events
from tenderguard.domain.events import DomainEvent
from tenderguard.errors import InvalidInputError
from tenderguard.i18n import _

__all__ = [
    "ALL_EVENTS",
    "EVENT_KINDS",
    "MAX_DELIVERY_ATTEMPTS",
    "WITHHELD",
    "DeliveryStatus",
    "Webhook",
    "WebhookDelivery",
    "check_url",
    "event_kind",
    "event_kinds",
    "event_payload",
    "mask_secret",
    "new_secret",
]

#: Attempts (the first one included) before a delivery that keeps failing transiently is given up as failed.
MAX_DELIVERY_ATTEMPTS = 10

#: What a subscription lists to want every kind of event, including kinds added in later versions.
ALL_EVENTS = "all"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


#: Every kind of event a subscription may want: the snake_case name of each event class (``screening_started``).
EVENT_KINDS: Mapping[str, type[DomainEvent]] = {
    _snake(name): cls for name in events.__all__
    if isinstance(cls := getattr(events, name), type) and issubclass(cls, DomainEvent)
    and cls is not DomainEvent
}

_KIND_OF: dict[type[DomainEvent], str] = {cls: kind for kind, cls in EVENT_KINDS.items()}

#: Fields of an event left out of its payload: operators' names and reasons typed as free text, which may name
#: a person. Reason *codes* (``fever``, ``company_quota``) are kept.
WITHHELD: Mapping[type[DomainEvent], frozenset[str]] = {
    events.BadgeRevoked: frozenset({"reason"}),
    events.BadgeReprinted: frozenset({"reason"}),
    events.OverrideApplied: frozenset({"operator", "reason"}),
    events.SignalDecided: frozenset({"operator", "reason"}),
}


def event_kind(event: DomainEvent) -> str:
    """The kind of an event as subscriptions name it (``Admitted`` → ``admitted``)."""
    found = _KIND_OF.get(type(event))
    return found if found is not None else _snake(type(event).__name__)


def event_kinds(values: Iterable[str] | str) -> tuple[str, ...]:
    """The kinds a subscription wants, checked, in the order of :data:`EVENT_KINDS`; ``all`` alone means all."""
    given = values.split(",") if isinstance(values, str) else list(values)
    wanted = {v.strip().lower() for v in given if v.strip()}
    if not wanted:
        raise InvalidInputError("events", _("no event kind given"), hint=_("e.g. admitted,refused or {all_events}",
                                                                        all_events=ALL_EVENTS))
    if ALL_EVENTS in wanted:
        return (ALL_EVENTS,)
    unknown = sorted(wanted - set(EVENT_KINDS))
    if unknown:
        raise InvalidInputError("events", _("unknown event kind {items}", items=_(", ").join(unknown)),
                                hint=_("use {all_events} or some of {items}", all_events=ALL_EVENTS,
                                       items=_(", ").join(EVENT_KINDS)))
    return tuple(k for k in EVENT_KINDS if k in wanted)


def check_url(url: str) -> str:
    """The URL of a receiver: http or https with a host, else InvalidInputError on ``url``."""
    if not isinstance(url, str) or any(c.isspace() or ord(c) < 0x20 for c in url):
        raise InvalidInputError("url", _("{url!r} is not a URL", url=url), hint=_("e.g. https://host.example/tenderguard"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("url", _("{url!r} is not an http(s) URL with a host", url=url),
                                hint=_("e.g. https://host.example/tenderguard"))
    return url


def new_secret() -> str:
    """A new signing secret: 32 random bytes, in hex."""
    return secrets.token_hex(32)


def mask_secret(secret: str) -> str:
    """A secret as listings show it: its first four characters and how long it is."""
    return f"{secret[:4]}…({len(secret)} chars)"


@attrs.define
class Webhook:
    """A subscription of a host system to some kinds of events; ``id`` is given when it is stored."""

    url: str = attrs.field(converter=check_url)
    events: tuple[str, ...] = attrs.field(converter=event_kinds)
    secret: str = attrs.field(repr=False)
    created_at: dt.datetime
    disabled: bool = False
    id: int | None = None

    @secret.validator
    def _check_secret(self, _attribute: object, value: str) -> None:
        if not isinstance(value, str) or len(value.strip()) < 16 or value != value.strip():
            raise InvalidInputError("secret", _("must be at least 16 characters, without spaces around"),
                                    hint=_("leave --secret-file out to have one made"))

    def wants(self, kind: str) -> bool:
        """Whether this subscription wants events of a kind."""
        return not self.disabled and (kind in self.events or ALL_EVENTS in self.events)


class DeliveryStatus(enum.StrEnum):
    """Where a webhook delivery stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@attrs.define
class WebhookDelivery:
    """One event to POST to one subscription; its ``id`` goes with it, so a receiver can drop a repeat."""

    id: str
    webhook: int
    kind: str
    payload: dict[str, Any]
    created_at: dt.datetime
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = None

    @classmethod
    def of(cls, webhook: Webhook, event: DomainEvent, centre: str) -> WebhookDelivery:
        """The delivery of an event to a subscription, due at once."""
        assert webhook.id is not None  # noqa: S101 - only stored subscriptions get deliveries
        delivery_id = f"{time.time_ns():016x}{secrets.token_hex(8)}"  # 32 hex digits, sorting as they were made
        return cls(id=delivery_id, webhook=webhook.id, kind=event_kind(event),
                   payload=event_payload(event, centre=centre, delivery_id=delivery_id), created_at=event.at,
                   next_attempt_at=event.at)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def event_payload(event: DomainEvent, *, centre: str, delivery_id: str) -> dict[str, Any]:
    """The JSON object POSTed for an event: its fields (times in ISO 8601) but the withheld ones, and who sent it."""
    left_out = WITHHELD.get(type(event), frozenset())
    fields = {k: _plain(v) for k, v in attrs.asdict(event, recurse=False).items() if k not in left_out}
    return {"event": event_kind(event), "id": delivery_id, "centre": centre} | fields
