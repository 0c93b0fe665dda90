"""The in-memory repositories of the operator accounts: operators, their API tokens, the answers kept per key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from tenderguard.domain.accounts import IdempotentReply, Operator
from tenderguard.store.memory.repositories import Repo

__all__ = ["Idempotency", "Operators", "StoredToken", "Tokens"]


@attrs.frozen
class StoredToken:
    """What the store keeps of an API token: the SHA-256 of the token (never the token), whose it is, when."""

    token_hash: str
    operator: str
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class Operators(Repo):
    """The operator accounts, by login name."""

    table = "operators"

    def add(self, operator: Operator) -> None:
        self._put(operator.name, operator)

    def get(self, name: str) -> Operator | None:
        found: Operator | None = self._get(name)
        return found

    def all(self) -> list[Operator]:
        return sorted(self._select(lambda _o: True), key=lambda o: o.name)

    def save(self, operator: Operator) -> None:
        self._put(operator.name, operator)


class Tokens(Repo):
    """API tokens, by the SHA-256 of the token."""

    table = "tokens"

    def add(self, token_hash: str, operator: str, label: str | None, at: dt.datetime) -> None:
        self._put(token_hash, StoredToken(token_hash=token_hash, operator=operator, label=label, created_at=at))

    def operator_for(self, token_hash: str) -> str | None:
        found: StoredToken | None = self._get(token_hash)
        return None if found is None or found.revoked_at is not None else found.operator

    def revoke_all(self, operator: str, at: dt.datetime) -> int:
        live: list[StoredToken] = self._select(lambda t: t.operator == operator and t.revoked_at is None)
        for token in live:
            self._put(token.token_hash, attrs.evolve(token, revoked_at=at))
        return len(live)

    def for_operator(self, name: str) -> list[tuple[str | None, dt.datetime, dt.datetime | None]]:
        found: list[StoredToken] = self._select(lambda t: t.operator == name)
        return [(t.label, t.created_at, t.revoked_at) for t in sorted(found, key=lambda t: t.created_at)]


class Idempotency(Repo):
    """The answers kept per operator and request key."""

    table = "idempotency"

    def claim(self, reply: IdempotentReply) -> IdempotentReply | None:
        found: IdempotentReply | None = self._get((reply.operator, reply.key))
        if found is not None:
            return found
        self._put((reply.operator, reply.key), attrs.evolve(reply, status=None, body=None))
        return None

    def finish(self, operator: str, key: str, status: int, body: Mapping[str, Any]) -> None:
        found: IdempotentReply | None = self._get((operator, key))
        if found is not None:
            self._put((operator, key), attrs.evolve(found, status=status, body=dict(body)))

    def release(self, operator: str, key: str) -> None:
        found: IdempotentReply | None = self._get((operator, key))
        if found is not None and found.status is None:
            self.uow.delete(self.table, (operator, key))

    def purge_before(self, at: dt.datetime) -> int:
        old: list[IdempotentReply] = self._select(lambda r: r.created_at < at)
        for reply in old:
            self.uow.delete(self.table, (reply.operator, reply.key))
        return len(old)
