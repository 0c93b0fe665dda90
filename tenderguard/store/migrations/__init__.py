"""Alembic migrations of the SQL store's schema (run with ``tenderguard db upgrade``)."""
