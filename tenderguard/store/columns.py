"""The column types and the metadata every table of the SQL store shares.

Every instant is stored timezone-aware (:class:`AwareDateTime`): ``timestamptz`` on PostgreSQL, a UTC ISO 8601
string on SQLite (which has no datetime type), so values always come back with their offset.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, String
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = ["AwareDateTime", "metadata", "require_aware", "utc_text"]


def require_aware(value: dt.datetime | None) -> dt.datetime | None:
    """The instant itself; a naive datetime is refused (the store keeps aware instants only)."""
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{value.isoformat()} has no UTC offset; the store keeps aware datetimes only")
    return value


def utc_text(value: dt.datetime | None) -> str | None:
    """An aware instant as SQLite keeps it: fixed-width UTC ISO 8601 with microseconds (sortable as text)."""
    aware = require_aware(value)
    return None if aware is None else aware.astimezone(dt.UTC).isoformat(timespec="microseconds")


class AwareDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware instant: ``timestamptz`` where the database has one, a UTC ISO string on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """SQLite keeps the instant as fixed-width UTC text (sortable); others use their aware type."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        """Refuse naive datetimes; on SQLite write UTC ISO 8601 with microseconds."""
        return utc_text(value) if dialect.name == "sqlite" else require_aware(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return an aware datetime (UTC on SQLite, the session time zone on PostgreSQL)."""
        if value is None:
            return None
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        assert isinstance(value, dt.datetime)  # noqa: S101 - the driver returns datetimes for timestamptz
        return value


metadata = MetaData()
