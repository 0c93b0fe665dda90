"""The repositories of the web gate's accounts: operators, their API tokens, and the answers kept per request key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol

from tenderguard.domain.accounts import IdempotentReply, Operator

__all__ = ["IdempotencyRepository", "OperatorRepository", "TokenRepository"]


class OperatorRepository(Protocol):
    """The operator accounts, by login name."""

    def add(self, operator: Operator) -> None:
        """Store a new account."""

    def get(self, name: str) -> Operator | None:
        """The account with this name, or None."""

    def all(self) -> list[Operator]:
        """Every account, by name."""

    def save(self, operator: Operator) -> None:
        """Persist changes to an account (its password hash, disabled)."""


class TokenRepository(Protocol):
    """API tokens, each kept only as the SHA-256 (hex) of the token."""

    def add(self, token_hash: str, operator: str, label: str | None, at: dt.datetime) -> None:
        """Store a new token's hash for an operator."""

    def operator_for(self, token_hash: str) -> str | None:
        """The operator a token (by its hash) was issued to, unless it is unknown or revoked."""

    def revoke_all(self, operator: str, at: dt.datetime) -> int:
        """Revoke an operator's tokens not yet revoked; returns how many."""

    def for_operator(self, name: str) -> list[tuple[str | None, dt.datetime, dt.datetime | None]]:
        """An operator's tokens as (label, issued, revoked or None), oldest first; never the hashes."""


class IdempotencyRepository(Protocol):
    """The answers kept per operator and ``Idempotency-Key``."""

    def claim(self, reply: IdempotentReply) -> IdempotentReply | None:
        """Keep a new key (``status`` None) and return None; if the operator used it before, return that reply.

        Two requests claiming one key at once never both get None (the database's key decides; no error).
        """

    def finish(self, operator: str, key: str, status: int, body: Mapping[str, Any]) -> None:
        """Keep the answer to a claimed key."""

    def release(self, operator: str, key: str) -> None:
        """Forget a claimed key whose request failed unexpectedly (its retry then runs anew)."""

    def purge_before(self, at: dt.datetime) -> int:
        """Forget the keys claimed before ``at``; returns how many."""
