"""When a screening's health data was purged (the attendance record stays, masked, for longer).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add screenings.health_purged_at."""
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("health_purged_at", AwareDateTime(), nullable=True))


def downgrade() -> None:
    """Drop screenings.health_purged_at."""
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("health_purged_at")
