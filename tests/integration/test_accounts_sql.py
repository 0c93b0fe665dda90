"""Operator accounts on SQLite and PostgreSQL: the store's contract, request keys claimed at once, migration 0002."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time

import pytest
from accountkit import use_cheap_hashes
from alembic import command
from click.testing import CliRunner
from gatekit import CENTRE, MORNING, SECRET
from sqlalchemy import inspect, select, text

from tenderguard.cli import cli
from tenderguard.domain.accounts import IdempotentReply, OperatorRole
from tenderguard.domain.model import ManualClock
from tenderguard.errors import AuthenticationError, InvalidInputError
from tenderguard.policy import load_preset
from tenderguard.services import Gate
from tenderguard.store import schema
from tenderguard.store.sql import SchemaError, SqlStore, create_engine_for
from tenderguard.store.tables import api_tokens, operators

PASSWORD = "密云-gate-2026"  # noqa: S105 - a test account's password


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords with argon2's cheapest parameters (the defaults take ~0.3 s a hash)."""
    use_cheap_hashes(monkeypatch)


@pytest.fixture
def clock() -> ManualClock:
    """The test's clock, at 08:30 on the bid-opening day."""
    return ManualClock(MORNING)


@pytest.fixture
def gate(store: SqlStore, clock: ManualClock) -> Gate:
    """A gate on the store, with 王芳 (desk) and wangqiang (admin)."""
    made = Gate(policy=load_preset("badge-only"), centre=CENTRE, uow_factory=store.unit_of_work, clock=clock,
                secret=SECRET)
    made.add_operator("王芳", "desk", PASSWORD, by="管理员")
    made.add_operator("wangqiang", OperatorRole.ADMIN, "another-pass-77")
    return made


def test_accounts_log_in_and_keep_their_details(gate: Gate, store: SqlStore, clock: ManualClock) -> None:
    """An account comes back as added (aware time, role); logins refuse alike; a name is taken once."""
    found = gate.authenticate("王芳", PASSWORD)
    assert (found.name, found.role, found.disabled, found.created_at) == ("王芳", OperatorRole.DESK, False,
                                                                          clock.now())
    assert found.created_at.utcoffset() == dt.timedelta(hours=8)
    assert [o.name for o in gate.operators()] == ["wangqiang", "王芳"]
    for name, password in (("王芳", "wrong-password-1"), ("李四", PASSWORD)):
        with pytest.raises(AuthenticationError, match=r"^用户名或密码错误$"):
            gate.authenticate(name, password)
    with pytest.raises(InvalidInputError, match="已有名为“王芳”的操作员"):
        gate.add_operator("王芳", "door", PASSWORD)
    gate.set_password("王芳", "新的密码-abc-123", by="wangqiang")
    assert gate.authenticate("王芳", "新的密码-abc-123").name == "王芳"
    gate.disable_operator("王芳", by="wangqiang")
    with pytest.raises(AuthenticationError, match=r"^用户名或密码错误$"):
        gate.authenticate("王芳", "新的密码-abc-123")
    with store.engine.connect() as conn:
        row = conn.execute(select(operators).where(operators.c.name == "王芳")).mappings().one()
    assert (row["role"], bool(row["disabled"])) == ("desk", True)
    assert row["password_hash"].startswith("$argon2id$")


def test_tokens_are_stored_hashed_found_and_revoked(gate: Gate, store: SqlStore, clock: ManualClock) -> None:
    """Only the SHA-256 of a token is in the database; it finds its account until revoked or disabled."""
    token = gate.issue_token("王芳", label="中心系统", by="wangqiang")
    other = gate.issue_token("wangqiang")
    assert gate.operator_for_token(token).name == "王芳"
    with store.engine.connect() as conn:
        rows = conn.execute(select(api_tokens.c.token_hash, api_tokens.c.operator)).all()
    assert sorted(rows) == sorted([(hashlib.sha256(token.encode()).hexdigest(), "王芳"),
                                   (hashlib.sha256(other.encode()).hexdigest(), "wangqiang")])
    clock.advance(minutes=3)
    assert gate.revoke_tokens("王芳", by="wangqiang") == 1
    assert gate.revoke_tokens("王芳") == 0
    with pytest.raises(AuthenticationError):
        gate.operator_for_token(token)
    assert gate.operator_tokens("王芳") == [("中心系统", MORNING, clock.now())]
    assert gate.operator_for_token(other).name == "wangqiang"
    gate.disable_operator("wangqiang")
    with pytest.raises(AuthenticationError):
        gate.operator_for_token(other)


def test_no_password_hash_or_token_reaches_the_audit_trail(gate: Gate, store: SqlStore) -> None:
    """The audit entries of account changes name the account and who acted, never a secret."""
    token = gate.issue_token("王芳", by="wangqiang")
    gate.set_password("王芳", "新的密码-abc-123", by="wangqiang")
    gate.revoke_tokens("王芳", by="wangqiang")
    gate.seal_audit()
    with store.unit_of_work() as uow:
        kinds = [(e.kind, e.operator) for e in uow.audit.about("王芳")]
        entries = uow.audit.entries()
        stored = uow.operators.get("王芳")
    assert kinds == [("operator_added", "管理员"), ("token_issued", "wangqiang"), ("password_set", "wangqiang"),
                     ("tokens_revoked", "wangqiang")]
    assert stored is not None
    trail = json.dumps([dict(e.payload) for e in entries], ensure_ascii=False)
    for secret in (PASSWORD, "新的密码-abc-123", token, hashlib.sha256(token.encode()).hexdigest(),
                   stored.password_hash, "$argon2"):
        assert secret not in trail
    assert gate.verify_audit().ok


def test_a_request_key_keeps_its_reply_and_old_keys_go(gate: Gate, clock: ManualClock) -> None:
    """Claim, running, the kept reply (Chinese text intact), another operator's key, the purge of old keys."""
    assert gate.idempotent("王芳", "key-1", "a" * 64) is None
    running = gate.idempotent("王芳", "key-1", "b" * 64)
    assert running is not None
    assert (running.request_hash, running.status, running.body) == ("a" * 64, None, None)
    gate.remember_reply("王芳", "key-1", 201, {"name": "张*", "company": "北京城建道桥工程有限公司", "n": [1, 2]})
    done = gate.idempotent("王芳", "key-1", "a" * 64)
    assert done is not None
    assert (done.status, dict(done.body or {})) == (201, {"name": "张*", "company": "北京城建道桥工程有限公司",
                                                         "n": [1, 2]})
    assert done.created_at == MORNING
    assert gate.idempotent("wangqiang", "key-1", "a" * 64) is None
    clock.advance(days=1)
    assert gate.idempotent("王芳", "key-2", "a" * 64) is None
    assert gate.purge_idempotency(clock.now() - dt.timedelta(hours=1)) == 2
    assert gate.idempotent("王芳", "key-1", "a" * 64) is None
    assert gate.idempotent("王芳", "key-2", "a" * 64) is not None


def test_two_requests_claiming_one_key_at_once_run_once(gate: Gate) -> None:
    """Several threads claim the same key together: exactly one gets None, the others the claimer's row."""
    results: list[IdempotentReply | None] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def claim(n: int) -> None:
        barrier.wait()
        try:
            results.append(gate.idempotent("王芳", "same-key", f"{n:064d}"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results.count(None) == 1
    seen = {r.request_hash for r in results if r is not None}
    assert len(seen) == 1
    [winner] = seen
    assert winner in {f"{n:064d}" for n in range(4)}


def test_a_claim_racing_an_uncommitted_one_returns_its_row(store: SqlStore) -> None:
    """A claim made while another transaction holds the same new key waits, then returns that row (no error)."""
    first = IdempotentReply(operator="王芳", key="k", request_hash="a" * 64, status=None, body=None,
                            created_at=MORNING)
    second = IdempotentReply(operator="王芳", key="k", request_hash="b" * 64, status=None, body=None,
                             created_at=MORNING)
    found: list[IdempotentReply | None] = []
    with store.unit_of_work() as uow:
        assert uow.idempotency.claim(first) is None

        def racing() -> None:
            with store.unit_of_work() as other:
                found.append(other.idempotency.claim(second))
                other.commit()

        thread = threading.Thread(target=racing)
        thread.start()
        time.sleep(0.3)  # the other claim is now waiting for this transaction
        assert found == []
        uow.commit()
    thread.join(timeout=30)
    assert len(found) == 1
    assert found[0] is not None
    assert found[0].request_hash == "a" * 64


def test_a_database_at_0001_is_refused_until_db_upgrade(db_url: str) -> None:
    """A database made by the first release is refused with the upgrade hint; `db upgrade` adds the accounts."""
    engine = create_engine_for(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(schema._config(conn), "0001")
            conn.execute(text("INSERT INTO agencies (code, name) VALUES ('AG0', '北京旧代理有限公司')"))
        with engine.connect() as conn:
            assert (schema.status(conn).state, schema.status(conn).revision) == ("behind", "0001")
            assert "operators" not in inspect(conn).get_table_names()
        with pytest.raises(SchemaError, match="revision 0001") as info:
            SqlStore(db_url, CENTRE)
        assert "tenderguard db upgrade" in (info.value.hint or "")
        done = CliRunner().invoke(cli, ["db", "upgrade", "--db", db_url])
        assert done.exit_code == 0, done.output
        assert f"0001 → {schema.head_revision()}" in done.output
        with engine.connect() as conn:
            assert {"operators", "api_tokens", "idempotency_keys"} <= set(inspect(conn).get_table_names())
    finally:
        engine.dispose()
    store = SqlStore(db_url, CENTRE)
    try:
        gate = Gate(policy=load_preset("badge-only"), centre=CENTRE, uow_factory=store.unit_of_work, secret=SECRET)
        gate.add_operator("王芳", "desk", PASSWORD)
        assert gate.authenticate("王芳", PASSWORD).name == "王芳"
        with store.unit_of_work() as uow:
            assert uow.agencies.get("AG0") is not None
    finally:
        store.dispose()
