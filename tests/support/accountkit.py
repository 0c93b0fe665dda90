"""Operator accounts in tests: argon2's cheapest parameters, so that adding accounts does not cost ~0.3 s each."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST

from tenderguard.services import accounts

#: The gate's own hasher (argon2-cffi's defaults), for the tests about them.
DEFAULT_HASHER = accounts.password_hasher


def cheap_hasher() -> PasswordHasher:
    """An Argon2id hasher with the cheapest parameters argon2-cffi offers (for tests only)."""
    return PasswordHasher.from_parameters(CHEAPEST)


def use_cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the gate hash and check passwords with :func:`cheap_hasher` for the rest of the test."""
    monkeypatch.setattr(accounts, "password_hasher", cheap_hasher)
