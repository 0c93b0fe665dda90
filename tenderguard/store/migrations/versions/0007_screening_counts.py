"""A screening's row counts its step records and readings, so that a desk's step reads the row alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``screenings.steps`` and ``screenings.readings`` and count them from the stored step records."""
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("steps", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("readings", sa.Integer(), nullable=False, server_default="0"))
    bind = op.get_bind()
    events = sa.table("screening_events", sa.column("screening_id", sa.String), sa.column("seq", sa.Integer),
                      sa.column("detail", sa.JSON))
    screenings = sa.table("screenings", sa.column("id", sa.String), sa.column("steps", sa.Integer),
                          sa.column("readings", sa.Integer))
    steps: dict[str, int] = {}
    readings: Counter[str] = Counter()
    for screening_id, seq, detail in bind.execute(sa.select(events.c.screening_id, events.c.seq, events.c.detail)):
        steps[screening_id] = max(steps.get(screening_id, 0), seq)
        if "celsius" in (detail or {}):
            readings[screening_id] += 1
    if steps:
        bind.execute(screenings.update().where(screenings.c.id == sa.bindparam("b_id"))
                     .values(steps=sa.bindparam("steps"), readings=sa.bindparam("readings")),
                     [{"b_id": k, "steps": v, "readings": readings[k]} for k, v in steps.items()])


def downgrade() -> None:
    """Drop the counts (they are counted again from the step records on upgrade).

    In place (``ALTER TABLE … DROP COLUMN``, SQLite 3.35 or newer): rebuilding ``screenings`` on SQLite would
    delete every step record with it (``ON DELETE CASCADE``).
    """
    with op.batch_alter_table("screenings", recreate="never") as batch:
        batch.drop_column("readings")
        batch.drop_column("steps")
