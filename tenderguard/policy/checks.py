"""What every part of a policy shares: the list of problems, the identifier rule and the check on construction."""

from __future__ import annotations

import re

from tenderguard.errors import PolicyError
from tenderguard.i18n import _

__all__ = ["Checked", "Problems", "check_ident"]

_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")

Problems = list[tuple[str, str]]


def check_ident(value: str, field: str, problems: Problems) -> None:
    """Record a problem when ``value`` is not an identifier (lower-case letters, digits, _; 40 at most)."""
    if not _IDENT.match(value):
        problems.append((field, _("{value!r} is not a valid identifier (lower-case letters, digits, _)", value=value)))


class Checked:
    """Mixin: run ``_problems()`` after construction and raise one PolicyError listing them all."""

    def __attrs_post_init__(self) -> None:
        """Raise one PolicyError listing every problem ``_problems()`` finds, if there is any."""
        problems = self._problems()
        if problems:
            raise PolicyError(problems)

    def _problems(self) -> Problems:
        return []
