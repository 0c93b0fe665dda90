"""The gate's operator accounts, their API tokens (hashed) and the answers kept per idempotency key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-18
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``operators``, ``api_tokens`` and ``idempotency_keys``."""
    op.create_table(
        "operators",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("operator", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.Column("revoked_at", AwareDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator"],
            ["operators.name"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("operator", sa.String(length=50), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("operator", "key"),
    )


def downgrade() -> None:
    """Drop the three tables (the accounts, their tokens and the kept answers are lost)."""
    op.drop_table("idempotency_keys")
    op.drop_table("api_tokens")
    op.drop_table("operators")
