"""PostgreSQL: a desk writing a screening another desk has changed meanwhile is stopped by the server itself.

A desk updates a screening's row naming the version it loaded. Until now an update of a stale version matched no
row and the desk checked the count before committing — a round trip between the writes and the COMMIT. Now the
update matches the row by id and sets ``version = CASE WHEN version = <loaded> THEN <next> ELSE
tg_screening_changed(...) END``: on a stale version the function raises a serialisation failure (SQLSTATE
40001) naming the screening, the transaction is aborted, and the desk runs the operation again on fresh data. The
writes and the COMMIT then go to the server together. SQLite keeps checking the count (it has no such
function, and its writers take turns).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PG_FUNCTION = """CREATE FUNCTION tg_screening_changed(screening_id text, now_at integer, loaded integer)
RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'screening % is at version %, not %: another desk changed it', screening_id, now_at, loaded
        USING ERRCODE = 'serialization_failure', HINT = 'run the operation again on the screening as it is now';
END
$$"""


def upgrade() -> None:
    """Create the function on PostgreSQL (nothing on SQLite)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)


def downgrade() -> None:
    """Drop the function (desks of the previous version check the count instead)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION tg_screening_changed(text, integer, integer)")
