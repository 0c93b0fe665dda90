"""The tamper-evident audit trail, batch source references, and the optional full document number.

Also retires the ``schema_version`` table: Alembic's own version table tells the schema from now on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
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
    """Add the audit tables and the two screening columns."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("desk", sa.Text(), nullable=True),
        sa.Column("operator", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index("ix_audit_subject", "audit_log", ["subject"], unique=False)
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')"))
    with op.batch_alter_table("screenings") as batch:
        batch.add_column(sa.Column("source_ref", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("document_number", sa.String(length=64), nullable=True))
    op.create_index("uq_screenings_source_ref", "screenings", ["source_ref"], unique=True)
    op.drop_table("schema_version")


def downgrade() -> None:
    """Back to revision 0001."""
    op.create_table("schema_version", sa.Column("version", sa.Integer(), nullable=False))
    op.execute(sa.text("INSERT INTO schema_version (version) VALUES (1)"))
    op.drop_index("uq_screenings_source_ref", table_name="screenings")
    with op.batch_alter_table("screenings") as batch:
        batch.drop_column("document_number")
        batch.drop_column("source_ref")
    op.drop_table("audit_head")
    op.drop_table("audit_log")
