"""An index on the audit trail's instants, so a day's recount reads the trail from that day on only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ix_audit_at."""
    op.create_index("ix_audit_at", "audit_log", ["at"], unique=False)


def downgrade() -> None:
    """Drop ix_audit_at."""
    op.drop_index("ix_audit_at", table_name="audit_log")
