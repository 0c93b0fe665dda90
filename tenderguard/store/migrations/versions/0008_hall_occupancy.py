"""The people inside each hall, kept by the database itself instead of counted at every arrival and admission.

``hall_occupancy`` holds one row per day and hall with the number of active admissions whose holder is inside.
Triggers on ``admissions`` keep it exact whatever writes the admissions (an admission, an exit, a re-entry, a
substitution, a revocation, a purge), so the hall count is one row read instead of a scan of the day's
admissions, and on PostgreSQL the row is also what desks deciding on a hall lock (instead of an advisory lock).
Existing admissions are counted into it. ``ix_admissions_hall``, used only by the old count, goes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
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
    """Create hall_occupancy, count the admissions inside into it, and keep it up to date with triggers."""
    op.create_table(
        "hall_occupancy",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hall", sa.Text(), nullable=False),
        sa.Column("inside", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "hall"),
    )
    op.execute("INSERT INTO hall_occupancy (day, hall, inside) SELECT day, hall, count(*) FROM admissions "
               "WHERE inside AND status = 'active' GROUP BY day, hall")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    op.drop_index("ix_admissions_hall", table_name="admissions")


def downgrade() -> None:
    """Count by scanning again: drop the triggers and hall_occupancy, bring back ix_admissions_hall."""
    op.create_index("ix_admissions_hall", "admissions", ["day", "hall"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER tg_hall_occupancy ON admissions")
        op.execute("DROP FUNCTION tg_hall_occupancy()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER tg_hall_occupancy_{name}")
    op.drop_table("hall_occupancy")
