"""Partial indexes in place of two that every desk step rewrote.

``ix_screenings_state`` (centre, state) changed with every step; ``ix_screenings_open`` holds the open screenings
only (no outcome yet), so a step that moves a screening on writes no index entry. ``ix_audit_subject`` held
every entry of the trail; ``ix_audit_subject_lookup`` leaves out the screenings' own step and outcome entries,
which are never looked up by subject.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN_SCREENING = "outcome IS NULL"
SUBJECT_LOOKUP = "kind NOT IN ('step', 'outcome')"


def upgrade() -> None:
    """Replace ix_screenings_state and ix_audit_subject with their partial successors."""
    op.drop_index("ix_screenings_state", table_name="screenings")
    op.create_index("ix_screenings_open", "screenings", ["centre"], unique=False,
                    sqlite_where=sa.text(OPEN_SCREENING), postgresql_where=sa.text(OPEN_SCREENING))
    op.drop_index("ix_audit_subject", table_name="audit_log")
    op.create_index("ix_audit_subject_lookup", "audit_log", ["subject", "kind"], unique=False,
                    sqlite_where=sa.text(SUBJECT_LOOKUP), postgresql_where=sa.text(SUBJECT_LOOKUP))


def downgrade() -> None:
    """Bring back the full indexes."""
    op.drop_index("ix_audit_subject_lookup", table_name="audit_log")
    op.create_index("ix_audit_subject", "audit_log", ["subject"], unique=False)
    op.drop_index("ix_screenings_open", table_name="screenings")
    op.create_index("ix_screenings_state", "screenings", ["centre", "state"], unique=False)
