"""Alembic environment: migrations run on the connection TenderGuard hands over (``config.attributes``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tenderguard.store.tables import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - TenderGuard always passes its connection
    raise RuntimeError("run migrations through `tenderguard db upgrade` or tenderguard.store.schema.upgrade()")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
