"""The operator accounts of the web gate: adding and disabling them, logins, API tokens, request keys.

Passwords are kept only as Argon2id hashes (argon2-cffi's defaults) and API tokens only as their SHA-256: the
database never holds what would let someone log in, and neither does the audit trail, which records who added,
disabled or changed an account and who issued or revoked tokens. A refused login says the same thing and costs the
same work whatever was wrong, so it tells nobody which names are accounts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tenderguard.domain.accounts import IdempotentReply, Operator, OperatorRole, as_role
from tenderguard.errors import AuthenticationError, InvalidInputError, NotFoundError
from tenderguard.i18n import _
from tenderguard.identity import clean_text, same_name, validate_person_name
from tenderguard.records.audit import AuditDraft
from tenderguard.services.base import GateParts
from tenderguard.store.unit_of_work import AbstractUnitOfWork

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["IDEMPOTENCY_KEPT", "MIN_PASSWORD_LENGTH", "TOKEN_PREFIX", "AccountUseCases", "password_hasher",
           "token_hash"]

#: The shortest password accepted.
MIN_PASSWORD_LENGTH = 10
#: What every API token starts with (so a leaked one is recognised for what it is).
TOKEN_PREFIX = "tg_"  # noqa: S105 - a prefix, not a secret
#: How long the answer to a request key is kept for a retry.
IDEMPOTENCY_KEPT = dt.timedelta(days=2)
#: How often (seconds) a gate forgets the request keys older than :data:`IDEMPOTENCY_KEPT`.
_SWEEP_EVERY = 3600.0
_REFUSED_LOGIN = "用户名或密码错误"
_REFUSED_TOKEN = "API 令牌无效、已吊销，或其账户已停用"  # noqa: S105 - a message, not a secret


def token_hash(token: str) -> str:
    """What the store keeps of an API token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_password(password: str, name: str) -> str:
    hint = _("choose at least {length} characters, not only digits, other than the name", length=MIN_PASSWORD_LENGTH)
    if not isinstance(password, str):
        raise InvalidInputError("password", _("is not text"), hint=hint)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInputError("password", _("has {length} characters, at least {min_password_length} are needed",
                                              length=len(password), min_password_length=MIN_PASSWORD_LENGTH), hint=hint)
    if password.isdigit():
        raise InvalidInputError("password", _("is only digits"), hint=hint)
    if same_name(password, name):
        raise InvalidInputError("password", _("is the account's name"), hint=hint)
    return password


def password_hasher() -> PasswordHasher:
    """How passwords are hashed and checked: argon2-cffi's ``PasswordHasher`` with its defaults (Argon2id).

    Tests that add many accounts replace this function with one giving a cheaper hasher.
    """
    from argon2 import PasswordHasher  # noqa: PLC0415 - loaded by the commands and the server that use accounts

    return PasswordHasher()


#: Per hasher's parameters, the hash of a random password that a login naming no account is verified against.
_DUMMY_HASHES: dict[tuple[object, ...], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password with ``hasher``'s parameters (the same work as verifying a real account)."""
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len,
              hasher.type)
    found = _DUMMY_HASHES.get(params)
    if found is None:
        found = _DUMMY_HASHES[params] = hasher.hash(secrets.token_urlsafe(16))
    return found


class AccountUseCases(GateParts):
    """The operator accounts: adding and disabling them, logins, API tokens and the answers kept per request key."""

    #: When (``time.monotonic``) this gate last forgot the old request keys; None: not yet.
    _idempotency_swept: float | None = None

    def _operator(self, uow: AbstractUnitOfWork, name: str) -> Operator:
        found = uow.operators.get(name)
        if found is None:
            raise NotFoundError(_("no operator named {name!r}", name=name), hint=_("see `tenderguard operator list`"))
        return found

    def _audit(self, uow: AbstractUnitOfWork, kind: str, name: str, by: str,
               payload: Mapping[str, Any] | None = None) -> None:
        uow.audit.record(AuditDraft(at=self.clock.now(), kind=kind, subject=name, operator=by,
                                    payload=dict(payload or {})))

    def record_login(self, name: str, *, succeeded: bool, address: str) -> None:
        """Audit a login at the web gate: who (the name as typed, cut to 50 characters), from where, and whether."""
        typed = name.strip()[:50] if isinstance(name, str) else ""
        with self.uow_factory() as uow:
            self._audit(uow, "login" if succeeded else "login_refused", typed or "(empty)", typed or "(empty)",
                        {"address": str(address)[:64]})
            uow.commit()

    def add_operator(self, name: str, role: OperatorRole | str, password: str, *, by: str = "system") -> Operator:
        """Add an account (audited, never its password); a name already taken is InvalidInputError."""
        name = validate_person_name(name, field="name")
        hashed = password_hasher().hash(_check_password(password, name))
        account = Operator(name=name, role=as_role(role), password_hash=hashed, created_at=self.clock.now())
        with self.uow_factory() as uow:
            if uow.operators.get(account.name) is not None:
                raise InvalidInputError("name", _("an operator named {account_name!r} exists already",
                                                  account_name=account.name),
                                        hint=_("choose another name, or change its password"))
            uow.operators.add(account)
            self._audit(uow, "operator_added", account.name, by, {"role": str(account.role)})
            uow.commit()
        return account

    def authenticate(self, name: str, password: str) -> Operator:
        """The account whose name and password these are; AuthenticationError if unknown, wrong or disabled.

        The password is verified even for a name that is no account (against a dummy hash), and a hash made with
        older parameters is replaced by one with the current ones.
        """
        from argon2.exceptions import InvalidHashError, VerificationError  # noqa: PLC0415 - loaded on first login

        hasher = password_hasher()
        try:
            login = validate_person_name(name, field="name")
        except InvalidInputError:
            login = None
        with self.uow_factory() as uow:
            found = uow.operators.get(login) if login is not None else None
        try:
            verified: bool = hasher.verify(found.password_hash if found else _dummy_hash(hasher), password)
        except (VerificationError, InvalidHashError):
            verified = False
        if found is None or not verified or found.disabled:
            raise AuthenticationError(_REFUSED_LOGIN)
        if hasher.check_needs_rehash(found.password_hash):
            rehashed = hasher.hash(password)
            with self.uow_factory() as uow:
                current = uow.operators.get(found.name)
                if current is not None and current.password_hash == found.password_hash:  # unchanged meanwhile
                    current.password_hash = found.password_hash = rehashed
                    uow.operators.save(current)
                    uow.commit()
        return found

    def disable_operator(self, name: str, *, by: str = "system") -> Operator:
        """Disable an account (audited): it can no longer log in, nor use its tokens."""
        with self.uow_factory() as uow:
            account = self._operator(uow, name)
            if not account.disabled:
                account.disabled = True
                uow.operators.save(account)
                self._audit(uow, "operator_disabled", account.name, by)
                uow.commit()
        return account

    def set_password(self, name: str, password: str, *, by: str = "system") -> Operator:
        """Give an account a new password (audited, never the password)."""
        with self.uow_factory() as uow:
            login = self._operator(uow, name).name
        hashed = password_hasher().hash(_check_password(password, login))  # outside the transaction: it takes a while
        with self.uow_factory() as uow:
            account = self._operator(uow, login)
            account.password_hash = hashed
            uow.operators.save(account)
            self._audit(uow, "password_set", account.name, by)
            uow.commit()
        return account

    def operators(self) -> list[Operator]:
        """Every account, by name."""
        with self.uow_factory() as uow:
            return uow.operators.all()

    def operator_tokens(self, name: str) -> list[tuple[str | None, dt.datetime, dt.datetime | None]]:
        """An account's API tokens as (label, issued, revoked or None), oldest first."""
        with self.uow_factory() as uow:
            self._operator(uow, name)
            return uow.tokens.for_operator(name)

    def issue_token(self, name: str, *, label: str | None = None, by: str = "system") -> str:
        """A new API token for an account (audited, never the token); only its SHA-256 is kept: show it once."""
        if label is not None:
            label = clean_text(label, field="label", max_length=100)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.uow_factory() as uow:
            account = self._operator(uow, name)
            if account.disabled:
                raise InvalidInputError("name", _("the operator {account_name!r} is disabled",
                                                  account_name=account.name),
                                        hint=_("add a new account for the person instead"))
            uow.tokens.add(token_hash(token), account.name, label, self.clock.now())
            self._audit(uow, "token_issued", account.name, by, {"label": label})
            uow.commit()
        return token

    def operator_for_token(self, token: str) -> Operator:
        """The account an API token belongs to; AuthenticationError if unknown, revoked or the account disabled."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
            raise AuthenticationError(_REFUSED_TOKEN)
        with self.uow_factory() as uow:
            name = uow.tokens.operator_for(token_hash(token))
            account = uow.operators.get(name) if name is not None else None
        if account is None or account.disabled:
            raise AuthenticationError(_REFUSED_TOKEN)
        return account

    def revoke_tokens(self, name: str, *, by: str = "system") -> int:
        """Revoke every token of an account (audited); returns how many were still valid."""
        with self.uow_factory() as uow:
            account = self._operator(uow, name)
            revoked = uow.tokens.revoke_all(account.name, self.clock.now())
            self._audit(uow, "tokens_revoked", account.name, by, {"tokens": revoked})
            uow.commit()
        return revoked

    def idempotent(self, operator: str, key: str, request_hash: str) -> IdempotentReply | None:
        """Claim a request key for a request (None: run it) or get the reply kept from its earlier use.

        With an earlier reply: the same ``request_hash`` and a ``status`` is a retry (answer with the kept body);
        ``status`` None means the first request still runs; another hash means the key was reused for another
        request. Keys older than :data:`IDEMPOTENCY_KEPT` are forgotten now and then.
        """
        now = self.clock.now()
        claim = IdempotentReply(operator=operator, key=key, request_hash=request_hash, status=None, body=None,
                                created_at=now)
        swept = self._idempotency_swept
        if swept is None or time.monotonic() - swept >= _SWEEP_EVERY:
            self._idempotency_swept = time.monotonic()
            self.purge_idempotency(now - IDEMPOTENCY_KEPT)
        with self.uow_factory() as uow:
            earlier = uow.idempotency.claim(claim)
            uow.commit()
        return earlier

    def remember_reply(self, operator: str, key: str, status: int, body: Mapping[str, Any]) -> None:
        """Keep the answer to a claimed request key, for its retries."""
        with self.uow_factory() as uow:
            uow.idempotency.finish(operator, key, status, body)
            uow.commit()

    def release_request(self, operator: str, key: str) -> None:
        """Forget a claimed request key whose request failed unexpectedly, so that its retry runs anew."""
        with self.uow_factory() as uow:
            uow.idempotency.release(operator, key)
            uow.commit()

    def purge_idempotency(self, before: dt.datetime) -> int:
        """Forget the request keys claimed before ``before``; returns how many."""
        with self.uow_factory() as uow:
            purged = uow.idempotency.purge_before(before)
            uow.commit()
        return purged
