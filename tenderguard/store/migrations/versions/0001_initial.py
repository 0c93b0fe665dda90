"""The first schema: sessions, agencies, companies, screenings and their step events, badges, admissions.

Databases created before migrations were shipped carry a ``schema_version`` table with version 1: they are this
revision, and ``tenderguard db upgrade`` stamps them so before upgrading.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ONE_COMPANY = sa.text("role = 'bidder' AND status = 'active'")


def upgrade() -> None:
    """Create the first schema."""
    op.create_table(
        "schema_version",
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "badges",
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("centre", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=False),
        sa.Column("hall", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("holder_masked", sa.Text(), nullable=False),
        sa.Column("person_key", sa.String(length=128), nullable=False),
        sa.Column("issued_at", AwareDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("reprints", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("serial"),
    )
    op.create_index("ix_badges_day", "badges", ["day", "serial"], unique=False)
    op.create_table(
        "companies",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("credit_code"),
        sa.UniqueConstraint("name_key"),
    )
    op.create_table(
        "day_sequences",
        sa.Column("centre", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("centre", "day"),
    )
    op.create_table(
        "screenings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("centre", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("document_kind", sa.String(length=32), nullable=False),
        sa.Column("document_masked", sa.String(length=64), nullable=False),
        sa.Column("phone_masked", sa.String(length=32), nullable=True),
        sa.Column("key_area", sa.Boolean(), nullable=False),
        sa.Column("visitor_at", AwareDateTime(), nullable=False),
        sa.Column("person_key", sa.String(length=128), nullable=False),
        sa.Column("hall", sa.Text(), nullable=False),
        sa.Column("reentry", sa.Boolean(), nullable=False),
        sa.Column("opened_at", AwareDateTime(), nullable=False),
        sa.Column("opened_desk", sa.Text(), nullable=False),
        sa.Column("opened_operator", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("badge", sa.String(length=64), nullable=True),
        sa.Column("fevers", sa.Integer(), nullable=False),
        sa.Column("measuring_errors", sa.Integer(), nullable=False),
        sa.Column("rest_until", AwareDateTime(), nullable=True),
        sa.Column("supplies", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ordinal"),
    )
    op.create_index("ix_screenings_day", "screenings", ["centre", "day", "ordinal"], unique=False)
    op.create_index("ix_screenings_state", "screenings", ["centre", "state"], unique=False)
    op.create_table(
        "admissions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ordinal", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("screening_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=False),
        sa.Column("hall", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=18), nullable=True),
        sa.Column("person_key", sa.String(length=128), nullable=False),
        sa.Column("badge", sa.String(length=64), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("desk", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("inside", sa.Boolean(), nullable=False),
        sa.Column("exited_at", AwareDateTime(), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["badge"], ["badges.serial"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ordinal"),
    )
    op.create_index("ix_admissions_badge", "admissions", ["badge"], unique=False)
    op.create_index("ix_admissions_hall", "admissions", ["day", "hall"], unique=False)
    op.create_index("ix_admissions_organisation", "admissions", ["day", "organisation", "role"], unique=False)
    op.create_index("ix_admissions_person", "admissions", ["day", "person_key"], unique=False)
    op.create_index("uq_admissions_one_bidder", "admissions", ["day", "organisation"], unique=True,
                    sqlite_where=_ONE_COMPANY, postgresql_where=_ONE_COMPANY)
    op.create_table(
        "screening_events",
        sa.Column("screening_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("desk", sa.Text(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=128), nullable=False),
        sa.Column("state_from", sa.String(length=64), nullable=False),
        sa.Column("state_to", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["screening_id"], ["screenings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("screening_id", "seq"),
    )
    op.create_table(
        "sessions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("project_name", sa.Text(), nullable=False),
        sa.Column("opens_at", AwareDateTime(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hall", sa.Text(), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["agency"], ["agencies.code"]),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_sessions_day", "sessions", ["day", "opens_at"], unique=False)
    op.execute(sa.text("INSERT INTO schema_version (version) VALUES (1)"))


def downgrade() -> None:
    """Drop everything."""
    for table in ("sessions", "screening_events", "admissions", "screenings", "day_sequences", "companies",
                  "badges", "agencies", "schema_version"):
        op.drop_table(table)
