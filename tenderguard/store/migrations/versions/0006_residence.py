"""The refusal letters: where a refused person lives (for the community's letter) and the letters' reference numbers.

``screenings.residence`` (街道/社区, asked at the desk; cleared by the health-data purge), ``screenings.letter_serial``
(the serial of the letters' 文号 in the year of the refusal) and ``letter_sequences``, the last serial given per
centre and year.

Revision ID: 0006
Revises: 0005
Create Date: 2027-02-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``residence`` and ``letter_serial`` to ``screenings``; create ``letter_sequences``."""
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("residence", sa.Text(), nullable=True))
        batch.add_column(sa.Column("letter_serial", sa.Integer(), nullable=True))
    op.create_table(
        "letter_sequences",
        sa.Column("centre", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("centre", "year"),
    )


def downgrade() -> None:
    """Drop them (residences and letter numbers are forgotten; the letters already written keep theirs)."""
    op.drop_table("letter_sequences")
    # In place (ALTER TABLE … DROP COLUMN): rebuilding screenings on SQLite would delete its step records with it.
    with op.batch_alter_table("screenings", recreate="never") as batch:
        batch.drop_column("letter_serial")
        batch.drop_column("residence")
