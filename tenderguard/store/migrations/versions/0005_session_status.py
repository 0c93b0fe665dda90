"""A session's status (scheduled, postponed, cancelled), the opening it was postponed from, when and why it changed.

Revision ID: 0005
Revises: 0004
Create Date: 2027-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the status columns to ``sessions``; every existing session is ``scheduled``."""
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="scheduled"))
        batch.add_column(sa.Column("postponed_from", AwareDateTime(), nullable=True))
        batch.add_column(sa.Column("status_changed_at", AwareDateTime(), nullable=True))
        batch.add_column(sa.Column("status_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the status columns (postponements and cancellations are forgotten; the audit trail keeps them)."""
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("status_reason")
        batch.drop_column("status_changed_at")
        batch.drop_column("postponed_from")
        batch.drop_column("status")
