"""The scans made at the hall doors, once per nonce.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-15
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
    """Create ``door_scans``."""
    op.create_table(
        "door_scans",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("door", sa.String(length=50), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("scanned_at", AwareDateTime(), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("server_reason", sa.String(length=16), nullable=False),
        sa.Column("pass_back", sa.Boolean(), nullable=False),
        sa.Column("exit_recorded", sa.Boolean(), nullable=False),
        sa.Column("received_at", AwareDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )
    op.create_index("ix_door_scans_serial", "door_scans", ["serial", "scanned_at"], unique=False)
    op.create_index("ix_door_scans_scanned_at", "door_scans", ["scanned_at"], unique=False)


def downgrade() -> None:
    """Drop ``door_scans`` (the door's scans are lost)."""
    op.drop_index("ix_door_scans_scanned_at", table_name="door_scans")
    op.drop_index("ix_door_scans_serial", table_name="door_scans")
    op.drop_table("door_scans")
