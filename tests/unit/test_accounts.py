"""Operator accounts on the in-memory store: logins, password rules, API tokens, the audit trail, request keys."""

from __future__ import annotations

import hashlib
import json

import attrs
import pytest
from accountkit import DEFAULT_HASHER, use_cheap_hashes
from argon2 import PasswordHasher
from gatekit import SECRET, Harness

from tenderguard.domain.accounts import ROLE_NAMES, IdempotentReply, Operator, OperatorRole
from tenderguard.errors import AuthenticationError, InvalidInputError, NotFoundError
from tenderguard.services import Gate, accounts
from tenderguard.services.accounts import IDEMPOTENCY_KEPT

#: These tests read the English wording of the messages (the catalogue's msgids); test_i18n checks the Chinese.
pytestmark = pytest.mark.usefixtures("english_module")

PASSWORD = "密云-gate-2026"  # noqa: S105 - a test account's password
OTHER_PASSWORD = "another-pass-77"  # noqa: S105 - a test account's password


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with argon2's cheapest parameters (the defaults take ~0.3 s a hash)."""
    use_cheap_hashes(monkeypatch)


@pytest.fixture
def h() -> Harness:
    """A gate on an in-memory store with 王芳 (desk) and wangqiang (admin)."""
    made = Harness("badge-only")
    made.gate.add_operator("王芳", "desk", PASSWORD, by="管理员")
    made.gate.add_operator("wangqiang", OperatorRole.ADMIN, OTHER_PASSWORD)
    return made


def _audit_text(h: Harness) -> str:
    """Every audit entry (sealed and waiting) as one JSON text, to search for what must never be in it."""
    h.gate.seal_audit()
    with h.uow() as uow:
        entries = uow.audit.entries()
    return json.dumps([[e.kind, e.subject, e.operator, dict(e.payload)] for e in entries], ensure_ascii=False)


# --- logins ------------------------------------------------------------------------------------------------


def test_an_added_operator_logs_in_with_its_password(h: Harness) -> None:
    """The account keeps an Argon2id hash, not the password, and the password logs it in."""
    found = h.gate.authenticate("王芳", PASSWORD)
    assert (found.name, found.role, found.disabled) == ("王芳", OperatorRole.DESK, False)
    assert found.role_name == ROLE_NAMES[OperatorRole.DESK] == "入口登记员"
    assert found.password_hash.startswith("$argon2id$")
    assert PASSWORD not in found.password_hash
    assert [(o.name, str(o.role)) for o in h.gate.operators()] == [("wangqiang", "admin"), ("王芳", "desk")]


@pytest.mark.parametrize(("name", "password"), [
    ("王芳", "wrong-password-1"),
    ("李四", PASSWORD),
    ("王芳 ", "wrong-password-1"),
    ("", PASSWORD),
    ("x" * 60, PASSWORD),
])
def test_a_wrong_password_or_unknown_name_is_refused_alike(h: Harness, name: str, password: str) -> None:
    """Wrong password, unknown or malformed name: the same AuthenticationError, whose message names nothing."""
    with pytest.raises(AuthenticationError) as info:
        h.gate.authenticate(name, password)
    assert str(info.value) == "用户名或密码错误"


def test_a_disabled_account_is_refused_like_a_wrong_password(h: Harness) -> None:
    """Once disabled (audited), the right password is refused with the same message."""
    disabled = h.gate.disable_operator("王芳", by="wangqiang")
    assert disabled.disabled
    with pytest.raises(AuthenticationError, match=r"^用户名或密码错误$"):
        h.gate.authenticate("王芳", PASSWORD)
    assert h.gate.authenticate("wangqiang", OTHER_PASSWORD).name == "wangqiang"
    with pytest.raises(NotFoundError):
        h.gate.disable_operator("李四")


def test_an_unknown_name_costs_a_password_verification_too(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A login naming no account verifies against a dummy hash: as much work as a wrong password."""
    verified: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str, password: str | bytes) -> bool:
        verified.append(hash)
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    for name in ("王芳", "李四", "李四"):
        with pytest.raises(AuthenticationError):
            h.gate.authenticate(name, "wrong-password-1")
    assert len(verified) == 3
    assert all(v.startswith("$argon2id$") for v in verified)


def test_a_hash_made_with_older_parameters_is_replaced_at_login(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """A weaker stored hash still logs in, and is rehashed with argon2-cffi's defaults (Argon2id)."""
    monkeypatch.setattr(accounts, "password_hasher", DEFAULT_HASHER)
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with h.uow() as uow:
        uow.operators.add(Operator(name="赵敏", role="door", password_hash=weak, created_at=h.clock.now()))
        uow.commit()
    assert h.gate.authenticate("赵敏", PASSWORD).name == "赵敏"
    with h.uow() as uow:
        stored = uow.operators.get("赵敏")
    assert stored is not None
    assert stored.password_hash != weak
    assert not PasswordHasher().check_needs_rehash(stored.password_hash)
    assert stored.password_hash.startswith("$argon2id$")
    assert h.gate.authenticate("赵敏", PASSWORD).password_hash == stored.password_hash


# --- adding accounts and passwords ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "password", "problem"), [
    ("李强", "short-1", "at least 10"),
    ("李强", "1234567890123", "only digits"),
    ("lixiaoqiang", "lixiaoqiang", "name"),
    ("lixiaoqiang", "LiXiaoQiang", "name"),
])
def test_a_weak_password_is_refused_and_nothing_is_stored(h: Harness, name: str, password: str,
                                                           problem: str) -> None:
    """Under 10 characters, only digits, or the account's name: InvalidInputError on ``password``."""
    with pytest.raises(InvalidInputError, match=problem) as info:
        h.gate.add_operator(name, "supervisor", password)
    assert info.value.field == "password"
    assert [o.name for o in h.gate.operators()] == ["wangqiang", "王芳"]


@pytest.mark.parametrize(("name", "role", "field"), [
    ("王芳", "desk", "name"),
    ("", "desk", "name"),
    ("x" * 51, "desk", "name"),
    ("<b>刘洋</b>", "desk", "name"),
    ("刘洋", "cashier", "role"),
])
def test_a_taken_or_malformed_name_or_an_unknown_role_is_refused(h: Harness, name: str, role: str,
                                                                  field: str) -> None:
    """A name already taken, empty, too long or with markup, or a role not in the list: InvalidInputError."""
    with pytest.raises(InvalidInputError) as info:
        h.gate.add_operator(name, role, PASSWORD)
    assert info.value.field == field


def test_a_new_password_replaces_the_old_one(h: Harness) -> None:
    """After set_password the old password is refused and the new one logs in; the rules apply."""
    h.gate.set_password("王芳", "新的密码-abc-123", by="wangqiang")
    with pytest.raises(AuthenticationError):
        h.gate.authenticate("王芳", PASSWORD)
    assert h.gate.authenticate("王芳", "新的密码-abc-123").name == "王芳"
    with pytest.raises(InvalidInputError, match="only digits"):
        h.gate.set_password("王芳", "0123456789")
    with pytest.raises(NotFoundError):
        h.gate.set_password("李四", "新的密码-abc-123")


# --- tokens ------------------------------------------------------------------------------------------------------


def test_a_token_is_kept_only_as_its_hash_and_finds_its_operator(h: Harness) -> None:
    """A token starts with tg_, finds its account, and the store holds its SHA-256, never the token."""
    token = h.gate.issue_token("王芳", label="中心系统", by="wangqiang")
    assert token.startswith("tg_")
    assert len(token) > 40
    assert h.gate.operator_for_token(token).name == "王芳"
    assert set(h.store.tokens) == {hashlib.sha256(token.encode()).hexdigest()}
    assert token not in repr(h.store.tokens)
    [(label, issued, revoked)] = h.gate.operator_tokens("王芳")
    assert (label, issued, revoked) == ("中心系统", h.clock.now(), None)
    assert h.gate.issue_token("王芳") != token


@pytest.mark.parametrize("token", ["", "tg_", "tg_unknown-token", "Bearer x", "wrong"])
def test_an_unknown_token_is_refused(h: Harness, token: str) -> None:
    """A token that was never issued is AuthenticationError."""
    h.gate.issue_token("王芳")
    with pytest.raises(AuthenticationError):
        h.gate.operator_for_token(token)


def test_revoked_tokens_and_a_disabled_operators_tokens_are_refused(h: Harness) -> None:
    """Revoking counts the valid tokens and refuses them; a disabled account's tokens are refused too."""
    first, second = h.gate.issue_token("王芳"), h.gate.issue_token("王芳")
    admin = h.gate.issue_token("wangqiang")
    h.clock.advance(minutes=5)
    assert h.gate.revoke_tokens("王芳", by="wangqiang") == 2
    assert h.gate.revoke_tokens("王芳") == 0
    for token in (first, second):
        with pytest.raises(AuthenticationError):
            h.gate.operator_for_token(token)
    assert [revoked for *_rest, revoked in h.gate.operator_tokens("王芳")] == [h.clock.now()] * 2
    third = h.gate.issue_token("王芳")
    assert h.gate.operator_for_token(third).name == "王芳"
    assert h.gate.operator_for_token(admin).name == "wangqiang"
    h.gate.disable_operator("王芳")
    with pytest.raises(AuthenticationError):
        h.gate.operator_for_token(third)
    with pytest.raises(InvalidInputError, match="disabled"):
        h.gate.issue_token("王芳")
    with pytest.raises(NotFoundError):
        h.gate.issue_token("李四")


def test_the_audit_trail_records_who_did_what_and_no_secret(h: Harness) -> None:
    """Every account change is audited with who did it; no password, hash or token is in any entry."""
    token = h.gate.issue_token("王芳", label="desk tablet", by="wangqiang")
    h.gate.set_password("王芳", "新的密码-abc-123", by="wangqiang")
    h.gate.revoke_tokens("王芳", by="wangqiang")
    h.gate.disable_operator("王芳", by="wangqiang")
    with h.uow() as uow:
        kinds = [(e.kind, e.subject, e.operator, dict(e.payload)) for e in uow.audit.about("王芳")]
        stored = uow.operators.get("王芳")
    assert kinds == [
        ("operator_added", "王芳", "管理员", {"role": "desk"}),
        ("token_issued", "王芳", "wangqiang", {"label": "desk tablet"}),
        ("password_set", "王芳", "wangqiang", {}),
        ("tokens_revoked", "王芳", "wangqiang", {"tokens": 1}),
        ("operator_disabled", "王芳", "wangqiang", {}),
    ]
    assert stored is not None
    text = _audit_text(h)
    for secret in (PASSWORD, OTHER_PASSWORD, "新的密码-abc-123", token, token[3:],
                   hashlib.sha256(token.encode()).hexdigest(), stored.password_hash, "$argon2"):
        assert secret not in text


# --- request keys ------------------------------------------------------------------------------------------------


def test_a_request_key_is_claimed_once_and_its_reply_kept(h: Harness) -> None:
    """The first claim runs (None); a second sees it running, then the kept reply; keys are per operator."""
    gate = h.gate
    assert gate.idempotent("王芳", "key-1", "a" * 64) is None
    running = gate.idempotent("王芳", "key-1", "a" * 64)
    assert running is not None
    assert (running.status, running.body, running.request_hash) == (None, None, "a" * 64)
    gate.remember_reply("王芳", "key-1", 201, {"id": "s1", "name": "张*"})
    done = gate.idempotent("王芳", "key-1", "a" * 64)
    assert done is not None
    assert (done.status, dict(done.body or {})) == (201, {"id": "s1", "name": "张*"})
    reused = gate.idempotent("王芳", "key-1", "b" * 64)
    assert reused is not None
    assert reused.request_hash == "a" * 64
    assert gate.idempotent("wangqiang", "key-1", "b" * 64) is None


@pytest.mark.parametrize("key", ["", "k" * 101, "键-1", "tab\tkey"])
def test_a_malformed_request_key_is_refused(h: Harness, key: str) -> None:
    """A key must be 1-100 printable ASCII characters."""
    with pytest.raises(InvalidInputError) as info:
        h.gate.idempotent("王芳", key, "a" * 64)
    assert info.value.field == "Idempotency-Key"


def test_old_request_keys_are_purged(h: Harness) -> None:
    """Keys claimed before the cut-off are forgotten (a later claim runs again); newer ones are kept."""
    gate = h.gate
    gate.idempotent("王芳", "old", "a" * 64)
    gate.remember_reply("王芳", "old", 200, {"ok": True})
    h.clock.advance(days=1)
    gate.idempotent("王芳", "new", "a" * 64)
    assert gate.purge_idempotency(h.clock.now()) == 1
    assert gate.idempotent("王芳", "old", "a" * 64) is None
    assert gate.idempotent("王芳", "new", "a" * 64) is not None


def test_a_gate_forgets_keys_older_than_two_days_on_its_own(h: Harness) -> None:
    """The first claim of a gate (and one an hour after) removes the keys older than two days."""
    h.gate.idempotent("王芳", "old", "a" * 64)
    h.clock.advance(days=IDEMPOTENCY_KEPT.days, minutes=1)
    fresh = Gate(policy=h.policy, centre=h.centre, uow_factory=h.uow, clock=h.clock, secret=SECRET)
    assert fresh.idempotent("王芳", "today", "a" * 64) is None
    assert set(h.store.idempotency) == {("王芳", "today")}


def test_a_reply_is_a_frozen_value(h: Harness) -> None:
    """IdempotentReply is immutable, and keeps the instant the key was claimed."""
    h.gate.idempotent("王芳", "k", "a" * 64)
    reply = h.gate.idempotent("王芳", "k", "a" * 64)
    assert isinstance(reply, IdempotentReply)
    assert reply.created_at == h.clock.now()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(reply, "status", 200)  # noqa: B010 - a write the type checker would refuse
