"""The SQL store: SQLite (one gate PC, the embedded default) or PostgreSQL (several desks and machines).

``engine`` makes the SQLAlchemy engine, ``repositories``, ``records`` and ``accounts`` hold the repositories,
``unit_of_work`` the store and its unit of work; the tables are in :mod:`tenderguard.store.tables`, the migrations in
:mod:`tenderguard.store.migrations`.
"""

from tenderguard.store.schema import SchemaError
from tenderguard.store.sql.engine import create_engine_for
from tenderguard.store.sql.unit_of_work import SqlStore, SqlUnitOfWork

__all__ = ["SchemaError", "SqlStore", "SqlUnitOfWork", "create_engine_for"]
