"""Signals for the supervisor, and the reads that find one person (or one phone) across the day's screenings.

* ``signals``: one row per signal (one person for two bidders, a shared phone, a name under two credit codes),
  unique per day and key, with the supervisor's decision;
* ``screenings.phone_key``: the keyed hash of the mobile number given (never the number);
* indexes on the screenings by day and person key, and by session and phone key;
* ``settings``: what the database remembers about itself — the fingerprint of the ID-hash key it was started
  with, so a desk with another key is refused instead of silently matching nobody.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``signals`` and ``settings``, add ``screenings.phone_key`` and the two indexes."""
    op.create_table(
        "signals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("raised_at", AwareDateTime(), nullable=False),
        sa.Column("desk", sa.Text, nullable=False),
        sa.Column("operator", sa.Text, nullable=False),
        sa.Column("session", sa.String(64)),
        sa.Column("screenings", sa.JSON, nullable=False),
        sa.Column("companies", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_at", AwareDateTime()),
        sa.Column("decided_by", sa.Text),
        sa.Column("decision_reason", sa.Text),
        sa.UniqueConstraint("day", "key", name="uq_signals_day_key"),
    )
    op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("phone_key", sa.String(64), nullable=True))
    op.create_index("ix_screenings_person", "screenings", ["day", "person_key"])
    op.create_index("ix_screenings_phone", "screenings", ["session", "phone_key"])


def downgrade() -> None:
    """Drop what ``upgrade`` added."""
    op.drop_index("ix_screenings_phone", table_name="screenings")
    op.drop_index("ix_screenings_person", table_name="screenings")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("phone_key")
    op.drop_table("settings")
    op.drop_table("signals")
