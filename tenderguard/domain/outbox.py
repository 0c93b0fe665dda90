"""The outbox of notices to email: queued once, sent at most once, retried after a transient failure, never dropped.

An item moves ``pending`` → ``sending`` (claimed in its own committed transaction, before the SMTP conversation)
→ ``sent``; a transient failure (server busy, connection refused) puts it back as ``retry`` with a growing delay;
a permanent one (address refused, login refused) makes it ``failed``. An item found still ``sending`` after a crash
is never sent again automatically — the message may have gone — it is reported (with its Message-ID, to look up in
the mail server's log) until someone requeues it. A notice whose session changed (postponed, cancelled, moved to
another hall) is ``superseded``: it is never sent (again), and a new notice replaces it.
"""

from __future__ import annotations

import datetime as dt
import enum

import attrs

__all__ = ["MAX_ATTEMPTS", "OutboxItem", "OutboxStatus", "retry_delay"]

#: Transient failures tolerated before an item is given up as failed.
MAX_ATTEMPTS = 8


class OutboxStatus(enum.StrEnum):
    """Where an outgoing notice stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # its session was postponed, moved or cancelled: a new notice replaces it

    @property
    def sendable(self) -> bool:
        """Whether a sender may claim the item (when its time has come)."""
        return self in (OutboxStatus.PENDING, OutboxStatus.RETRY)


@attrs.define
class OutboxItem:
    """One notice to email to an agency for one day."""

    key: str
    kind: str
    agency: str
    day: dt.date
    recipient: str
    message_id: str
    created_at: dt.datetime
    status: OutboxStatus = OutboxStatus.PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    last_error: str | None = None
    id: int | None = None


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))
