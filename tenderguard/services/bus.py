"""The message bus: committed domain events delivered to the host system's subscribers."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from tenderguard.domain import events

if TYPE_CHECKING:
    pass



__all__ = ["MessageBus"]

log = logging.getLogger(__name__)
E = TypeVar("E", bound=events.DomainEvent)
Handler = Callable[[Any], None]


class MessageBus:
    """Delivers committed domain events to the host system's subscribers."""

    def __init__(self) -> None:
        """Start with no subscribers."""
        self._handlers: dict[type[events.DomainEvent], list[Handler]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Call ``handler(event)`` for every event of this type (or a subclass) after it is committed."""
        self._handlers[event_type].append(handler)

    def publish(self, batch: Iterable[events.DomainEvent]) -> None:
        """Deliver events in order; a subscriber's exception is logged, never raised into the desk."""
        if not self._handlers:
            return
        for event in batch:
            for cls in type(event).__mro__:
                for handler in self._handlers.get(cls, ()):
                    try:
                        handler(event)
                    except Exception:
                        log.exception("subscriber %r failed on %s", handler, type(event).__name__)
