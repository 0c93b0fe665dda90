"""The repositories of the operator accounts on SQL: operators, their API tokens, the answers kept per request key.

A request key is claimed with ``INSERT … ON CONFLICT DO NOTHING`` and then read back: two requests with the same
key at once never both win, and the one that loses finds the winner's row instead of an error (on PostgreSQL the
second insert waits for the first transaction and, once it commits, reads its row at READ COMMITTED).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update

from tenderguard.domain.accounts import IdempotentReply, Operator
from tenderguard.store.sql.repositories import Repo
from tenderguard.store.tables import api_tokens, idempotency_keys, operators

__all__ = ["Idempotency", "Operators", "Tokens"]


class Operators(Repo):
    """The operator accounts, by login name."""

    def _of(self, row: RowMapping) -> Operator:
        return Operator(name=row["name"], role=row["role"], password_hash=row["password_hash"],
                        created_at=self._local(row["created_at"]), disabled=bool(row["disabled"]))

    def add(self, operator: Operator) -> None:
        self.uow.execute(insert(operators), {
            "name": operator.name, "role": str(operator.role), "password_hash": operator.password_hash,
            "disabled": operator.disabled, "created_at": operator.created_at})

    def get(self, name: str) -> Operator | None:
        row = self.uow.execute(select(operators).where(operators.c.name == name)).mappings().first()
        return None if row is None else self._of(row)

    def all(self) -> list[Operator]:
        return [self._of(row) for row in self.uow.execute(select(operators).order_by(operators.c.name)).mappings()]

    def save(self, operator: Operator) -> None:
        self.uow.execute(update(operators).where(operators.c.name == operator.name).values(
            role=str(operator.role), password_hash=operator.password_hash, disabled=operator.disabled))


class Tokens(Repo):
    """API tokens, by the SHA-256 of the token."""

    def add(self, token_hash: str, operator: str, label: str | None, at: dt.datetime) -> None:
        self.uow.execute(insert(api_tokens), {"token_hash": token_hash, "operator": operator, "label": label,
                                              "created_at": at, "revoked_at": None})

    def operator_for(self, token_hash: str) -> str | None:
        found: str | None = self.uow.execute(select(api_tokens.c.operator).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))).scalar()
        return found

    def revoke_all(self, operator: str, at: dt.datetime) -> int:
        done = self.uow.execute(update(api_tokens).where(
            api_tokens.c.operator == operator, api_tokens.c.revoked_at.is_(None)).values(revoked_at=at))
        return int(done.rowcount)

    def for_operator(self, name: str) -> list[tuple[str | None, dt.datetime, dt.datetime | None]]:
        query = (select(api_tokens.c.label, api_tokens.c.created_at, api_tokens.c.revoked_at)
                 .where(api_tokens.c.operator == name)
                 .order_by(api_tokens.c.created_at, api_tokens.c.token_hash))
        return [(row.label, self._local(row.created_at), self._opt_local(row.revoked_at))
                for row in self.uow.execute(query)]


class Idempotency(Repo):
    """The answers kept per operator and request key."""

    def _of(self, row: RowMapping) -> IdempotentReply:
        return IdempotentReply(operator=row["operator"], key=row["key"], request_hash=row["request_hash"],
                               status=row["status"], body=row["response"],
                               created_at=self._local(row["created_at"]))

    def claim(self, reply: IdempotentReply) -> IdempotentReply | None:
        stmt = self._insert(idempotency_keys).values(
            operator=reply.operator, key=reply.key, request_hash=reply.request_hash, status=None,
            created_at=reply.created_at,
        ).on_conflict_do_nothing(index_elements=[idempotency_keys.c.operator, idempotency_keys.c.key]
                                 ).returning(idempotency_keys.c.key)
        if self.uow.execute(stmt).first() is not None:  # inserted (rowcount is not reported for an INSERT)
            return None
        row = self.uow.execute(select(idempotency_keys).where(
            idempotency_keys.c.operator == reply.operator, idempotency_keys.c.key == reply.key)).mappings().one()
        return self._of(row)

    def finish(self, operator: str, key: str, status: int, body: Mapping[str, Any]) -> None:
        self.uow.execute(update(idempotency_keys).where(
            idempotency_keys.c.operator == operator, idempotency_keys.c.key == key).values(
            status=status, response=dict(body)))

    def release(self, operator: str, key: str) -> None:
        self.uow.execute(delete(idempotency_keys).where(
            idempotency_keys.c.operator == operator, idempotency_keys.c.key == key,
            idempotency_keys.c.status.is_(None)))

    def purge_before(self, at: dt.datetime) -> int:
        done = self.uow.execute(delete(idempotency_keys).where(idempotency_keys.c.created_at < at))
        return int(done.rowcount)
