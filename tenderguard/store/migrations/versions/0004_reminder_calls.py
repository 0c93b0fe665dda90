"""The log of pre-bid reminder calls to agencies.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create reminder_calls."""
    op.create_table(
        "reminder_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("caller", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("callback_at", AwareDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reminder_calls_agency", "reminder_calls", ["agency", "at"], unique=False)


def downgrade() -> None:
    """Drop reminder_calls."""
    op.drop_index("ix_reminder_calls_agency", table_name="reminder_calls")
    op.drop_table("reminder_calls")
