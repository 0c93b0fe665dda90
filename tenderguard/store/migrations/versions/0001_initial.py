"""The whole schema of TenderGuard (one initial revision: nothing had been released before it).

Besides the tables of :mod:`tenderguard.store.tables`, it writes the audit chain's head (entry 0, the genesis
hash) and the triggers that keep ``hall_occupancy`` exact: the people inside each hall on each day, whatever
writes the admissions (an admission, an exit, a re-entry, a substitution, a revocation, a purge).

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tenderguard.store.tables import AwareDateTime, metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# In each trigger, "inside AND status = 'active'": an admission whose holder is inside the hall now.
_SQLITE_TRIGGERS = (
    """CREATE TRIGGER tg_hall_occupancy_insert AFTER INSERT ON admissions WHEN NEW.inside AND NEW.status = 'active'
    BEGIN
        INSERT INTO hall_occupancy (day, hall, inside) VALUES (NEW.day, NEW.hall, 1)
            ON CONFLICT (day, hall) DO UPDATE SET inside = inside + 1;
    END""",
    """CREATE TRIGGER tg_hall_occupancy_delete AFTER DELETE ON admissions WHEN OLD.inside AND OLD.status = 'active'
    BEGIN
        UPDATE hall_occupancy SET inside = inside - 1 WHERE day = OLD.day AND hall = OLD.hall;
    END""",
    """CREATE TRIGGER tg_hall_occupancy_update AFTER UPDATE OF day, hall, inside, status ON admissions
        WHEN (OLD.inside AND OLD.status = 'active') OR (NEW.inside AND NEW.status = 'active')
    BEGIN
        UPDATE hall_occupancy SET inside = inside - 1
            WHERE OLD.inside AND OLD.status = 'active' AND day = OLD.day AND hall = OLD.hall;
        INSERT INTO hall_occupancy (day, hall, inside) SELECT NEW.day, NEW.hall, 1
            WHERE NEW.inside AND NEW.status = 'active'
            ON CONFLICT (day, hall) DO UPDATE SET inside = inside + 1;
    END""",
)

_PG_FUNCTION = """CREATE FUNCTION tg_hall_occupancy() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        IF OLD.inside AND OLD.status = 'active' THEN
            UPDATE hall_occupancy SET inside = inside - 1 WHERE day = OLD.day AND hall = OLD.hall;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF NEW.inside AND NEW.status = 'active' THEN
            INSERT INTO hall_occupancy (day, hall, inside) VALUES (NEW.day, NEW.hall, 1)
                ON CONFLICT (day, hall) DO UPDATE SET inside = hall_occupancy.inside + 1;
        END IF;
    END IF;
    RETURN NULL;
END
$$"""
_PG_TRIGGER = """CREATE TRIGGER tg_hall_occupancy AFTER INSERT OR DELETE OR UPDATE OF day, hall, inside, status
    ON admissions FOR EACH ROW EXECUTE FUNCTION tg_hall_occupancy()"""


def upgrade() -> None:
    """Create every table and index, the audit chain's head and the hall-occupancy triggers."""
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(always=False), nullable=False
        ),
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
    op.create_index("ix_audit_at", "audit_log", ["at"], unique=False)
    op.create_index(
        "ix_audit_subject_lookup",
        "audit_log",
        ["subject", "kind"],
        unique=False,
        sqlite_where=sa.text("kind NOT IN ('step', 'outcome')"),
        postgresql_where=sa.text("kind NOT IN ('step', 'outcome')"),
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
        "hall_occupancy",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hall", sa.Text(), nullable=False),
        sa.Column("inside", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "hall"),
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
        sa.Column("source_ref", sa.String(length=200), nullable=True),
        sa.Column("document_number", sa.String(length=64), nullable=True),
        sa.Column("health_purged_at", AwareDateTime(), nullable=True),
        sa.Column("phone_key", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ordinal"),
    )
    op.create_index("ix_screenings_day", "screenings", ["centre", "day", "ordinal"], unique=False)
    op.create_index(
        "ix_screenings_open",
        "screenings",
        ["centre"],
        unique=False,
        sqlite_where=sa.text("outcome IS NULL"),
        postgresql_where=sa.text("outcome IS NULL"),
    )
    op.create_index("ix_screenings_person", "screenings", ["day", "person_key"], unique=False)
    op.create_index("ix_screenings_phone", "screenings", ["session", "phone_key"], unique=False)
    op.create_index("uq_screenings_source_ref", "screenings", ["source_ref"], unique=True)
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("raised_at", AwareDateTime(), nullable=False),
        sa.Column("desk", sa.Text(), nullable=False),
        sa.Column("operator", sa.Text(), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=True),
        sa.Column("screenings", sa.JSON(), nullable=False),
        sa.Column("companies", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", AwareDateTime(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "key", name="uq_signals_day_key"),
    )
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
        sa.ForeignKeyConstraint(
            ["badge"],
            ["badges.serial"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ordinal"),
    )
    op.create_index("ix_admissions_badge", "admissions", ["badge"], unique=False)
    op.create_index("ix_admissions_organisation", "admissions", ["day", "organisation", "role"], unique=False)
    op.create_index("ix_admissions_person", "admissions", ["day", "person_key"], unique=False)
    op.create_index(
        "uq_admissions_one_bidder",
        "admissions",
        ["day", "organisation"],
        unique=True,
        sqlite_where=sa.text("role = 'bidder' AND status = 'active'"),
        postgresql_where=sa.text("role = 'bidder' AND status = 'active'"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(always=False), nullable=False
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", AwareDateTime(), nullable=False),
        sa.Column("claimed_at", AwareDateTime(), nullable=True),
        sa.Column("sent_at", AwareDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", AwareDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency"],
            ["agencies.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status", "next_attempt_at"], unique=False)
    op.create_table(
        "reminder_calls",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.Identity(always=False), nullable=False
        ),
        sa.Column("agency", sa.String(length=64), nullable=False),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("at", AwareDateTime(), nullable=False),
        sa.Column("caller", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("callback_at", AwareDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency"],
            ["agencies.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reminder_calls_agency", "reminder_calls", ["agency", "at"], unique=False)
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
        sa.ForeignKeyConstraint(
            ["agency"],
            ["agencies.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_sessions_day", "sessions", ["day", "opens_at"], unique=False)
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)


#: The tables this revision creates (later revisions drop their own before this one runs).
_TABLES = frozenset({
    "admissions", "agencies", "audit_head", "audit_log", "badges", "companies", "day_sequences", "hall_occupancy",
    "outbox", "reminder_calls", "screening_events", "screenings", "sessions", "settings", "signals",
})


def downgrade() -> None:
    """Drop everything this revision created (an empty database)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tg_hall_occupancy ON admissions")
        op.execute("DROP FUNCTION tg_hall_occupancy()")
    for table in reversed(metadata.sorted_tables):
        if table.name in _TABLES:
            op.drop_table(table.name)
