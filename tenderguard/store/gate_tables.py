"""The web gate's tables: operator accounts, API tokens, idempotency keys, webhooks and the hall doors' scans.

Part of the one schema (:mod:`tenderguard.store.tables` re-exports them); kept apart so that the screening day's
tables read on their own.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from tenderguard.store.columns import AwareDateTime, metadata

__all__ = ["api_tokens", "door_scans", "idempotency_keys", "operators", "webhook_deliveries", "webhooks"]


#: The gate's operator accounts (see ``tenderguard.domain.accounts``): the password only as its Argon2 hash.
operators = Table(
    "operators", metadata,
    Column("name", String(50), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
)

#: API tokens, each only as the SHA-256 (hex) of the token handed out once; a revoked one stays, refused.
api_tokens = Table(
    "api_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator", String(50), ForeignKey("operators.name"), nullable=False),
    Column("label", String(100)),
    Column("created_at", AwareDateTime, nullable=False),
    Column("revoked_at", AwareDateTime),
)

#: The answer to each operator's ``Idempotency-Key`` (``status`` NULL while the first request runs); kept 2 days.
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("operator", String(50), nullable=False),
    Column("key", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer),
    Column("response", JSON),
    Column("created_at", AwareDateTime, nullable=False),
    PrimaryKeyConstraint("operator", "key"),
)

#: Webhook subscriptions of a centre's host system (see ``tenderguard.domain.webhooks``); a removed one stays,
#: disabled, so that its deliveries keep their subscription.
webhooks = Table(
    "webhooks", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", JSON, nullable=False),
    Column("secret", String(200), nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False),
    Index("ix_webhooks_disabled", "disabled"),
)

#: One row per committed event and subscription wanting it, queued in the event's own transaction.
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", String(32), primary_key=True),
    Column("webhook", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("webhooks.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", AwareDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", AwareDateTime, nullable=False),
    Column("claimed_at", AwareDateTime),
    Column("sent_at", AwareDateTime),
    Column("last_error", Text),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

#: Every scan at a hall door, valid or not, once per nonce (the device's), with the device's and the server's verdict.
door_scans = Table(
    "door_scans", metadata,
    Column("nonce", String(64), primary_key=True),
    Column("door", String(50), nullable=False),
    Column("serial", String(100)),
    Column("direction", String(3), nullable=False),
    Column("scanned_at", AwareDateTime, nullable=False),
    Column("verdict", String(8), nullable=False),
    Column("reason", String(16), nullable=False),
    Column("server_reason", String(16), nullable=False),
    Column("pass_back", Boolean, nullable=False),
    Column("exit_recorded", Boolean, nullable=False),
    Column("received_at", AwareDateTime, nullable=False),
    Index("ix_door_scans_serial", "serial", "scanned_at"),
    Index("ix_door_scans_scanned_at", "scanned_at"),
)
