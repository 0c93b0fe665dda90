"""The columns of an import file: their keys, the headers each accepts, which are required."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["COLUMNS", "REQUIRED", "column_key", "header_name"]

#: Column key → accepted headers; the first is the Chinese header that problems name the column by.
COLUMNS: Mapping[str, tuple[str, ...]] = {
    "code": ("场次编号", "code"), "project": ("项目名称", "project"), "opens_at": ("开标时间", "opens_at"),
    "hall": ("开标室", "hall"), "agency_code": ("代理机构代码", "agency_code"),
    "agency_name": ("代理机构名称", "agency_name"), "contact": ("联系人", "contact"),
    "phone": ("联系电话", "phone"), "email": ("电子邮箱", "email"), "expected": ("预计人数", "expected"),
}

#: The columns every file has and every row fills.
REQUIRED = ("code", "project", "opens_at", "hall", "agency_code", "agency_name")

_KEYS = {name.casefold(): key for key, names in COLUMNS.items() for name in names}


def column_key(header: str) -> str | None:
    """The key of the column a header names (English aliases in any case), or None for an unknown header."""
    return _KEYS.get(header.strip().casefold())


def header_name(column: str) -> str:
    """The Chinese header of a column key (开标时间 for ``opens_at``); anything else is returned as it is."""
    names = COLUMNS.get(column)
    return names[0] if names else column
